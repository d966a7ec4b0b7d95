import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rebuildState } from '../../src/duo/sync/rebuild-state.js';
import type { ManagedUser, SyncState } from '../../src/duo/sync/sync-state.js';
import { fakeDuoPerTest } from '../helpers/fake-duo-per-test.js';
import { runCli } from '../helpers/run-cli.js';
import { labUsers, VPN, writeLdif, type LabUser } from '../helpers/sync-ldif.js';
import { tmpFiles } from '../helpers/tmp-files.js';

const fake = fakeDuoPerTest();
const FAST = ['--rate', '100000', '--timeout', '5'];

interface Lab {
  readonly dir: string;
  readonly state: string;
  readonly runs: string;
  ad: LabUser[];
  sync(args?: string[]): ReturnType<typeof runCli>;
}

function lab(users: LabUser[]): Lab {
  const dir = tmpFiles({});
  const l: Lab = {
    dir,
    state: join(dir, 'sync.state.json'),
    runs: join(dir, 'sync.state.runs'),
    ad: users,
    sync: (args = []) => {
      writeLdif(join(dir, 'ad.ldif'), l.ad);
      return runCli(['sync', '--from-ldif', join(dir, 'ad.ldif'), '--state', l.state, '--duo-group', VPN, ...FAST, ...args], { env: fake.duo.env() });
    },
  };
  return l;
}

/** Every file of a folder: its bytes' sha256 and mtime. A read-only reader changes none and adds none. */
function snapshot(folder: string): Record<string, string> {
  return Object.fromEntries(readdirSync(folder).sort().map((f) => [f, `${createHash('sha256').update(readFileSync(join(folder, f))).digest('hex')} ${statSync(join(folder, f)).mtimeMs}`]));
}

/** What ownership is: which Duo user each AD user is, how the sync came to own it, and its ladder marks. */
function ownership(users: Readonly<Record<string, ManagedUser>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(users).sort(([a], [b]) => (a < b ? -1 : 1)).map(([guid, m]) => [guid, {
    user_id: m.user_id, origin: m.origin, username: m.applied.username,
    disabled: m.disabled_by_sync !== undefined, trashed: m.trashed_by_sync !== undefined, missing: m.missing_since !== undefined,
  }]));
}

/** Two users already in Duo (adopted on day 1), eight created; day 2 a leaver, a user disabled in AD, a rename and a joiner. */
async function twoDays(): Promise<{ l: Lab; state: SyncState }> {
  for (const i of [1, 2]) fake.duo.seed({ username: `user00${i}`, realname: `Given${i} Sur${i}`, firstname: `Given${i}`, lastname: `Sur${i}`, email: `user${i}@corp.example` });
  const l = lab(labUsers(10));
  const day1 = await l.sync(['--adopt', '--apply', '--yes']);
  expect(day1.exitCode).toBe(0);
  l.ad = l.ad.filter((u) => u.id !== 3);
  l.ad.find((u) => u.id === 4)!.disabled = true;
  l.ad.find((u) => u.id === 5)!.sam = 'user005-renamed';
  l.ad.push(...labUsers(1, 11));
  const day2 = await l.sync(['--apply', '--yes']);
  expect(day2.stderr).toMatch(/applied 4 actions/);
  expect(day2.exitCode).toBe(0);
  return { l, state: JSON.parse(readFileSync(l.state, 'utf8')) as SyncState };
}

