import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { diffTenants } from '../../src/duo/tenant/tenant-diff.js';
import { loadTenantSnapshot, type TenantSnapshot } from '../../src/duo/tenant/tenant.js';
import { FakeDuo } from '../fake-duo/fake-duo.js';
import { restoreState, saveState } from '../helpers/fake-state.js';
import { runKilledAtWrite, type KillPoint } from '../helpers/kill-at-write.js';
import { tmpFiles } from '../helpers/tmp-files.js';

/*
 * Issue 16's property: for EVERY k, a run killed with SIGKILL at its k-th write (applied and
 * unanswered, or dropped unapplied), then
 *   - rolled back straight away, leaves the tenant as it was (tenant diff empty, no stray phone);
 *   - resumed instead, finishes with every user, alias, membership and phone exactly once, and
 *     never claims the user another admin created meanwhile under one of the run's names;
 *   - resumed then rolled back, leaves the tenant as it was but for that admin's user.
 * The kill runs duo-bridge as a process (bin/duo-bridge); everything after it runs the same CLI
 * in this process, which keeps the suite to minutes. `npm run test:crash`; CI runs it.
 */

const FAST = ['--rate', '100000', '--timeout', '5'];
const HOUR = 3_600_000;
const name = (i: number): string => `u${String(i).padStart(5, '0')}`;
const email = (i: number): string => `person.${i}@example.com`;
const phone = (i: number): string => `+1555010${String(i).padStart(4, '0')}`;

let duo: FakeDuo;
beforeAll(async () => {
  duo = await new FakeDuo().start();
});
afterAll(async () => {
  await duo.stop();
});

async function cli(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main([...argv, ...FAST], {
    out: (text) => void (out += text), err: (text) => void (err += text), errIsTTY: false, outIsTTY: false, env: duo.env(), cwd: process.cwd(),
  });
  return { code, out, err };
}

async function tenant(dir: string, label: string): Promise<TenantSnapshot> {
  const path = join(dir, `${label}.json`);
  const run = await cli(['tenant', 'export', '--out', path]);
  expect(run.code).toBe(0);
  return loadTenantSnapshot(path);
}

/** What differs from `before`, by tenant diff's rule (users a run created and trashed are not a difference), and phones no user holds. */
function differences(before: TenantSnapshot, after: TenantSnapshot, phonesBefore: ReadonlySet<string>): string[] {
  const diff = diffTenants(before, after);
  const changes = diff.changes.map((c) => ('user' in c ? `${c.kind} ${c.user.username}` : `${c.kind} ${c.group}`));
  const strayPhones = [...duo.phones.keys()].filter((id) => !phonesBefore.has(id)).map((id) => `phone ${duo.phones.get(id)!.number} left behind`);
  return [...changes, ...strayPhones];
}

/** The journal as if the crash had been an hour ago: what a resume days later sees. */
function crashAnHourAgo(path: string): void {
  if (!existsSync(path)) return;
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  const shifted = lines.map((r) => ('at' in r ? { ...r, at: r.at - HOUR, ...(r.deadline ? { deadline: r.deadline - HOUR } : {}) } : r));
  writeFileSync(path, shifted.map((r) => JSON.stringify(r) + '\n').join(''));
}

interface Scenario {
  readonly title: string;
  /** Seeds the tenant before the run. */
  readonly seed: () => void;
  readonly csv: string;
  readonly args: (csv: string) => string[];
  readonly journal: (dir: string) => string;
  /** Asserted after the resume: the run's work, each piece exactly once. */
  readonly exactlyOnce: (admin: string | null) => void;
  /** A name of the run another admin can take while it is down (null: none left free). */
  readonly freeName: () => string | null;
}

/** `users` rows; every `every`-th has an alias and a group, every 20th a phone (Duo has no bulk form for phones: two calls each). */
function importScenario(title: string, users: number, every: number, extra: string[]): Scenario {
  const rows = Array.from({ length: users }, (_, n) => n + 1);
  const withExtras = (i: number): boolean => i % every === 0;
  return {
    title,
    seed: () => {
      duo.seedGroup('Staff');
      for (let i = 1; i <= 5; i++) duo.seed({ username: `existing${i}` });
    },
    csv: ['username,realname,alias1,group1,phone1', ...rows.map((i) =>
      `${name(i)},User ${i},${withExtras(i) ? `${name(i)}@example.com` : ''},${withExtras(i) ? 'Staff' : ''},${i % 20 === 0 ? phone(i) : ''}`)].join('\n') + '\n',
    args: (csv) => ['import', csv, '--apply', '--yes', ...extra],
    journal: (dir) => join(dir, 'users.journal.jsonl'),
    freeName: () => [...rows].reverse().map(name).find((n) => !duo.byUsername().has(n)) ?? null,
    exactlyOnce: (admin) => {
      const byName = new Map<string, FakeDuo['users'] extends Map<string, infer U> ? U[] : never>();
      for (const user of duo.users.values()) byName.set(user.username, [...(byName.get(user.username) ?? []), user]);
      const staff = [...duo.groups.values()].find((g) => g.name === 'Staff')!.group_id;
      for (const i of rows) {
        if (name(i) === admin) continue;
        const found = byName.get(name(i)) ?? [];
        expect([name(i), found.length]).toEqual([name(i), 1]);
        const user = found[0]!;
        expect([name(i), user.aliases]).toEqual([name(i), withExtras(i) ? { alias1: `${name(i)}@example.com` } : {}]);
        expect([name(i), user.groups]).toEqual([name(i), withExtras(i) ? [staff] : []]);
        expect([name(i), user.phones.map((p) => p.number)]).toEqual([name(i), i % 20 === 0 ? [phone(i)] : []]);
      }
      // One phone object per number: a lost create was never repeated.
      const numbers = [...duo.phones.values()].map((p) => p.number);
      expect(numbers.length).toBe(new Set(numbers).size);
      // The other admin's user stands where the run's would have: no more users than rows.
      expect(duo.users.size).toBe(5 + users);
    },
  };
}

