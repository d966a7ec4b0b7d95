import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeDuo } from '../fake-duo/fake-duo.js';
import { killSchedule, runKilledAtWrite } from '../helpers/kill-at-write.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';

const FAST = ['--rate', '100000', '--timeout', '5'];

/** Duo's own example on its "Import Users" page (duo.com/docs/importing-users), its first four users: jack has hardware token 101222, an HOTP-6. */
const DUO_EXAMPLE = [
  'username,realname,alias1,alias2,email,status,phone1,platform1,phone2,platform2,group1,group2,notes,token1,type1',
  'jason,Jason Liu,jason@example.com,smithj3,jason@example.com,active,734-555-1234,iphone,734-555-3232,mobile,StdUsers,,,,',
  'sally,Sally Jones,sally@example.com,joness5,sally@example.com,disabled,(734)-555-1235,android,(734)-555-4343,landline,StdUsers,,activate account after Dec 4,,',
  'jack,Jack Cruz,jack@example.com,,jack@example.com,bypass,+17345554322,smartphone,,,StdUsers,NetAdmins,,101222,h6',
  'sarah,Sarah James,sarah@example.com,,sarah@example.com,active,(734) 555-2235,iphone,(734) 555-3302 x3243,landline,StdUsers,,,,',
].join('\r\n') + '\r\n';

const US = ['--default-country', 'US', '--create-groups'];
const validate = async (file: string, ...args: string[]) => JSON.parse((await runCli(['validate', file, '--format', 'json', ...args])).stdout);

let duo: FakeDuo;
beforeEach(async () => {
  duo = await new FakeDuo().start();
});
afterEach(async () => {
  await duo.stop();
});

describe('hardware tokens: validate', () => {
  it('Duo\'s example passes: token1 and type1 are Duo columns, not "unknown"', async () => {
    const dir = tmpFiles({ 'duo.csv': DUO_EXAMPLE });
    const report = await validate(join(dir, 'duo.csv'), '--default-country', 'US');
    expect(report.findings).toEqual([]);
    expect(report.errors).toBe(0);
  });

  it('names each token mistake by line and cell, with the code to write', async () => {
    const dir = tmpFiles({
      't.csv': [
        'username,token1,type1,token2,type2,type7',
        'a,101,HOTP-6,,,', // a type in words: h6 is the code
        'b,102,,,,', // no type
        'c,,h8,,,', // a type without a serial
        'd,103,h6,103,H6,', // the same token twice on a row (codes in any case)
        'e,104,yk,,,',
        'f,104,yk,,,', // the same token on two rows
        'g,104,h6,,,', // another type with that serial: another token
        'h,105,zz,,,',
      ].join('\r\n') + '\r\n',
    });
    const report = await validate(join(dir, 't.csv'));
    expect(report.findings.map((f: any) => [f.code, f.line, f.column, f.value])).toEqual([
      ['TYPE_WITHOUT_TOKEN', 1, 'type7', null],
      ['INVALID_TOKEN_TYPE', 2, 'type1', 'HOTP-6'],
      ['INVALID_TOKEN_TYPE', 3, 'type1', '102'],
      ['TOKEN_WITHOUT_SERIAL', 4, 'type1', 'h8'],
      ['DUPLICATE_TOKEN', 5, 'token2', '103'],
      ['SHARED_TOKEN', 6, 'token1', '104'],
      ['SHARED_TOKEN', 7, 'token1', '104'],
      ['INVALID_TOKEN_TYPE', 9, 'type1', 'zz'],
    ]);
    const byLine = (line: number) => report.findings.find((f: any) => f.line === line);
    expect(byLine(3).message).toBe('hardware token 102 has no type in type1: Duo finds a token by its type and serial');
    const text = (await runCli(['validate', join(dir, 't.csv')])).stdout;
    expect(text).toContain('fix: write h6, Duo\'s code for HOTP-6');
    expect(text).toContain('fix: write one of h6 (HOTP-6), h8 (HOTP-8), t6 (TOTP-6), t8 (TOTP-8), yk (YubiKey AES), d1 (Duo-D100) in type1');
    expect(byLine(6).message).toBe('hardware token 104 is also on line 7: a token is one person\'s, and Duo attaches it to one user');
    expect(report.errors).toBe(6);
  });

  it('token101 is past Duo\'s 100 tokens a user', async () => {
    const dir = tmpFiles({ 't.csv': 'username,token101,type101\r\na,1,h6\r\n' });
    expect((await validate(join(dir, 't.csv'))).findings.map((f: any) => f.code)).toEqual(['TOO_MANY_TOKENS', 'TOO_MANY_TOKENS']);
  });
});

