import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { FakeDuo } from '../fake-duo/fake-duo.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';
import { usersCsv } from '../helpers/users-csv.js';

let duo: FakeDuo;
beforeEach(async () => {
  duo = await new FakeDuo().start();
});
afterEach(async () => {
  await duo.stop();
});

function results(path: string): Record<string, string>[] {
  return parse(readFileSync(path), { bom: true, columns: true }) as Record<string, string>[];
}

const FAST = ['--rate', '100000', '--timeout', '5'];

function expectAllPresentWithAliases(count: number): void {
  const users = duo.byUsername();
  expect(duo.users.size).toBe(count);
  for (let i = 1; i <= count; i++) {
    const name = `u${String(i).padStart(5, '0')}`;
    expect(users.get(name)?.aliases).toEqual({ alias1: `${name}@example.com`, ...(i % 3 === 0 ? { alias2: `${name}.alt@example.org` } : {}) });
  }
}

describe('import --apply against the fake Duo', () => {
  it.each(['results', 'ok', 'lost'] as const)('creates 1,000 users with their aliases exactly once in bulk calls (answer: %s); a re-run changes nothing', async (answer) => {
    duo.bulkAnswer = answer;
    const dir = tmpFiles({ 'users.csv': usersCsv(1000) });
    const run = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', ...FAST], { env: duo.env() });
    expect(run.stderr).toMatch(/plan for 127\.0\.0\.1:\d+: create 1,000 · unchanged 0 · update 0 · migrate 0 · conflict 0/);
    expect(run.stderr).toMatch(/created 1,000, exists 0, failed 0, skipped 0/);
    expect(run.exitCode).toBe(0);
    expect(duo.users.size).toBe(1000);
    const users = duo.byUsername();
    expect(users.get('u00003')!.aliases).toEqual({ alias1: 'u00003@example.com', alias2: 'u00003.alt@example.org' });
    expect(users.get('u00004')!.aliases).toEqual({ alias1: 'u00004@example.com' });
    // 20 bulk calls of 50 create-with-aliases operations, and no other write; reads: the plan, the
    // look-up before each batch and the read-back after each bulk call.
    expect(duo.appliedWrites).toBe(20);
    expect(duo.count('POST', /^\/admin\/v1\/users/)).toBe(0);
    expect(duo.log.filter((r) => r.method === 'GET').length / 1000).toBeLessThanOrEqual(0.1);
    const rows = results(join(dir, 'users.results.csv'));
    expect(rows).toHaveLength(1000);
    expect(rows[0]).toMatchObject({ line: '2', username: 'u00001', result: 'created', duo_user_id: users.get('u00001')!.user_id, error: '' });

    const again = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', ...FAST], { env: duo.env() });
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toMatch(/resumed import .* created 1,000/);
    expect(duo.users.size).toBe(1000);
    expect(duo.appliedWrites).toBe(20);
  });

  it('an application without permission for the bulk endpoint (403): the same fallback, not an auth failure', async () => {
    duo.bulkAnswer = 'forbidden';
    const dir = tmpFiles({ 'users.csv': usersCsv(150) });
    const run = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', ...FAST], { env: duo.env() });
    expect(run.stderr).toMatch(/Duo refused its bulk endpoint \(.*lacks a permission.*\): going on with single calls/);
    expect(run.stderr).toMatch(/created 150, exists 0, failed 0/);
    expect(run.exitCode).toBe(0);
    expectAllPresentWithAliases(150);
  });

  it('Duo refuses the bulk endpoint: says so once, finishes with single calls, and a resume does the same (journaled)', async () => {
    duo.bulkAnswer = 'refused';
    const dir = tmpFiles({ 'users.csv': usersCsv(300) });
    duo.inject(/^POST \/admin\/v1\/users\/DU\d+$/, 'reset-before', 3);
    const run = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', ...FAST], { env: duo.env() });
    expect(run.stderr.match(/Duo refused its bulk endpoint \(.*Resource not found.*\): going on with single calls/g)).toHaveLength(1);
    expect(run.stderr).toMatch(/created 299, exists 0, failed 1/);
    expect(duo.count('POST', /^\/admin\/v1\/bulk$/)).toBe(1);
    expect(duo.count('POST', /bulk_create$/)).toBe(3);
    const journal = readFileSync(join(dir, 'users.journal.jsonl'), 'utf8');
    expect(journal).toMatch(/"t":"mode","bulk":false/);

    const resumed = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', ...FAST], { env: duo.env() });
    expect(resumed.stderr).toMatch(/created 300, exists 0, failed 0/);
    expect(resumed.stderr).not.toMatch(/bulk endpoint/);
    expect(duo.count('POST', /^\/admin\/v1\/bulk$/)).toBe(1);
    expectAllPresentWithAliases(300);
  });

  it('--no-bulk: one bulk_create per 100 users, then one alias call per user', async () => {
    const dir = tmpFiles({ 'users.csv': usersCsv(200) });
    const run = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--no-bulk', ...FAST], { env: duo.env() });
    expect(run.stderr).toMatch(/created 200, exists 0, failed 0/);
    expect([duo.count('POST', /bulk_create$/), duo.count('POST', /^\/admin\/v1\/users\/DU/), duo.count('POST', /^\/admin\/v1\/bulk$/)]).toEqual([2, 200, 0]);
    expectAllPresentWithAliases(200);
  });

  it('leaves existing users untouched and fails the email-username collision with a clear reason', async () => {
    const existing = duo.seed({ username: 'adavis', email: 'alice@example.com' }, ['alice@example.com']);
    const collision = duo.seed({ username: 'jfoo@example.com', email: 'jfoo@example.com' });
    const dir = tmpFiles({ 'users.csv': 'username,email,alias1\nadavis,alice@example.com,alice.davis@example.com\njfoo,jfoo@example.com,jfoo@example.com\nbbrown,bob@example.com,bob@example.com\n' });
    const run = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', ...FAST], { env: duo.env() });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/created 1, exists 1, failed 1/);
    const rows = results(join(dir, 'users.results.csv'));
    expect(rows.map((r) => [r.username, r.result, r.duo_user_id])).toEqual([
      ['adavis', 'exists', existing.user_id], ['jfoo', 'failed', collision.user_id], ['bbrown', 'created', duo.byUsername().get('bbrown')!.user_id],
    ]);
    // The plan's words: the same person already in Duo under its email, to be renamed by migrate.
    expect(rows[1]!.error).toBe(`Duo user "jfoo@example.com" (${collision.user_id}) is this person (matched by alias "jfoo@example.com"): ` +
      'rename to "jfoo" with aliases [jfoo@example.com]. Run "duo-bridge migrate" first: import never creates a second user for a person Duo already has');
    expect(existing.aliases).toEqual({ alias1: 'alice@example.com' });
    expect(duo.byUsername().has('jfoo')).toBe(false);
  });

  it('refuses an invalid file, or imports the valid rows with --skip-invalid', async () => {
    const dir = tmpFiles({ 'users.csv': 'username,email\na,a@example.com\n,blank@example.com\nb,b@example.com\nB,dup@example.com\n' });
    const refused = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', ...FAST], { env: duo.env() });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/has 3 errors; nothing was imported/);
    expect(refused.stdout).toMatch(/BLANK_USERNAME/);
    expect(duo.log).toHaveLength(0);

    const skipping = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--skip-invalid', ...FAST], { env: duo.env() });
    expect(skipping.exitCode).toBe(1);
    expect([...duo.byUsername().keys()]).toEqual(['a']);
    const rejected = parse(readFileSync(join(dir, 'users.rejected.csv')), { bom: true, columns: true }) as Record<string, string>[];
    expect(rejected.map((r) => [r.line, r.username, r.reason!.split(':')[0]])).toEqual([['3', '', 'BLANK_USERNAME'], ['4', 'b', 'DUPLICATE_USERNAME'], ['5', 'B', 'DUPLICATE_USERNAME']]);
    expect(results(join(dir, 'users.results.csv')).map((r) => r.result)).toEqual(['created', 'skipped', 'skipped', 'skipped']);
  });

  it('a wrong secret key: exit 3, one line naming the cause, no results file', async () => {
    const dir = tmpFiles({ 'users.csv': usersCsv(3) });
    const run = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', ...FAST], { env: { ...duo.env(), DUO_SKEY: 'wrong' } });
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/^duo-bridge: Duo refused our credentials: the signature is not valid: check DUO_SKEY.*\n$/);
    expect(run.stderr).not.toContain('wrong');
    expect(existsSync(join(dir, 'users.results.csv'))).toBe(false);
  });

  it('an unknown integration key and an unreachable host: exit 3', async () => {
    const dir = tmpFiles({ 'users.csv': usersCsv(3) });
    const ikey = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', ...FAST], { env: { ...duo.env(), DUO_IKEY: 'DIWRONG' } });
    expect([ikey.exitCode, ikey.stderr]).toEqual([3, 'duo-bridge: Duo refused our credentials: the integration key (DUO_IKEY) is not valid\n']);
    const closed = await new FakeDuo().start();
    await closed.stop();
    const port = new URL(closed.url).port;
    const down = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', ...FAST], { env: { ...duo.env(), DUO_HOST: closed.url } });
    expect([down.exitCode, down.stderr]).toEqual([3, `duo-bridge: cannot reach Duo at 127.0.0.1:${port} (ECONNREFUSED)\n`]);
  });
});
