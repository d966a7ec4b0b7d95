import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeDuoPerTest } from '../helpers/fake-duo-per-test.js';
import { runKilledAtWrite, type KillPoint } from '../helpers/kill-at-write.js';
import { restoreState, saveState } from '../helpers/fake-state.js';
import { runCli } from '../helpers/run-cli.js';
import { labUsers, VPN, writeLdif, type LabUser } from '../helpers/sync-ldif.js';
import { tmpFiles } from '../helpers/tmp-files.js';

const fake = fakeDuoPerTest();

const FAST = ['--rate', '100000', '--timeout', '5'];
const DAY = 86_400_000;

interface Lab {
  dir: string;
  ad: LabUser[];
  args: string[];
  sync(args?: string[], options?: { at?: Date; ldif?: LabUser[] }): ReturnType<typeof runCli>;
}

function lab(users: LabUser[]): Lab {
  const dir = tmpFiles({});
  const state = join(dir, 'sync.state.json');
  const lab: Lab = {
    dir,
    ad: users,
    args: ['sync', '--from-ldif', join(dir, 'ad.ldif'), '--state', state, '--duo-group', VPN, ...FAST],
    sync: (args = [], options = {}) => {
      writeLdif(join(dir, 'ad.ldif'), options.ldif ?? lab.ad);
      const env = { ...fake.duo.env(), ...(options.at ? { DUO_BRIDGE_SYNC_NOW: options.at.toISOString() } : {}) };
      return runCli([...lab.args, ...args], { env });
    },
  };
  return lab;
}

const userNamed = (name: string) => [...fake.duo.users.values()].find((u) => u.username === name);
const groupsOf = (name: string) => fake.duo.groupNamesOf(userNamed(name)!);
const stateOf = (l: Lab) => JSON.parse(readFileSync(join(l.dir, 'sync.state.json'), 'utf8'));

/** Three users already in Duo (as an earlier import left them), and a break-glass account. */
function seedTenant(): void {
  for (const i of [1, 2, 3]) fake.duo.seed({ username: `user00${i}`, realname: `Given${i} Sur${i}`, firstname: `Given${i}`, lastname: `Sur${i}`, email: `user${i}@corp.example` });
  fake.duo.seed({ username: 'breakglass', realname: 'Break Glass' });
}

describe('duo-bridge sync: the days of a directory', () => {
  it('day 1 adopts and creates; day 2 joiner, leaver, disabled, rename, group change; then in sync; the grace period sends the leaver to the Trash', async () => {
    seedTenant();
    const l = lab(labUsers(40));

    // Plain sync only plans: existing users are conflicts until adopted, nothing is written.
    const planned = await l.sync();
    expect(planned.exitCode).toBe(1);
    expect(planned.stdout).toMatch(/conflicts: 3 AD users not synced/);
    expect(planned.stdout).toMatch(/create 37/);
    expect(fake.duo.users.size).toBe(4);
    expect(existsSync(join(l.dir, 'sync.state.json'))).toBe(false);

    const day1 = await l.sync(['--adopt', '--apply', '--yes', '--protect-user', 'breakglass']);
    expect(day1.stderr).toMatch(/applied \d+ actions/);
    expect(day1.exitCode).toBe(0);
    expect(fake.duo.users.size).toBe(41);
    expect(groupsOf('user002')).toEqual(['VPN']);
    expect(groupsOf('user001')).toEqual([]);
    const state1 = stateOf(l);
    expect(Object.keys(state1.users)).toHaveLength(40);
    expect(Object.values(state1.users).filter((u: any) => u.origin === 'adopted')).toHaveLength(3);

    const again = await l.sync(['--apply', '--yes']);
    expect(again.stderr).toMatch(/: in sync/);
    expect(again.exitCode).toBe(0);

    // Day 2: a joiner, a leaver, a user disabled in AD, a rename, a group removal and a group addition.
    const start = Date.now();
    l.ad = l.ad.filter((u) => u.id !== 5);
    l.ad.find((u) => u.id === 6)!.disabled = true;
    l.ad.find((u) => u.id === 7)!.sam = 'user007-renamed';
    l.ad.find((u) => u.id === 8)!.groups = [];
    l.ad.find((u) => u.id === 9)!.groups = [VPN];
    l.ad.push(...labUsers(1, 41));
    const day2 = await l.sync(['--apply', '--yes']);
    expect(day2.stdout + day2.stderr).toMatch(/applied 6 actions/);
    expect(day2.exitCode).toBe(0);
    expect(userNamed('user005')!.status).toBe('disabled');
    expect(userNamed('user006')!.status).toBe('disabled');
    expect(userNamed('user007')).toBeUndefined();
    expect(userNamed('user007-renamed')).toBeDefined();
    expect(groupsOf('user008')).toEqual([]);
    expect(groupsOf('user009')).toEqual(['VPN']);
    expect(userNamed('user041')!.status).toBe('active');
    expect((await l.sync(['--apply', '--yes'])).stderr).toMatch(/in sync/);

    // 29 days later the leaver is still only disabled; at 31 days it goes to the Trash, never deleted.
    expect((await l.sync(['--apply', '--yes'], { at: new Date(start + 29 * DAY) })).stderr).toMatch(/in sync/);
    const grace = await l.sync(['--apply', '--yes'], { at: new Date(start + 31 * DAY) });
    expect(grace.stdout).toMatch(/send user005 to the Trash/);
    expect(userNamed('user005')!.status).toBe('pending deletion');
    expect(fake.duo.log.some((r) => r.method === 'DELETE' && /^\/admin\/v1\/users\/[^/]+$/.test(r.path))).toBe(false);

    // The leaver comes back: restored from the Trash and enabled again.
    l.ad.push(...labUsers(1, 5));
    const back = await l.sync(['--apply', '--yes'], { at: new Date(start + 32 * DAY) });
    expect(back.exitCode).toBe(0);
    expect(userNamed('user005')!.status).toBe('active');
    // The break-glass account was never touched.
    expect(userNamed('breakglass')!.status).toBe('active');
  });
});

