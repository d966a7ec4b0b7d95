import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { FakeDuo } from '../fake-duo/fake-duo.js';
import { clientFor } from '../helpers/fake-client.js';
import { runKilledAtWrite } from '../helpers/kill-at-write.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';
import { usersCsv } from '../helpers/users-csv.js';

// Issue 16: one journal, one truth. Each test names the item it pins down.

let duo: FakeDuo;
const others: FakeDuo[] = [];
beforeEach(async () => {
  duo = await new FakeDuo().start();
});
afterEach(async () => {
  await duo.stop();
  for (const other of others.splice(0)) await other.stop();
});

const FAST = ['--rate', '100000', '--timeout', '5'];
const cli = (args: string[], env: NodeJS.ProcessEnv = duo.env()) => runCli([...args, ...FAST], { env });
const journalLines = (path: string): any[] => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const results = (path: string): Record<string, string>[] => parse(readFileSync(path), { bom: true, columns: true }) as Record<string, string>[];
const ours = (): string[] => [...duo.users.values()].filter((u) => /^u0\d{4}$/.test(u.username)).map((u) => u.username).sort();
const writesTo = (fake: FakeDuo): number => fake.log.filter((r) => r.method !== 'GET').length;

describe('1. a journal is bound to its tenant', () => {
  it('resume, rollback and its preview refuse a journal of another Duo host (exit 2, naming both), before anything is read or written', async () => {
    const other = await new FakeDuo({ ikey: duo.ikey, skey: duo.skey }).start();
    others.push(other);
    const dir = tmpFiles({ 'users.csv': usersCsv(3) });
    const journal = join(dir, 'users.journal.jsonl');
    expect((await cli(['import', join(dir, 'users.csv'), '--apply', '--yes'])).exitCode).toBe(0);
    // The same users exist in the other tenant (a rehearsal's copy): the ids in the journal would match.
    for (const user of duo.users.values()) other.seed({ ...structuredClone(user) }, Object.values(user.aliases));
    const [hostA, hostB] = [new URL(duo.url).host, new URL(other.url).host];
    for (const args of [['rollback', journal, '--apply', '--yes'], ['rollback', journal], ['import', join(dir, 'users.csv'), '--apply', '--yes']]) {
      const run = await cli(args, other.env());
      expect([args[0], run.exitCode]).toEqual([args[0], 2]);
      expect(run.stderr).toBe(`duo-bridge: journal ${journal} records a run against Duo host ${hostA}, not ${hostB}: it can only be resumed or rolled back there (check DUO_HOST or --duo-config)\n`);
    }
    expect(writesTo(other)).toBe(0);
    expect([...other.users.values()].every((u) => u.status === 'active')).toBe(true);
  });
});

describe('2 and 6b. rollback straight after a crash', () => {
  it.each(['bulk', 'single'])('settles the unanswered create by reading Duo, then disables the users and sends them to the Trash (%s path)', async (path) => {
    const dir = tmpFiles({ 'users.csv': usersCsv(6) });
    const extra = path === 'single' ? ['--no-bulk'] : [];
    // Killed once Duo applied the first write (the users' create), before its answer arrived.
    const { killed } = await runKilledAtWrite(duo, ['import', join(dir, 'users.csv'), '--apply', '--yes', ...extra, ...FAST], 1, 'after');
    expect(killed).toBe(true);
    expect(ours()).toHaveLength(6);
    const journal = journalLines(join(dir, 'users.journal.jsonl'));
    expect(journal.filter((r) => r.t === 'outcome')).toEqual([]);

    const preview = await cli(['rollback', join(dir, 'users.journal.jsonl')]);
    expect(preview.stdout).toMatch(/and 6 creates whose answer was lost: --apply reads Duo first/);
    const statuses: string[] = [];
    duo.onApplied = (write) => {
      if (write.path === '/admin/v1/bulk') statuses.push(...(JSON.parse(write.params.operations!) as { body: { status?: string } }[]).map((o) => o.body.status ?? ''));
      if (write.path.endsWith('bulk_send_to_trash')) statuses.push('trash');
    };
    const rollback = await cli(['rollback', join(dir, 'users.journal.jsonl'), '--apply', '--yes']);
    expect(rollback.exitCode).toBe(0);
    expect(rollback.stderr).toMatch(/disabled 6 users, sent 6 to the Trash/);
    // Disabled before the Trash: a trashed user can still sign in until Duo purges it.
    expect(statuses).toEqual([...Array(6).fill('disabled'), 'trash']);
    expect([...duo.users.values()].every((u) => u.status === 'pending deletion')).toBe(true);
    // What the rollback learned is the import's: its journal now names the users it created.
    expect(journalLines(join(dir, 'users.journal.jsonl')).filter((r) => r.t === 'claim')).toHaveLength(6);
  });
});