function migrateScenario(users: number, extra: string[]): Scenario {
  const rows = Array.from({ length: users }, (_, n) => n + 1);
  return {
    title: `a ${users}-user migrate with group memberships${extra.length > 0 ? ', single calls' : ', bulk path'}`,
    seed: () => {
      duo.seedGroup('Staff');
      for (const i of rows) duo.seed({ username: email(i), email: email(i), realname: `Person ${i}` });
    },
    csv: ['username,email,alias1,group1', ...rows.map((i) => `${name(i)},${email(i)},${email(i)},${i % 10 === 0 ? 'Staff' : ''}`)].join('\n') + '\n',
    args: (csv) => ['migrate', csv, '--apply', '--yes', ...extra],
    journal: (dir) => join(dir, 'users.migrate.jsonl'),
    // A migrate creates no user: there is no name for another admin to take.
    freeName: () => null,
    exactlyOnce: () => {
      const staff = [...duo.groups.values()].find((g) => g.name === 'Staff')!.group_id;
      const byName = duo.byUsername();
      for (const i of rows) {
        const user = byName.get(name(i));
        expect([name(i), user?.aliases]).toEqual([name(i), { alias1: email(i) }]);
        expect([name(i), user?.groups]).toEqual([name(i), i % 10 === 0 ? [staff] : []]);
      }
      expect(duo.users.size).toBe(users);
    },
  };
}

describe.each([
  importScenario('a 200-user import with aliases, groups and phones, bulk path', 200, 1, []),
  importScenario('a 200-user import with aliases, groups and phones, single calls', 200, 10, ['--no-bulk']),
  migrateScenario(100, []),
  migrateScenario(100, ['--no-bulk']),
])('kill -9 at every write: $title', (scenario) => {
  it('rollback straight away, resume, and resume then rollback each leave exactly what they should', async () => {
    restoreState(duo, { users: new Map(), groups: new Map(), phones: new Map(), names: new Map(), phoneIndex: new Map(), nextId: 1 });
    scenario.seed();
    const origin = saveState(duo);
    const dir = tmpFiles({ 'users.csv': scenario.csv });
    const csv = join(dir, 'users.csv');
    const journal = scenario.journal(dir);
    const before = await tenant(dir, 'before');
    const phonesBefore = new Set(duo.phones.keys());

    // One uninterrupted run counts the writes: k goes over every one of them.
    const writesBefore = duo.appliedWrites;
    expect((await cli(scenario.args(csv))).code).toBe(0);
    const writes = duo.appliedWrites - writesBefore;
    expect(writes).toBeGreaterThan(2);

    const cases: { k: number; point: KillPoint }[] = [];
    for (let k = 1; k <= writes; k++) for (const point of ['after', 'before'] as const) cases.push({ k, point });
    let adminRuns = 0;
    for (const { k, point } of cases) {
      const label = `k=${k} ${point}`;
      restoreState(duo, origin);
      for (const file of [journal, `${journal.replace(/\.jsonl$/, '')}.rollback.jsonl`]) rmSync(file, { force: true });
      const { killed } = await runKilledAtWrite(duo, [...scenario.args(csv), ...FAST], k, point);
      expect([label, killed]).toEqual([label, true]);
      const crashed = saveState(duo);
      const crashedJournal = `${journal}.crashed`;
      if (existsSync(journal)) copyFileSync(journal, crashedJournal);

      // (1) Rolled back straight away: the tenant as it was.
      if (existsSync(journal)) {
        const rollback = await cli(['rollback', journal, '--apply', '--yes']);
        expect([label, rollback.code, rollback.err]).toEqual([label, 0, expect.anything()]);
      }
      expect([label, differences(before, await tenant(dir, 'after-rollback'), phonesBefore)]).toEqual([label, []]);

      // (2) Resumed instead, after another admin took one of the run's names while it was down.
      restoreState(duo, crashed);
      rmSync(`${journal.replace(/\.jsonl$/, '')}.rollback.jsonl`, { force: true });
      if (existsSync(crashedJournal)) copyFileSync(crashedJournal, journal);
      crashAnHourAgo(journal);
      // Everything the killed run did, it did an hour ago too.
      for (const user of duo.users.values()) if (!origin.users.has(user.user_id)) user.created -= HOUR / 1000;
      const admin = scenario.freeName();
      const theirs = admin === null ? null : duo.seed({ username: admin, realname: 'Another admin\'s user' });
      if (admin !== null) adminRuns++;
      const resume = await cli(scenario.args(csv));
      expect([label, resume.code, resume.err]).toEqual([label, 0, expect.not.stringMatching(/internal error/)]);
      scenario.exactlyOnce(admin);
      if (theirs !== null) expect([label, duo.users.get(theirs.user_id)?.realname, duo.users.get(theirs.user_id)?.status]).toEqual([label, 'Another admin\'s user', 'active']);

      // (3) Resumed, then rolled back: as it was, but for the other admin's user.
      const rollback = await cli(['rollback', journal, '--apply', '--yes']);
      expect([label, rollback.code]).toEqual([label, 0]);
      expect([label, differences(before, await tenant(dir, 'after-resume-rollback'), phonesBefore)]).toEqual([label, admin === null ? [] : [`created ${admin}`]]);
    }
    if (scenario.title.includes('import')) expect(adminRuns).toBeGreaterThan(0);
    process.stderr.write(`crash suite: ${scenario.title}: ${writes} writes, ${cases.length} kills, another admin's user in ${adminRuns} of them\n`);
  }, 1_800_000);
});
