import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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

const FAST = ['--rate', '100000', '--timeout', '5'];
const cli = (args: string[], env: NodeJS.ProcessEnv = duo.env()) => runCli([...args, ...FAST], { env });
const results = (path: string): Record<string, string>[] => parse(readFileSync(path), { bom: true, columns: true }) as Record<string, string>[];
const journalLines = (path: string): any[] => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('never the wrong tenant', () => {
  it('--duo-config wins over DUO_IKEY, and a config host that differs from DUO_HOST is refused naming both (exit 2)', async () => {
    const other = await new FakeDuo({ ikey: 'DIOTHERTENANTKEY0000' }).start();
    try {
      const dir = tmpFiles({ 'users.csv': usersCsv(2), 'prod.json': JSON.stringify({ host: duo.url, ikey: duo.ikey }) });
      const prod = join(dir, 'prod.json');
      // A shell still holding the other tenant's variables.
      const clash = await cli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--duo-config', prod], other.env());
      expect(clash.exitCode).toBe(2);
      expect(clash.stderr).toBe(`duo-bridge: two Duo tenants named: ${new URL(duo.url).host} in --duo-config ${prod} and ${new URL(other.url).host} in DUO_HOST; ` +
        'unset DUO_HOST (and DUO_IKEY, DUO_SKEY) or drop --duo-config\n');
      expect(duo.log.length + other.log.length).toBe(0);

      // Same host in both, another ikey in the environment: the file named on the command line wins.
      const run = await cli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--duo-config', prod], { DUO_HOST: duo.url, DUO_IKEY: other.ikey, DUO_SKEY: duo.skey });
      expect(run.exitCode).toBe(0);
      expect(duo.users.size).toBe(2);
      expect(other.log).toHaveLength(0);
    } finally {
      await other.stop();
    }
  });
});

describe('validate and import agree', () => {
  it('an alias equal to its own username is a warning in validate, and import drops it (and only it) before anything is sent', async () => {
    const dir = tmpFiles({ 'users.csv': 'username,email,alias1,alias2\njdoe,jdoe@example.com,JDoe,jdoe@example.com\nann,ann@example.com,ann@example.com,\n' });
    const csv = join(dir, 'users.csv');
    const validate = await runCli(['validate', csv, '--format', 'json']);
    expect(validate.exitCode).toBe(0);
    expect(JSON.parse(validate.stdout).findings.map((f: any) => [f.code, f.severity])).toEqual([['ALIAS_SAME_AS_USERNAME', 'warning']]);

    const run = await cli(['import', csv, '--apply', '--yes']);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toMatch(/created 2, exists 0, failed 0/);
    expect(run.stderr).toMatch(/note: 1 alias equal to its own row's username was left out/);
    expect(duo.byUsername().get('jdoe')!.aliases).toEqual({ alias2: 'jdoe@example.com' });
    expect(results(join(dir, 'users.results.csv'))[0]).toMatchObject({ result: 'created', note: 'alias1 "JDoe" left out: it equals the username' });

    const batches = await runCli(['import', csv, '--out-dir', join(dir, 'batches')]);
    expect(batches.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'batches', 'batch-0001.json'), 'utf8')).users[0].aliases).toEqual({ alias2: 'jdoe@example.com' });
  });

  it('names that Duo answers over several pages are all found (metadata.next_offset is followed)', async () => {
    for (let i = 1; i <= 30; i++) duo.seed({ username: `u${String(i).padStart(5, '0')}` });
    duo.defaultLimit = 7;
    const run = await cli(['import', join(tmpFiles({ 'users.csv': usersCsv(30) }), 'users.csv'), '--apply', '--yes']);
    expect(run.stderr).toMatch(/created 0, exists 30, failed 0/);
    expect(duo.users.size).toBe(30);
  });

  it('import takes --max-aliases like validate', async () => {
    const dir = tmpFiles({ 'users.csv': usersCsv(3) });
    const run = await cli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--max-aliases', '1']);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/has 1 error; nothing was imported/);
    expect(run.stdout).toMatch(/TOO_MANY_ALIASES/);
  });
});