describe('3. a resume never claims a user someone else created', () => {
  it('an unanswered create is the run\'s only inside its time window: another admin\'s user of that name is left alone, by the resume and by rollback', async () => {
    const dir = tmpFiles({ 'users.csv': usersCsv(3) });
    const path = join(dir, 'users.journal.jsonl');
    // Killed with its first write (the users' create) dropped unapplied: the journal holds only the intent.
    expect((await runKilledAtWrite(duo, ['import', join(dir, 'users.csv'), '--apply', '--yes', ...FAST], 1, 'before')).killed).toBe(true);
    expect(ours()).toEqual([]);
    // The crash was an hour ago; since then another admin created u00002.
    const hour = 3_600_000;
    writeFileSync(path, journalLines(path).map((r) => JSON.stringify(r.t === 'intent' ? { ...r, at: r.at - hour, deadline: r.deadline - hour } : r) + '\n').join(''));
    const theirs = duo.seed({ username: 'u00002', realname: 'Someone Else' });

    const resume = await cli(['import', join(dir, 'users.csv'), '--apply', '--yes']);
    expect(resume.stderr).toMatch(/created 2, exists 1/);
    expect(results(join(dir, 'users.results.csv')).map((r) => [r.username, r.result])).toEqual([['u00001', 'created'], ['u00002', 'exists'], ['u00003', 'created']]);
    // The resume's own bulk creates are learned by reading Duo back (claims); the other admin's user is not.
    expect(journalLines(path).filter((r) => r.t === 'claim').map((r) => r.username)).toEqual(['u00001', 'u00003']);
    const rollback = await cli(['rollback', path, '--apply', '--yes']);
    expect(rollback.stderr).toMatch(/disabled 2 users, sent 2 to the Trash/);
    expect(duo.users.get(theirs.user_id)).toMatchObject({ status: 'active', realname: 'Someone Else' });
  });

  it('compares with Duo\'s clock, not this machine\'s: a Duo two minutes ahead still has its users claimed', async () => {
    const ahead = await new FakeDuo({ clockOffsetMs: 120_000 }).start();
    others.push(ahead);
    const dir = tmpFiles({ 'users.csv': usersCsv(4) });
    expect((await runKilledAtWrite(ahead, ['import', join(dir, 'users.csv'), '--apply', '--yes', ...FAST], 1, 'after')).killed).toBe(true);
    const resume = await cli(['import', join(dir, 'users.csv'), '--apply', '--yes'], ahead.env());
    expect(resume.stderr).toMatch(/created 4, exists 0/);
    expect(journalLines(join(dir, 'users.journal.jsonl')).filter((r) => r.t === 'claim')).toHaveLength(4);
  });
});