/** Forty AD users, all created by a first sync: the picture every safeguard test starts from. */
async function synced(): Promise<Lab> {
  const l = lab(labUsers(40));
  const first = await l.sync(['--apply', '--yes']);
  expect(first.exitCode).toBe(0);
  expect(fake.duo.users.size).toBe(40);
  expect((await l.sync(['--apply', '--yes'])).stderr).toMatch(/in sync/);
  return l;
}

const status = (name: string) => userNamed(name)?.status;
const journals = (l: Lab) => readdirSync(join(l.dir, 'sync.state.runs')).filter((f) => f.endsWith('.jsonl')).sort().map((f) => join(l.dir, 'sync.state.runs', f));

describe('duo-bridge sync: safeguards against a bad day in AD', () => {
  it('an OU deleted in AD: the disables are held (exit 4), later runs keep holding, --approve applies exactly them once, never past the shrink guard', async () => {
    const l = await synced();
    l.ad = l.ad.filter((u) => u.id > 12);
    l.ad.push(...labUsers(1, 100));
    const held = await l.sync(['--apply', '--yes']);
    expect(held.exitCode).toBe(4);
    expect(held.stdout).toMatch(/held by a safeguard: 12 destructive actions/);
    // 12 of 40 is also a 28 % shrink of the first run's baseline.
    expect(held.stdout).toMatch(/28% fewer than the last complete read's 40/);
    // The non-destructive part went ahead; nobody was disabled.
    expect(status('user100')).toBe('active');
    expect([...fake.duo.users.values()].filter((u) => u.status === 'disabled')).toHaveLength(0);
    const planId = /--approve ([0-9a-f]{12})/.exec(held.stdout)![1]!;
    const heldFile = JSON.parse(readFileSync(readdirSync(join(l.dir, 'sync.state.runs')).filter((f) => f.endsWith('.held.json')).map((f) => join(l.dir, 'sync.state.runs', f))[0]!, 'utf8'));
    expect(heldFile.held).toHaveLength(12);
    expect(stateOf(l).blocked.plan_id).toBe(planId);

    // The approving run's own source checks still apply: a shrink needs its own one-run override.
    const unshrunk = await l.sync(['--apply', '--yes', '--approve', planId]);
    expect(unshrunk.exitCode).toBe(4);
    expect(unshrunk.stdout).toMatch(/28% fewer than the last complete read's 40/);
    expect([...fake.duo.users.values()].filter((u) => u.status === 'disabled')).toHaveLength(0);

    // The shrink accepted for one run, the threshold raised: still held, as the earlier hold is not approved.
    const still = await l.sync(['--apply', '--yes', '--threshold-count', '50', '--max-shrink-percent', '50']);
    expect(still.exitCode).toBe(4);
    expect(still.stdout).toMatch(/earlier run's hold/);
    expect((await l.sync(['--apply', '--yes', '--approve', '000000000000'])).exitCode).toBe(2);

    // The held set is the same 12 disables, so the same id releases them.
    const approved = await l.sync(['--apply', '--yes', '--approve', planId, '--summary-json', join(l.dir, 'last-run.json')]);
    expect(approved.exitCode).toBe(0);
    // It says it released the hold, and the summary records it.
    expect(approved.stdout).toMatch(new RegExp(`^approved: this run releases what hold ${planId} held$`, 'm'));
    expect(JSON.parse(readFileSync(join(l.dir, 'last-run.json'), 'utf8')).approved).toBe(planId);
    expect([...fake.duo.users.values()].filter((u) => u.status === 'disabled')).toHaveLength(12);
    expect(stateOf(l).blocked).toBeNull();
    // An approval is used once: nothing more is held or pending.
    expect((await l.sync(['--apply', '--yes'])).stderr).toMatch(/in sync/);
  });

  it('--max-disables N lets one run through, and only that run', async () => {
    const l = await synced();
    l.ad = l.ad.filter((u) => u.id > 12);
    // 12 of 40 is also a 30 % shrink: the shrink guard is a separate question, answered here.
    const args = ['--apply', '--yes', '--max-shrink-percent', '50'];
    expect((await l.sync([...args, '--max-disables', '11'])).exitCode).toBe(4);
    const through = await l.sync([...args, '--max-disables', '12']);
    expect(through.exitCode).toBe(0);
    expect([...fake.duo.users.values()].filter((u) => u.status === 'disabled')).toHaveLength(12);
  });

  it('an empty AD answer, a mapped group gone: nothing destructive, nothing disabled', async () => {
    const l = await synced();
    const empty = await l.sync(['--apply', '--yes'], { ldif: [] });
    expect(empty.exitCode).toBe(4);
    expect(empty.stdout).toMatch(/AD returned no users/);
    expect([...fake.duo.users.values()].every((u) => u.status === 'active')).toBe(true);

    // The VPN group's DN no longer matches (renamed in AD): its members would all be removed.
    const renamed = await l.sync(['--apply', '--yes', '--threshold-count', '100'], { ldif: l.ad.map((u) => ({ ...u, groups: [] })) });
    expect(renamed.exitCode).toBe(4);
    expect(renamed.stdout).toMatch(/the mapped group CN=VPN,OU=Groups,DC=corp,DC=example has no member/);
    expect(groupsOf('user002')).toEqual(['VPN']);
  });

  it('a DC or dump that shrank by more than max-shrink-percent: held, though under the thresholds', async () => {
    const l = await synced();
    l.ad = l.ad.filter((u) => u.id > 9);
    const shrunk = await l.sync(['--apply', '--yes', '--threshold-count', '100']);
    expect(shrunk.exitCode).toBe(4);
    expect(shrunk.stdout).toMatch(/23% fewer than the last complete read's 40/);
    expect([...fake.duo.users.values()].every((u) => u.status === 'active')).toBe(true);
  });

  it('a lost state file is never a license to deprovision: ownership is rebuilt from the run journals, and what it finds is held', async () => {
    const l = await synced();
    rmSync(join(l.dir, 'sync.state.json'));
    l.ad.find((u) => u.id === 3)!.disabled = true;
    l.ad = l.ad.filter((u) => u.id !== 4);
    const lost = await l.sync(['--apply', '--yes']);
    expect(lost.exitCode).toBe(4);
    expect(lost.stdout).toMatch(/the state was missing: rebuilt from 1 runs' plans and journals; nothing is taken away until approved/);
    expect(lost.stdout).toMatch(/disable user003 \(disabled in AD\)/);
    expect(lost.stdout).toMatch(/disable user004 \(not in AD\)/);
    expect(status('user003')).toBe('active');
    expect(Object.keys(stateOf(l).users)).toHaveLength(40);
    const id = /--approve ([0-9a-f]{12})/.exec(lost.stdout)![1]!;
    expect((await l.sync(['--apply', '--yes', '--approve', id])).exitCode).toBe(0);
    expect(status('user003')).toBe('disabled');
    expect(status('user004')).toBe('disabled');
  });

  it('an unreadable state file is set aside, never overwritten, and the run behaves as a first one', async () => {
    const l = await synced();
    writeFileSync(join(l.dir, 'sync.state.json'), '{"version": 1, "host": ');
    l.ad = l.ad.filter((u) => u.id !== 1);
    const run = await l.sync(['--apply', '--yes']);
    expect(run.stderr).toMatch(/the sync state was unreadable: not JSON \(set aside as .*sync\.state\.json\.unreadable-/);
    expect(status('user001')).toBe('active');
    expect(readdirSync(l.dir).some((f) => f.startsWith('sync.state.json.unreadable-'))).toBe(true);
  });

  it('a saved plan is applied exactly, and refused naming the users when Duo changed since', async () => {
    const l = await synced();
    l.ad.find((u) => u.id === 4)!.given = 'Renamed';
    l.ad.find((u) => u.id === 5)!.disabled = true;
    const planFile = join(l.dir, 'plan.json');
    expect((await l.sync(['--out', planFile])).exitCode).toBe(0);
    const saved = JSON.parse(readFileSync(planFile, 'utf8'));
    expect(saved.actions.map((a: any) => `${a.kind} ${a.username}`).sort()).toEqual(['disable user005', 'update user004']);

    const mixed = await l.sync(['--apply', '--plan', planFile, '--yes', '--max-disables', '50']);
    expect(mixed.stderr).toMatch(/a saved plan is applied as it was made, holds included/);
    expect(mixed.exitCode).toBe(2);

    // Someone edits user005 in Duo after the review: the plan is stale for that user.
    userNamed('user005')!.realname = 'Changed Meanwhile';
    const stale = await l.sync(['--apply', '--plan', planFile, '--yes']);
    expect(stale.exitCode).toBe(1);
    expect(stale.stderr).toMatch(/saved plan [0-9a-f]{12} is stale: AD or Duo changed since it was made for 1 actions \(disable user005\)/);
    expect(status('user005')).toBe('active');

    userNamed('user005')!.realname = 'Given5 Sur5';
    const applied = await l.sync(['--apply', '--plan', planFile, '--yes']);
    expect(applied.exitCode).toBe(0);
    expect(status('user005')).toBe('disabled');
    expect(userNamed('user004')!.realname).toBe('Renamed Sur4');
  });

  it('two runs never overlap: one started while another holds the state is refused (exit 2); --format json is the plan and the summary', async () => {
    const l = await synced();
    const lock = join(l.dir, 'sync.state.json.lock');
    writeFileSync(lock, String(process.pid));
    const second = await l.sync(['--apply', '--yes']);
    expect(second.exitCode).toBe(2);
    expect(second.stderr).toMatch(/sync state .*sync\.state\.json is in use by another duo-bridge \(pid \d+\)/);
    rmSync(lock);
    l.ad = l.ad.filter((u) => u.id !== 1);
    const json = await l.sync(['--format', 'json']);
    const report = JSON.parse(json.stdout);
    expect(report.plan.actions.map((a: any) => `${a.kind} ${a.username}`)).toEqual(['disable user001']);
    expect(report).toEqual(expect.objectContaining({ mode: 'plan', exit: 0, ad_users: 39, managed: 40, counts: { disable: 1 }, duo_writes: 0 }));
  });

  it('reports a leaver an admin re-enabled in Duo, and with --drift-status ad-wins disables it again', async () => {
    const l = await synced();
    l.ad = l.ad.filter((u) => u.id !== 2);
    await l.sync(['--apply', '--yes']);
    expect(status('user002')).toBe('disabled');
    userNamed('user002')!.status = 'active';
    const drift = await l.sync(['--apply', '--yes']);
    expect(drift.stdout).toMatch(/user002: left AD and was disabled, but is active in Duo now \(reported only\)/);
    expect(status('user002')).toBe('active');
    await l.sync(['--apply', '--yes', '--drift-status', 'ad-wins']);
    expect(status('user002')).toBe('disabled');
  });
});

describe('duo-bridge sync: every run undoable, every crash recoverable', () => {
  it('a day\'s run rolled back leaves the tenant as it was (tenant diff empty)', async () => {
    const l = await synced();
    const before = join(l.dir, 'before.json');
    expect((await runCli(['tenant', 'export', '--out', before, ...FAST], { env: fake.duo.env() })).exitCode).toBe(0);
    l.ad = l.ad.filter((u) => u.id !== 5);
    l.ad.find((u) => u.id === 6)!.disabled = true;
    l.ad.find((u) => u.id === 7)!.sam = 'user007-renamed';
    l.ad.find((u) => u.id === 8)!.groups = [];
    l.ad.find((u) => u.id === 9)!.groups = [VPN];
    l.ad.find((u) => u.id === 10)!.sn = 'Married';
    const day = await l.sync(['--apply', '--yes']);
    expect(day.exitCode).toBe(0);
    const journal = journals(l).at(-1)!;
    const rollback = await runCli(['rollback', journal, '--apply', '--yes', ...FAST], { env: fake.duo.env() });
    expect(rollback.stderr).not.toMatch(/failed [1-9]/);
    expect(rollback.exitCode).toBe(0);
    const diff = await runCli(['tenant', 'diff', before, ...FAST], { env: fake.duo.env() });
    expect(diff.stdout).toMatch(/no differences|0 changes/i);
    expect(diff.exitCode).toBe(0);
  });

  it('a run killed before its first write (its journal never created) is recorded as finished, and nothing is made up', async () => {
    const l = await synced();
    const state = stateOf(l);
    const nowhere = join(l.dir, 'sync.state.runs', 'never-written.jsonl');
    writeFileSync(join(l.dir, 'sync.state.json'), JSON.stringify({ ...state, last_journal: { path: nowhere, plan: `${nowhere}.plan.json`, finished: false } }));
    const next = await l.sync(['--apply', '--yes']);
    expect(next.stderr).toMatch(/had stopped part-way/);
    expect(next.stderr).toMatch(/: in sync/);
    expect(existsSync(nowhere)).toBe(false);
    expect(stateOf(l).last_journal.finished).toBe(true);
  });

  it('killed at any write, the next run records what the killed one did and converges; no user is created twice', async () => {
    const l = await synced();
    const start = saveState(fake.duo);
    const startState = readFileSync(join(l.dir, 'sync.state.json'));
    const change = () => {
      l.ad = labUsers(40).filter((u) => u.id > 3);
      l.ad.find((u) => u.id === 6)!.disabled = true;
      l.ad.find((u) => u.id === 7)!.sam = 'user007-renamed';
      l.ad.find((u) => u.id === 8)!.groups = [];
      l.ad.push(...labUsers(3, 200).map((u) => ({ ...u, groups: [VPN] })));
      writeLdif(join(l.dir, 'ad.ldif'), l.ad);
    };
    // Single calls: one write per change, so the kills land between every kind of step.
    l.args.push('--no-bulk');
    change();
    fake.duo.log.length = 0;
    expect((await l.sync(['--apply', '--yes'])).exitCode).toBe(0);
    const expected = [...fake.duo.users.values()].map((u) => `${u.username} ${u.status} ${fake.duo.groupNamesOf(u).join(',')}`).sort();
    const writes = fake.duo.log.filter((r) => r.method !== 'GET').length;

    // A sample here (creates, memberships, the rename, removals, disables); every write in `npm run test:crash`.
    const sample: { k: number; point: KillPoint }[] = [{ k: 1, point: 'after' }, { k: 2, point: 'before' }, { k: 3, point: 'after' }, { k: 5, point: 'before' }, { k: 8, point: 'after' }, { k: writes, point: 'after' }];
    for (const { k, point } of sample) {
      restoreState(fake.duo, start);
      writeFileSync(join(l.dir, 'sync.state.json'), startState);
      rmSync(join(l.dir, 'sync.state.runs'), { recursive: true, force: true });
      fake.duo.log.length = 0;
      change();
      const { killed } = await runKilledAtWrite(fake.duo, [...l.args, '--apply', '--yes'], k, point);
      expect(killed).toBe(true);
      const resumed = await l.sync(['--apply', '--yes']);
      expect(resumed.stderr).toMatch(/had stopped part-way/);
      expect(resumed.stdout).not.toMatch(/conflicts/);
      expect(resumed.exitCode).toBe(0);
      expect((await l.sync(['--apply', '--yes'])).stderr).toMatch(/in sync/);
      expect([...fake.duo.users.values()].map((u) => `${u.username} ${u.status} ${fake.duo.groupNamesOf(u).join(',')}`).sort()).toEqual(expected);
    }
    expect(writes).toBeGreaterThan(10);

    // Killed, then rolled back instead of resumed: the tenant is as it was before the run.
    const before = join(l.dir, 'before.json');
    restoreState(fake.duo, start);
    expect((await runCli(['tenant', 'export', '--out', before, ...FAST], { env: fake.duo.env() })).exitCode).toBe(0);
    for (const { k, point } of sample.slice(1, 5)) {
      restoreState(fake.duo, start);
      writeFileSync(join(l.dir, 'sync.state.json'), startState);
      rmSync(join(l.dir, 'sync.state.runs'), { recursive: true, force: true });
      change();
      expect((await runKilledAtWrite(fake.duo, [...l.args, '--apply', '--yes'], k, point)).killed).toBe(true);
      const rollback = await runCli(['rollback', journals(l)[0]!, '--apply', '--yes', ...FAST], { env: fake.duo.env() });
      expect(rollback.exitCode).toBe(0);
      const diff = await runCli(['tenant', 'diff', before, ...FAST], { env: fake.duo.env() });
      expect({ k, point, diff: diff.stdout }).toEqual({ k, point, diff: expect.stringMatching(/no differences|0 changes/i) });
    }
  }, 180_000);
});
