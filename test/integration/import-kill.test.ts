import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { FakeDuo } from '../fake-duo/fake-duo.js';
import { killSchedule, runKilledAtWrite } from '../helpers/kill-at-write.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';
import { usersCsv } from '../helpers/users-csv.js';

const FAST = ['--rate', '100000', '--timeout', '5'];

let duo: FakeDuo;
beforeAll(async () => {
  duo = await new FakeDuo().start();
});
afterAll(async () => {
  await duo.stop();
});

describe.each([
  // Bulk calls of 50 users: killed at the 1st or 2nd of ~24 writes.
  { path: 'bulk calls', USERS: 1200, maxK: 2, extra: [] as string[] },
  // bulk_create and one alias call per user: killed anywhere in the first 25 writes.
  { path: 'single calls', USERS: 300, maxK: 25, extra: ['--no-bulk'] },
])('kill -9 at any write, then resume ($path)', ({ USERS, maxK, extra }) => {
  it('20 runs killed at the k-th write (applied or not), then one to the end: every user exactly once, with the right aliases; rollback trashes them all', async () => {
    for (const user of [...duo.users.values()]) duo.users.delete(user.user_id);
    duo.engine.state.names.clear();
    const input = join(tmpFiles({ 'users.csv': usersCsv(USERS) }), 'users.csv');
    const ours = (): number => [...duo.users.values()].filter((u) => /^u0\d{4}$/.test(u.username)).length;
    // Progress: users created, plus users whose aliases are set (creation is batched, aliases are not).
    const progress = (): number => ours() + [...duo.users.values()].filter((u) => Object.keys(u.aliases).length > 0).length;

    const seen: number[] = [];
    for (const { k, point } of killSchedule(20, maxK)) {
      const { killed } = await runKilledAtWrite(duo, ['import', input, '--apply', '--yes', ...extra, ...FAST], k, point);
      expect(killed).toBe(true);
      seen.push(progress());
    }
    // Kills at progress points: the runs moved the import on, whatever the machine's speed.
    expect(new Set(seen).size).toBeGreaterThan(8);
    const last = await runCli(['import', input, '--apply', '--yes', ...extra, ...FAST], { env: duo.env() });
    expect(last.stderr).toMatch(/failed 0, skipped 0/);
    expect(last.exitCode).toBe(0);

    const users = [...duo.users.values()].filter((u) => /^u0\d{4}$/.test(u.username));
    expect(users).toHaveLength(USERS);
    expect(new Set(users.map((u) => u.username)).size).toBe(USERS);
    const byName = duo.byUsername();
    for (let i = 1; i <= USERS; i++) {
      const name = `u${String(i).padStart(5, '0')}`;
      const expected: Record<string, string> = { alias1: `${name}@example.com` };
      if (i % 3 === 0) expected.alias2 = `${name}.alt@example.org`;
      expect(byName.get(name)?.aliases).toEqual(expected);
    }
    const results = parse(readFileSync(input.replace(/\.csv$/, '.results.csv')), { bom: true, columns: true }) as Record<string, string>[];
    expect(results.map((r) => r.result)).toEqual(Array(USERS).fill('created'));
    expect(results.every((r) => r.duo_user_id === byName.get(r.username!)!.user_id)).toBe(true);

    // Every user the killed runs created, whether or not Duo's answer arrived, is the import's to undo.
    const rollback = await runCli(['rollback', '--journal', input.replace(/\.csv$/, '.journal.jsonl'), '--apply', '--yes', ...FAST], { env: duo.env() });
    expect(rollback.stderr).toMatch(new RegExp(`disabled ${USERS.toLocaleString('en-US')} users, sent ${USERS.toLocaleString('en-US')} to the Trash`));
    expect(users.every((u) => u.status === 'pending deletion')).toBe(true);
  }, 180_000);
});