describe('5. a user in the Trash is its own case', () => {
  it('after a rollback, plan and import call the trashed users a conflict naming --restore-trashed; a resume does not count them done; with the flag they are restored, and rollback sends them back', async () => {
    duo.settings.pending_deletion_days = 30;
    const dir = tmpFiles({ 'users.csv': usersCsv(3) });
    const csv = join(dir, 'users.csv');
    expect((await cli(['import', csv, '--apply', '--yes'])).exitCode).toBe(0);
    expect((await cli(['rollback', join(dir, 'users.journal.jsonl'), '--apply', '--yes'])).exitCode).toBe(0);

    const plan = await cli(['plan', csv, '--format', 'json']);
    expect(plan.exitCode).toBe(1);
    const planned = JSON.parse(plan.stdout);
    expect(planned.summary).toMatchObject({ create: 0, unchanged: 0, conflict: 3 });
    expect(planned.rows[0].reason).toMatch(/is in Duo's Trash, which deletes it for good 30 days after it was trashed; fix: restore it with --restore-trashed/);

    // The same journal: its rows were "created", but their users are in the Trash now.
    const resume = await cli(['import', csv, '--apply', '--yes']);
    expect(resume.exitCode).toBe(1);
    expect(resume.stderr).toMatch(/created 0, exists 0, failed 3/);

    const fresh = await cli(['import', csv, '--apply', '--yes', '--journal', join(dir, 'again.jsonl')]);
    expect(fresh.stderr).toMatch(/created 0, exists 0, failed 3/);
    expect(await cli(['plan', csv, '--restore-trashed']).then((r) => r.stdout)).toMatch(/restore 3/);
    const restored = await cli(['import', csv, '--apply', '--yes', '--restore-trashed', '--journal', join(dir, 'restore.jsonl')]);
    expect(restored.exitCode).toBe(0);
    expect(restored.stderr).toMatch(/restored 3, exists 0/);
    expect(ours()).toHaveLength(3);
    expect([...duo.users.values()].every((u) => u.status === 'active')).toBe(true);
    const back = await cli(['rollback', join(dir, 'restore.jsonl'), '--apply', '--yes']);
    expect(back.stderr).toMatch(/disabled 3 users, sent 3 to the Trash/);
    expect([...duo.users.values()].every((u) => u.status === 'pending deletion')).toBe(true);
  });
});

describe('6 and 9. migrate: a re-run, and a rollback after a user was deleted', () => {
  const email = (i: number): string => `person.${i}@example.com`;
  const sam = (i: number): string => `u${String(i).padStart(5, '0')}`;
  const csv = (n: number): string => ['username,email,alias1', ...Array.from({ length: n }, (_, i) => `${sam(i + 1)},${email(i + 1)},${email(i + 1)}`)].join('\n') + '\n';

  it('a re-run with its journal plans the finished renames as unchanged; a user deleted since is reported and skipped, the rest restored (exit 1)', async () => {
    for (let i = 1; i <= 5; i++) duo.seed({ username: email(i), email: email(i) });
    const dir = tmpFiles({ 'users.csv': csv(5) });
    expect((await cli(['migrate', join(dir, 'users.csv'), '--apply', '--yes'])).exitCode).toBe(0);
    const again = await cli(['migrate', join(dir, 'users.csv'), '--apply', '--yes']);
    expect(again.stdout).toMatch(/create 0 · unchanged 5 · update 0 · migrate 0 · conflict 0/);

    const gone = duo.byUsername().get(sam(3))!.user_id;
    await clientFor(duo).delete(`/admin/v1/users/${gone}`);
    const rollback = await cli(['rollback', join(dir, 'users.migrate.jsonl'), '--apply', '--yes']);
    expect(rollback.exitCode).toBe(1);
    expect(rollback.stderr).toMatch(new RegExp(`skipped: ${gone}: no longer in Duo`));
    expect(rollback.stderr).toMatch(/restored 4 users \(0 already had their names\), 0 failed, 1 no longer in Duo/);
    expect([...duo.users.values()].map((u) => u.username).sort()).toEqual([1, 2, 4, 5].map(email));
    // A re-run finds nothing left to do, and says the same about the missing user.
    const rerun = await cli(['rollback', join(dir, 'users.migrate.jsonl'), '--apply', '--yes']);
    expect(rerun.stderr).toMatch(/restored 0 users \(4 already had their names\), 0 failed, 1 no longer in Duo/);
  });
});

describe('10. found by reading', () => {
  it('import sees two rows matching one Duo user across batches, as plan does', async () => {
    duo.seed({ username: 'ann@example.com', email: 'ann@example.com' });
    const dir = tmpFiles({ 'users.csv': 'username,email,alias1\nann,ann@example.com,\nann2,,ann@example.com\n' });
    const plan = await cli(['plan', join(dir, 'users.csv'), '--format', 'json']);
    expect(JSON.parse(plan.stdout).rows.map((r: { reason: string }) => r.reason)).toEqual([expect.stringMatching(/^line 2 \(.+\) and line 3 \(.+\) all match/), expect.stringMatching(/^line 3 \(.+\) and line 2 \(.+\) all match/)]);
    await cli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--batch-size', '1']);
    expect(results(join(dir, 'users.results.csv'))[1]!.error).toMatch(/line 3 matches Duo user "ann@example.com" \(DU\d+\), which line 2 \(an earlier batch\) already matched, and one Duo user is one person; fix: keep one row/);
  });

  it('two Duo phone objects with one number: whoever holds either holds the number', async () => {
    const holder = duo.seed({ username: 'holder' });
    duo.seedPhone('+15551230000', [holder.user_id]);
    duo.seedPhone('+15551230000', []);
    const dir = tmpFiles({ 'users.csv': 'username,phone1\nbob,+15551230000\n' });
    const run = await cli(['import', join(dir, 'users.csv'), '--apply', '--yes']);
    expect(run.exitCode).toBe(1);
    expect(results(join(dir, 'users.results.csv'))[0]!.error).toMatch(new RegExp(`belongs to Duo user .*${holder.user_id}`));
  });

  it('rollback switches to single calls when Duo answers a refusal of the bulk endpoint, once, journaled', async () => {
    const existing = duo.seed({ username: 'existing' });
    const staff = duo.seedGroup('Staff');
    const dir = tmpFiles({ 'users.csv': 'username,group1\nexisting,Staff\nnew1,Staff\n' });
    expect((await cli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--update'])).exitCode).toBe(0);
    expect(existing.groups).toEqual([staff.group_id]);
    duo.bulkAnswer = 'refused';
    const rollback = await cli(['rollback', join(dir, 'users.journal.jsonl'), '--apply', '--yes']);
    expect(rollback.exitCode).toBe(0);
    expect(existing.groups).toEqual([]);
    const records = journalLines(join(dir, 'users.journal.rollback.jsonl'));
    expect(records.filter((r) => r.t === 'mode')).toHaveLength(1);
    expect(duo.count('POST', /^\/admin\/v1\/bulk$/) - 2).toBeLessThanOrEqual(1);
  });

  it('a run that stops half-way leaves no earlier results file looking current', async () => {
    const dir = tmpFiles({ 'users.csv': usersCsv(3) });
    expect((await cli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--journal', join(dir, 'first.jsonl')])).exitCode).toBe(0);
    expect(existsSync(join(dir, 'users.results.csv'))).toBe(true);
    writeFileSync(join(dir, 'users.csv'), usersCsv(3, 10));
    // Duo goes away after the first write of the second run.
    duo.afterWrite = () => void (duo.beforeRequest = () => 'drop');
    const second = await cli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--journal', join(dir, 'second.jsonl')]);
    expect(second.exitCode).toBe(3);
    expect(existsSync(join(dir, 'users.results.csv'))).toBe(false);
  });

  it('an enrollment email Duo refuses right after the create (reported for existing usernames) is a clear per-row result, counted, never retried', async () => {
    const dir = tmpFiles({ 'users.csv': 'username,email\nann,ann@example.com\nbob,bob@example.com\n' });
    duo.inject(/POST \/admin\/v1\/users\/enroll/, 'refuse', 1);
    const run = await cli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--enroll']);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toMatch(/warning: Duo refused 1 enrollment emails; those users were created without one \(see the note column\)/);
    const rows = results(join(dir, 'users.results.csv'));
    expect(rows.map((r) => [r.username, r.result, r.note])).toEqual([
      ['ann', 'created', expect.stringMatching(/^enrollment email not sent: Duo refused the request/)],
      ['bob', 'created', 'enrollment email sent to bob@example.com'],
    ]);
    const again = await cli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--enroll']);
    expect(again.stderr).not.toMatch(/enrollment/);
    expect(duo.enrollments).toEqual([{ username: 'bob', email: 'bob@example.com' }]);
  });

  it('the rollback preview says how long the tenant keeps users in the Trash', async () => {
    duo.settings.pending_deletion_days = 21;
    const dir = tmpFiles({ 'users.csv': usersCsv(2) });
    await cli(['import', join(dir, 'users.csv'), '--apply', '--yes']);
    const preview = await cli(['rollback', join(dir, 'users.journal.jsonl')]);
    expect(preview.stdout).toMatch(/Duo keeps users in its Trash for 21 days/);
  });
});

describe('11. code and documents agree', () => {
  it('rollback takes the journal as its argument (or --journal); a workbook\'s run files are named like a CSV\'s', async () => {
    const dir = tmpFiles({ 'users.csv': usersCsv(2) });
    await cli(['import', join(dir, 'users.csv'), '--apply', '--yes']);
    for (const args of [['rollback', join(dir, 'users.journal.jsonl')], ['rollback', '--journal', join(dir, 'users.journal.jsonl')]]) {
      const run = await cli(args);
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toMatch(/disable 2 users/);
    }
    const missing = await cli(['rollback']);
    expect([missing.exitCode, missing.stderr]).toEqual([2, 'duo-bridge: rollback needs the journal of the run to undo: duo-bridge rollback users.journal.jsonl\n']);
    const { importFiles } = await import('../../src/input/run-files.js');
    expect(importFiles('users.xlsx')).toEqual({ journal: 'users.journal.jsonl', results: 'users.results.csv', rejected: 'users.rejected.csv' });
  });
});