describe('the plan shown before an import', () => {
  it('costs the batch lookups, not a read of the whole tenant, and a resume does not pay for it again', async () => {
    for (let i = 1; i <= 1_000; i++) duo.seed({ username: `other${i}`, email: `other${i}@example.com` });
    const csv = join(tmpFiles({ 'users.csv': usersCsv(150) }), 'users.csv');
    // The single-call path, where three lost alias calls leave rows for a resume to finish.
    duo.inject(/^POST \/admin\/v1\/users\/DU\d+$/, 'reset-before', 3);
    const first = await cli(['import', csv, '--apply', '--yes', '--no-bulk']);
    expect(first.stderr).toMatch(/plan for .*: create 150 · unchanged 0/);
    // 150 rows, ~350 names: 4 username_list lookups for the preview; never a page of the whole tenant.
    const listings = duo.log.filter((r) => r.method === 'GET' && r.path === '/admin/v1/users');
    expect(listings.length).toBeLessThan(20);
    expect(first.exitCode).toBe(1);

    const before = duo.log.length;
    const resumed = await cli(['import', csv, '--apply', '--yes', '--no-bulk']);
    expect(resumed.stderr).toMatch(/resuming the import recorded in/);
    expect(resumed.stderr).not.toMatch(/plan for/);
    expect(resumed.stderr).toMatch(/created 150, exists 0, failed 0/);
    expect(duo.log.length - before).toBeLessThan(20);
  });

  it('a row that failed for a reason since fixed in Duo is tried again, and the output agrees with itself', async () => {
    const holder = duo.seed({ username: 'someone' }, ['u00002@example.com']);
    const csv = join(tmpFiles({ 'users.csv': usersCsv(2) }), 'users.csv');
    const first = await cli(['import', csv, '--apply', '--yes']);
    expect(first.stderr).toMatch(/plan for .*: create 1 · unchanged 0 · update 0 · migrate 1 · conflict 0/);
    expect(first.stderr).toMatch(/created 1, exists 0, failed 1/);
    // The admin frees the alias in Duo.
    duo.users.delete(holder.user_id);
    duo.engine.state.names.delete('someone');
    duo.engine.state.names.delete('u00002@example.com');
    const second = await cli(['import', csv, '--apply', '--yes']);
    expect(second.stderr).toMatch(/created 2, exists 0, failed 0/);
    expect(duo.byUsername().get('u00002')!.aliases).toEqual({ alias1: 'u00002@example.com' });
  });

  it('without a terminal, --apply without --yes is refused before anything is read or written (exit 2)', async () => {
    const dir = tmpFiles({ 'users.csv': usersCsv(2) });
    for (const args of [['import', join(dir, 'users.csv'), '--apply'], ['migrate', join(dir, 'users.csv'), '--apply']]) {
      const run = await cli(args);
      expect([run.exitCode, run.stderr]).toEqual([2, 'duo-bridge: no terminal to confirm on: add --yes to apply without a prompt; nothing was changed\n']);
    }
    expect(duo.log).toHaveLength(0);
    expect(existsSync(join(dir, 'users.journal.jsonl'))).toBe(false);
  });

  it('tenant export --out DIR is refused before Duo is called (exit 2)', async () => {
    const dir = tmpFiles();
    const run = await cli(['tenant', 'export', '--out', dir]);
    expect([run.exitCode, run.stderr]).toEqual([2, `duo-bridge: --out ${dir}: is a directory; name the file to write\n`]);
    expect(duo.log).toHaveLength(0);
  });

  it('--rate abc names what was typed', async () => {
    const run = await runCli(['tenant', 'export', '--out', join(tmpFiles(), 't.json'), '--rate', 'abc'], { env: duo.env() });
    expect([run.exitCode, run.stderr]).toEqual([2, 'duo-bridge: --rate must be a whole number from 1 to 100000, got "abc"\n']);
  });
});