describe('hardware tokens: plan, import, rollback', () => {
  it('plan: a token Duo has is attached; one it lacks, or that another user holds, is a conflict that says so', async () => {
    const dir = tmpFiles({ 'duo.csv': DUO_EXAMPLE });
    const missing = JSON.parse((await runCli(['plan', join(dir, 'duo.csv'), '--format', 'json', ...US, ...FAST], { env: duo.env() })).stdout);
    expect(missing.rows.find((r: any) => r.username === 'jack')).toMatchObject({
      action: 'conflict', reason: 'Duo has no HOTP-6 token with serial 101222 (type h6); fix: add it under 2FA Devices → Hardware Tokens in the Duo Admin Panel, then run again',
    });

    const token = duo.seedToken('h6', '101222');
    const plan = JSON.parse((await runCli(['plan', join(dir, 'duo.csv'), '--format', 'json', ...US, ...FAST], { env: duo.env() })).stdout);
    expect(plan.summary).toMatchObject({ create: 4, conflict: 0 });
    expect(plan.rows.find((r: any) => r.username === 'jack')).toMatchObject({ action: 'create', add_tokens: ['h6 101222'], reason: expect.stringContaining('adds hardware token 101222 (h6)') });
    await runCli(['plan', join(dir, 'duo.csv'), '--out', join(dir, 'plan.csv'), ...US, ...FAST], { env: duo.env() });
    const planCsv = parse(readFileSync(join(dir, 'plan.csv')), { bom: true, columns: true }) as Record<string, string>[];
    expect(planCsv.find((r) => r.username === 'jack')!.add_tokens).toBe('h6 101222');

    // The same token, now on another user's keyring.
    const holder = duo.seed({ username: 'jcruz-old' });
    duo.tokens.delete(token.token_id);
    duo.seedToken('h6', '101222', [holder.user_id]);
    const held = JSON.parse((await runCli(['plan', join(dir, 'duo.csv'), '--format', 'json', ...US, ...FAST], { env: duo.env() })).stdout);
    expect(held.rows.find((r: any) => r.username === 'jack').reason)
      .toBe(`h6 token 101222 is attached to Duo user "jcruz-old" (${holder.user_id}): a hardware token is one person's; fix: detach it from that user in Duo first, or take it off the row`);
  });

  it('import --apply attaches jack\'s token once; a second run changes nothing; rollback detaches it before the users go to the Trash', async () => {
    const token = duo.seedToken('h6', '101222');
    const dir = tmpFiles({ 'duo.csv': DUO_EXAMPLE });
    const run = await runCli(['import', join(dir, 'duo.csv'), '--apply', '--yes', ...US, ...FAST], { env: duo.env() });
    expect(run.exitCode).toBe(0);
    const jack = duo.byUsername().get('jack')!;
    expect(duo.tokensOf(jack.user_id).map((t) => t.token_id)).toEqual([token.token_id]);
    expect(token.users).toEqual([jack.user_id]);
    const results = parse(readFileSync(join(dir, 'duo.results.csv')), { bom: true, columns: true }) as Record<string, string>[];
    expect(results.find((r) => r.username === 'jack')).toMatchObject({ token1: '101222', type1: 'h6', result: 'created' });
    const journal = readFileSync(join(dir, 'duo.journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(journal.filter((r) => r.op === 'token_attach')).toEqual([expect.objectContaining({ user_id: jack.user_id, token_id: token.token_id })]);

    const again = await runCli(['import', join(dir, 'duo.csv'), '--apply', '--yes', '--journal', join(dir, 'again.jsonl'), ...US, ...FAST], { env: duo.env() });
    expect(again.stderr).toMatch(/exists 4/);
    expect(token.users).toEqual([jack.user_id]);

    const dry = await runCli(['rollback', '--journal', join(dir, 'duo.journal.jsonl'), ...FAST], { env: duo.env() });
    expect(dry.stdout).toContain('detach 1 hardware token it attached');
    const preview = JSON.parse((await runCli(['rollback', '--journal', join(dir, 'duo.journal.jsonl'), '--format', 'json', ...FAST], { env: duo.env() })).stdout);
    expect(preview.detach_tokens).toEqual([{ user_id: jack.user_id, token_id: token.token_id }]);
    const rollback = await runCli(['rollback', '--journal', join(dir, 'duo.journal.jsonl'), '--apply', '--yes', ...FAST], { env: duo.env() });
    expect(rollback.exitCode).toBe(0);
    // A trashed user could still sign in with it until Duo purges the user: the token comes off first, and stays in Duo.
    expect(token.users).toEqual([]);
    expect(duo.tokens.has(token.token_id)).toBe(true);
    expect(jack.status).toBe('pending deletion');
  });

  it('a token Duo lacks fails jack\'s row alone: the others are imported, and the row says what to do', async () => {
    const dir = tmpFiles({ 'duo.csv': DUO_EXAMPLE });
    const run = await runCli(['import', join(dir, 'duo.csv'), '--apply', '--yes', ...US, ...FAST], { env: duo.env() });
    expect(run.exitCode).toBe(1);
    const results = parse(readFileSync(join(dir, 'duo.results.csv')), { bom: true, columns: true }) as Record<string, string>[];
    expect(results.map((r) => [r.username, r.result])).toEqual([['jason', 'created'], ['sally', 'created'], ['jack', 'failed'], ['sarah', 'created']]);
    expect(results[2]!.error).toContain('Duo has no HOTP-6 token with serial 101222');
    expect(duo.byUsername().has('jack')).toBe(false);
  });

  it('an attach whose answer is lost is settled by reading the user back: attached once, and still undone by rollback', async () => {
    const token = duo.seedToken('h6', '101222');
    duo.inject(/^POST \/admin\/v1\/users\/[A-Z0-9]+\/tokens$/, 'reset-after');
    const dir = tmpFiles({ 'duo.csv': DUO_EXAMPLE });
    const run = await runCli(['import', join(dir, 'duo.csv'), '--apply', '--yes', ...US, ...FAST], { env: duo.env() });
    expect(run.exitCode).toBe(0);
    const jack = duo.byUsername().get('jack')!;
    expect(token.users).toEqual([jack.user_id]);
    const journal = readFileSync(join(dir, 'duo.journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const attach = journal.find((r) => r.op === 'token_attach');
    expect(journal.find((r) => r.t === 'outcome' && r.id === attach.id)).toMatchObject({ status: 'unknown' });
    expect(journal.filter((r) => r.op === 'token_attach')).toHaveLength(1);
    await runCli(['rollback', '--journal', join(dir, 'duo.journal.jsonl'), '--apply', '--yes', ...FAST], { env: duo.env() });
    expect(token.users).toEqual([]);
  });

  it('runs killed at the k-th write, then one to the end: every token attached once; rollback detaches them all', async () => {
    const USERS = 80;
    const lines = ['username,email,token1,type1'];
    const tokens = [];
    for (let i = 1; i <= USERS; i++) {
      lines.push(`t${i},t${i}@example.com,${900000 + i},${i % 2 === 0 ? 'h6' : 'yk'}`);
      tokens.push(duo.seedToken(i % 2 === 0 ? 'h6' : 'yk', String(900000 + i)));
    }
    const input = join(tmpFiles({ 'users.csv': lines.join('\r\n') + '\r\n' }), 'users.csv');
    const args = ['import', input, '--apply', '--yes', ...FAST];
    // One bulk_create, then an attach per user: kills land on the creates and on the attaches.
    for (const { k, point } of killSchedule(8, 12)) {
      const { killed } = await runKilledAtWrite(duo, args, k, point);
      expect(killed).toBe(true);
    }
    const last = await runCli(args, { env: duo.env() });
    expect(last.stderr).toMatch(/failed 0, skipped 0/);
    const users = duo.byUsername();
    for (let i = 1; i <= USERS; i++) expect(tokens[i - 1]!.users).toEqual([users.get(`t${i}`)!.user_id]);
    const rollback = await runCli(['rollback', '--journal', input.replace(/\.csv$/, '.journal.jsonl'), '--apply', '--yes', ...FAST], { env: duo.env() });
    expect(rollback.exitCode).toBe(0);
    expect(tokens.filter((t) => t.users.length > 0)).toEqual([]);
  }, 120_000);
});

describe('hardware tokens: migrate', () => {
  it('a user renamed in place gets its row\'s token; rollback detaches it and gives the old name back', async () => {
    const old = duo.seed({ username: 'jack@example.com', email: 'jack@example.com' });
    const token = duo.seedToken('h6', '101222');
    const dir = tmpFiles({ 'users.csv': 'username,email,alias1,token1,type1\r\njack,jack@example.com,jack@example.com,101222,h6\r\n' });
    const migrate = await runCli(['migrate', join(dir, 'users.csv'), '--apply', '--yes', ...FAST], { env: duo.env() });
    expect(migrate.exitCode).toBe(0);
    expect([old.username, token.users]).toEqual(['jack', [old.user_id]]);
    const rollback = await runCli(['rollback', '--journal', join(dir, 'users.migrate.jsonl'), '--apply', '--yes', ...FAST], { env: duo.env() });
    expect(rollback.exitCode).toBe(0);
    expect([old.username, token.users]).toEqual(['jack@example.com', []]);
  });
});

describe('hardware tokens: Duo\'s CSV, offline batches, snapshots', () => {
  it('--duo-csv writes token1/type1 as Duo\'s importer reads them; offline batches say the token is left out', async () => {
    const dir = tmpFiles({ 'duo.csv': DUO_EXAMPLE });
    const batches = await runCli(['import', join(dir, 'duo.csv'), '--out-dir', join(dir, 'b'), '--default-country', 'US']);
    expect(batches.stderr).toContain('warning: bulk_create carries users only: 5 group memberships (4 users), 7 phones (4 users) and 1 hardware token (1 user) are not in the batch files');
    await runCli(['import', join(dir, 'duo.csv'), '--duo-csv', join(dir, 'for-duo.csv'), '--default-country', 'US']);
    const rows = parse(readFileSync(join(dir, 'for-duo.csv')), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!).slice(-2)).toEqual(['token1', 'type1']);
    expect(rows.map((r) => [r.username, r.token1, r.type1])).toEqual([['jason', '', ''], ['sally', '', ''], ['jack', '101222', 'h6'], ['sarah', '', '']]);
    expect((await validate(join(dir, 'for-duo.csv'))).errors).toBe(0);
  });

  it('tenant export keeps the tenant\'s tokens; plan --tenant checks the rows\' tokens against them; an older snapshot gets a note', async () => {
    const holder = duo.seed({ username: 'keeper' });
    duo.seedToken('h6', '101222', [holder.user_id]);
    duo.seedToken('yk', '555');
    const dir = tmpFiles({ 'duo.csv': DUO_EXAMPLE });
    expect((await runCli(['tenant', 'export', '--out', join(dir, 'tenant.json')], { env: duo.env() })).exitCode).toBe(0);
    const snapshot = JSON.parse(readFileSync(join(dir, 'tenant.json'), 'utf8'));
    expect(snapshot.tokens.map((t: any) => [t.type, t.serial])).toEqual([['h6', '101222'], ['yk', '555']]);
    expect(snapshot.users[0].tokens).toEqual([expect.objectContaining({ type: 'h6', serial: '101222' })]);
    const plan = JSON.parse((await runCli(['plan', join(dir, 'duo.csv'), '--tenant', join(dir, 'tenant.json'), '--format', 'json', ...US])).stdout);
    expect(plan.rows.find((r: any) => r.username === 'jack').reason).toContain('is attached to Duo user "keeper"');

    delete snapshot.tokens;
    writeFileSync(join(dir, 'old.json'), JSON.stringify(snapshot));
    const old = await runCli(['plan', join(dir, 'duo.csv'), '--tenant', join(dir, 'old.json'), ...US]);
    expect(old.stderr).toContain('lists no hardware tokens');
    // The simulator seeded from the snapshot has the same tokens, attached as they were.
    const copy = await new FakeDuo().start();
    try {
      copy.seedSnapshot(JSON.parse(readFileSync(join(dir, 'tenant.json'), 'utf8')));
      expect([...copy.tokens.values()].map((t) => [t.serial, t.users])).toEqual([['101222', [holder.user_id]], ['555', []]]);
    } finally {
      await copy.stop();
    }
  });
});