describe('rebuildState: a lost state rebuilt from the runs beside it', () => {
  it('after two real runs and a deleted state: the same users owned, the same ladder marks, the runs folder untouched', async () => {
    const { l, state } = await twoDays();
    rmSync(l.state);
    const before = snapshot(l.runs);

    const rebuilt = await rebuildState(l.state, state.host, new Date());
    expect(rebuilt).not.toBeNull();
    expect(rebuilt!.runs).toBe(2);
    expect(rebuilt!.damaged).toBe(0);
    expect(ownership(rebuilt!.state.users)).toEqual(ownership(state.users));
    expect(Object.keys(rebuilt!.state.users)).toHaveLength(11);
    expect(Object.values(rebuilt!.state.users).filter((m) => m.origin === 'adopted')).toHaveLength(2);
    // The leaver's ladder started when the run that disabled it ran: its time, not the rebuild's.
    const leaver = Object.values(rebuilt!.state.users).find((m) => m.applied.username === 'user003')!;
    const recorded = Date.parse(Object.values(state.users).find((m) => m.applied.username === 'user003')!.missing_since!);
    // (The run's stamp, when it started; the state recorded when it ended: the same run.)
    expect(recorded - Date.parse(leaver.missing_since!)).toBeGreaterThanOrEqual(0);
    expect(recorded - Date.parse(leaver.missing_since!)).toBeLessThan(60_000);
    expect(rebuilt!.state.source).toEqual(state.source);
    expect(rebuilt!.state.ad_users).toBe(state.ad_users);
    expect(rebuilt!.state.last_journal).toEqual(state.last_journal);
    expect(rebuilt!.state.blocked).toBeNull();

    // Read-only: no byte, no mtime changed, no lock or other file left behind.
    expect(snapshot(l.runs)).toEqual(before);
  });

  it('the next run from the rebuilt state is in sync: nothing created twice, nobody lost', async () => {
    const { l, state } = await twoDays();
    rmSync(l.state);
    const rebuilt = await rebuildState(l.state, state.host, new Date());
    writeFileSync(l.state, JSON.stringify(rebuilt!.state));
    const next = await l.sync(['--apply', '--yes']);
    expect(next.stderr).not.toMatch(/unreadable/);
    expect(next.stdout).not.toMatch(/conflicts/);
    expect(next.stderr).toMatch(/: in sync/);
    expect(next.stdout).not.toMatch(/create \d/);
    expect(next.exitCode).toBe(0);
    expect(fake.duo.users.size).toBe(11);
  });

  it('journals of another Duo host are skipped; a damaged journal is skipped and counted, its run not trusted', async () => {
    const { l, state } = await twoDays();
    rmSync(l.state);
    expect(await rebuildState(l.state, 'api-other.duosecurity.com', new Date())).toBeNull();

    const [first, second] = readdirSync(l.runs).filter((f) => f.endsWith('.jsonl')).sort();
    // A copy of the second journal with a line in its middle that is not a record: damaged.
    const damagedDir = tmpFiles({});
    const damagedRuns = join(damagedDir, 'sync.state.runs');
    copyDir(l.runs, damagedRuns);
    const lines = readFileSync(join(damagedRuns, second!), 'utf8').split('\n');
    lines.splice(2, 0, 'not a record');
    writeFileSync(join(damagedRuns, second!), lines.join('\n'));
    const rebuilt = await rebuildState(join(damagedDir, 'sync.state.json'), state.host, new Date());
    expect(rebuilt!.damaged).toBe(1);
    expect(rebuilt!.skipped[0]).toEqual({ file: join(damagedRuns, second!), problem: 'line 3 is not a journal record' });
    expect(rebuilt!.runs).toBe(1);
    // Day 1 alone: the ten users it adopted and created; the joiner of day 2 not known.
    expect(Object.keys(rebuilt!.state.users)).toHaveLength(10);
    expect(first).toBeDefined();
  });

  it('a torn last line (a crash mid-append) is read up to it and left as it is', async () => {
    const { l, state } = await twoDays();
    rmSync(l.state);
    const second = readdirSync(l.runs).filter((f) => f.endsWith('.jsonl')).sort()[1]!;
    appendFileSync(join(l.runs, second), '{"t":"outcome","id":9');
    const before = snapshot(l.runs);
    const rebuilt = await rebuildState(l.state, state.host, new Date());
    expect(rebuilt!.damaged).toBe(0);
    expect(ownership(rebuilt!.state.users)).toEqual(ownership(state.users));
    expect(snapshot(l.runs)).toEqual(before);
  });

  it('a hold outlives the lost state: the last run held, so the rebuilt state holds the same actions under the same id', async () => {
    const { l } = await twoDays();
    l.ad = l.ad.filter((u) => u.id !== 6 && u.id !== 7);
    const held = await l.sync(['--apply', '--yes', '--threshold-count', '1', '--threshold-percent', '1']);
    expect(held.exitCode).toBe(4);
    const state = JSON.parse(readFileSync(l.state, 'utf8')) as SyncState;
    expect(state.blocked?.held).toHaveLength(2);
    rmSync(l.state);
    const rebuilt = await rebuildState(l.state, state.host, new Date());
    expect(rebuilt!.state.blocked).toEqual({ ...state.blocked, since: expect.any(String) });
    // A run that only held writes no plan: whether its read was trusted is unknown, so the held
    // leavers' ladder starts later (when their disable is applied), never earlier.
    const heldGuids = new Set(state.blocked!.held.map((h) => h.guid));
    const expected = ownership(state.users) as Record<string, { missing: boolean }>;
    for (const guid of heldGuids) expected[guid] = { ...expected[guid]!, missing: false };
    expect(ownership(rebuilt!.state.users)).toEqual(expected);

    // The rebuilt hold is released by the approval it names; a state rebuilt after that has none.
    writeFileSync(l.state, JSON.stringify(rebuilt!.state));
    const approved = await l.sync(['--apply', '--yes', '--approve', state.blocked!.plan_id]);
    expect(approved.stderr).not.toMatch(/unreadable|nothing is held/);
    expect(approved.exitCode).toBe(0);
    rmSync(l.state);
    expect((await rebuildState(l.state, state.host, new Date()))!.state.blocked).toBeNull();
  });

  it('no runs folder, or nothing in it: null', async () => {
    const dir = tmpFiles({ 'empty.state.runs/readme.txt': 'x' });
    expect(await rebuildState(join(dir, 'sync.state.json'), 'h', new Date())).toBeNull();
    expect(await rebuildState(join(dir, 'empty.state.json'), 'h', new Date())).toBeNull();
  });
});

function copyDir(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from)) copyFileSync(join(from, f), join(to, f));
}