describe('rollback', () => {
  it('is resumable and idempotent: a second run sends nobody to the Trash again; the Trash period is the tenant\'s', async () => {
    duo.settings.pending_deletion_days = 30;
    const dir = tmpFiles({ 'users.csv': usersCsv(5) });
    expect((await cli(['import', join(dir, 'users.csv'), '--apply', '--yes'])).exitCode).toBe(0);
    const journal = join(dir, 'users.journal.jsonl');
    // The first rollback loses the answer of its only call: the journal says "unknown".
    duo.inject(/bulk_send_to_trash$/, 'reset-after', 1);
    const lost = await cli(['rollback', '--journal', journal, '--apply', '--yes']);
    expect(lost.exitCode).toBe(0);
    expect(lost.stderr).toMatch(/disabled 5 users, sent 5 to the Trash, 0 were already there, 0 failed/);
    expect(lost.stdout).toMatch(/Duo keeps users in its Trash for 30 days \(the tenant's pending_deletion_days\)/);
    const writes = duo.appliedWrites;
    const again = await cli(['rollback', '--journal', journal, '--apply', '--yes']);
    expect(again.stderr).toMatch(/disabled 0 users, sent 0 to the Trash, 5 were already there, 0 failed/);
    expect(duo.appliedWrites).toBe(writes);
    const records = journalLines(join(dir, 'users.journal.rollback.jsonl'));
    // The disable (bulk, answered), then the Trash call whose answer was lost.
    expect(records.filter((r) => r.t === 'outcome').map((r) => r.status)).toEqual(['ok', 'unknown']);
    const third = await cli(['rollback', journal]);
    expect(third.stdout).toMatch(/disable 5 users it created or restored and send them to Duo's Trash/);
  });

  it('journals a refused call and exits 1; the next run retries only what failed', async () => {
    const dir = tmpFiles({ 'users.csv': usersCsv(3) });
    await cli(['import', join(dir, 'users.csv'), '--apply', '--yes']);
    duo.inject(/bulk_send_to_trash$/, 'refuse', 1);
    const refused = await cli(['rollback', '--journal', join(dir, 'users.journal.jsonl'), '--apply', '--yes']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/disabled 3 users, sent 0 to the Trash, 0 were already there, 3 failed/);
    const retried = await cli(['rollback', '--journal', join(dir, 'users.journal.jsonl'), '--apply', '--yes']);
    expect(retried.stderr).toMatch(/disabled 0 users, sent 3 to the Trash, 0 were already there, 0 failed/);
    expect([...duo.users.values()].every((u) => u.status === 'pending deletion')).toBe(true);
  });

  it('a journal that does not exist is "no such file" (exit 2) and is not created; a migrate dry run leaves no journal', async () => {
    const dir = tmpFiles({ 'users.csv': usersCsv(2) });
    const typo = join(dir, 'typo.jsonl');
    const run = await cli(['rollback', '--journal', typo]);
    expect([run.exitCode, run.stderr]).toEqual([2, `duo-bridge: journal ${typo}: no such file\n`]);
    expect(existsSync(typo)).toBe(false);
    duo.seed({ username: 'u00001@example.com', email: 'u00001@example.com' });
    const dry = await cli(['migrate', join(dir, 'users.csv')]);
    expect(dry.stdout).toMatch(/migrate 1/);
    expect(existsSync(join(dir, 'users.migrate.jsonl'))).toBe(false);
  });
});

describe('a sync that Duo still remembers', () => {
  it('is a conflict by default, naming --assert-sync-deleted; with it migrate goes ahead and the journal records the assertion', async () => {
    for (let i = 1; i <= 3; i++) duo.seed({ username: `u0000${i}@example.com`, email: `u0000${i}@example.com`, last_directory_sync: 1_700_000_000 });
    const dir = tmpFiles({ 'users.csv': usersCsv(3) });
    writeFileSync(join(dir, 'users.csv'), 'username,email,alias1\n' + [1, 2, 3].map((i) => `u0000${i},u0000${i}@example.com,u0000${i}@example.com`).join('\n') + '\n');
    const plan = await cli(['plan', join(dir, 'users.csv'), '--format', 'json']);
    expect(plan.exitCode).toBe(1);
    expect(JSON.parse(plan.stdout).rows[0].reason).toMatch(/managed by a directory sync .* re-run with --assert-sync-deleted/);

    const migrate = await cli(['migrate', join(dir, 'users.csv'), '--apply', '--yes', '--assert-sync-deleted']);
    expect(migrate.exitCode).toBe(0);
    expect(migrate.stderr).toMatch(/migrated 3 users, 0 failed/);
    expect(journalLines(join(dir, 'users.migrate.jsonl'))[0]).toMatchObject({ t: 'start', assertions: [expect.stringMatching(/^--assert-sync-deleted: the directory sync that created these users is deleted$/)] });
  });
});
