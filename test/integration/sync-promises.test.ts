import { describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeDuoPerTest } from '../helpers/fake-duo-per-test.js';
import { runCli } from '../helpers/run-cli.js';
import { guidBytes, labUsers, VPN, writeLdif, type LabUser } from '../helpers/sync-ldif.js';
import { tmpFiles } from '../helpers/tmp-files.js';
import { FAST, syncLab, type Lab } from '../helpers/sync-days.js';
import { formatObjectGuid } from '../../src/ad/guid.js';

/**
 * The sync issue's twelve reproduced breaks of sync's promises, each a plain regression test
 * through the CLI against the fake Duo (the referral-cut dump and rollback's compare-before-write
 * have theirs beside the LDIF reader's and rollback's tests).
 */
const fake = fakeDuoPerTest();

const lab = (users: LabUser[]): Lab => syncLab(fake, users);

const apply = ['--apply', '--yes'];
const userNamed = (name: string) => [...fake.duo.users.values()].find((u) => u.username === name);
const status = (name: string) => userNamed(name)?.status;
const stateOf = (l: Lab) => JSON.parse(readFileSync(join(l.dir, 'sync.state.json'), 'utf8'));
const guidOf = (id: number) => formatObjectGuid(guidBytes(id));

async function synced(count = 40): Promise<Lab> {
  const l = lab(labUsers(count));
  expect((await l.sync(apply)).exitCode).toBe(0);
  expect((await l.sync(apply)).stderr).toMatch(/in sync/);
  return l;
}

describe('sync keeps its promises (the issue\'s twelve cases)', () => {
  it('1. a Duo user that is this AD user by email or objectGUID is never created twice: a conflict, or adopted with --adopt', async () => {
    // As a mail-username directory sync left them: named by email, the objectGUID kept as external_id.
    // The last one is found by its objectGUID only: its name and email in Duo are others.
    for (const u of labUsers(20)) {
      const [username, email] = u.id === 20 ? ['twenty', 'someone.else@corp.example'] : [u.mail!, u.mail!];
      fake.duo.seed({ username, email, realname: `${u.given} ${u.sn}`, external_id: guidOf(u.id) });
    }
    const l = lab(labUsers(20));
    const plain = await l.sync(apply);
    expect(plain.exitCode).toBe(1);
    expect(fake.duo.users.size).toBe(20);
    expect(plain.stdout).toMatch(/conflicts: 20 AD users not synced/);
    expect(plain.stdout).toMatch(/user020: Duo user "twenty" \(\w+\) \(matched by objectGUID [0-9a-f-]+ \(its external_id\)\)/);
    // Adopted, then renamed to AD's names: on a first run (no state yet) the renames wait for an approval.
    const adopted = await l.sync([...apply, '--adopt']);
    expect(adopted.exitCode).toBe(4);
    expect(fake.duo.users.size).toBe(20);
    const id = /--approve ([0-9a-f]{12})/.exec(adopted.stdout)![1]!;
    expect((await l.sync([...apply, '--approve', id])).exitCode).toBe(0);
    expect(fake.duo.users.size).toBe(20);
    expect(userNamed('user001')?.email).toBe('user1@corp.example');
  });

  it('2. --approve releases exactly the held set it names: a changed set is a new id, and the old one releases nothing more', async () => {
    const l = await synced();
    l.ad = l.ad.filter((u) => u.id > 6);
    const first = await l.sync([...apply, '--threshold-count', '5', '--threshold-percent', '1']);
    expect(first.exitCode).toBe(4);
    const firstId = /--approve ([0-9a-f]{12})/.exec(first.stdout)![1]!;
    // More leave before anyone approves: the held set grows, and so does its id.
    l.ad = l.ad.filter((u) => u.id > 8);
    const grown = await l.sync([...apply, '--threshold-count', '5', '--threshold-percent', '1']);
    expect(grown.exitCode).toBe(4);
    const grownId = /--approve ([0-9a-f]{12})/.exec(grown.stdout)![1]!;
    expect(grownId).not.toBe(firstId);
    expect(grown.stdout).toMatch(new RegExp(`the held actions changed since ${firstId} was held: review them again and approve ${grownId}`));
    // The id the admin reviewed is not what is held now: refused, nothing released.
    const stale = await l.sync([...apply, '--approve', firstId]);
    expect(stale.exitCode).toBe(2);
    expect(stale.stderr).toMatch(/that is not what is held now/);
    expect([...fake.duo.users.values()].filter((u) => u.status === 'disabled')).toHaveLength(0);
    const approved = await l.sync([...apply, '--approve', grownId]);
    expect(approved.exitCode).toBe(0);
    expect([...fake.duo.users.values()].filter((u) => u.status === 'disabled')).toHaveLength(8);
  });

  it('3. a Duo listing that changes while it is read forgets no one and takes nothing away', async () => {
    const l = await synced(310);
    // Someone deletes a user while sync reads the second page: offsets shift and one user is skipped.
    let pages = 0;
    fake.duo.beforeRequest = (method, path) => {
      if (method === 'GET' && path === '/admin/v1/users' && ++pages === 2) fake.duo.users.delete(userNamed('user001')!.user_id);
    };
    l.ad = l.ad.filter((u) => u.id !== 2);
    const before = Object.keys(stateOf(l).users).length;
    const run = await l.sync(apply);
    fake.duo.beforeRequest = undefined;
    expect(run.stdout).toMatch(/Duo's listing is incomplete: the tenant changed while it was listed/);
    expect(run.exitCode).toBe(4);
    expect(status('user002')).toBe('active');
    expect(Object.keys(stateOf(l).users)).toHaveLength(before);
    // The next, complete, read forgets the deleted user and disables the leaver.
    const next = await l.sync(apply);
    expect(next.exitCode).toBe(0);
    expect(next.stdout).toMatch(/forgotten \(no longer in Duo\):\n {2}user001\n/);
    expect(status('user002')).toBe('disabled');
  }, 120_000);

  it('6. sync never enables a user an admin disabled, even one it had disabled before someone re-enabled it', async () => {
    const l = await synced(20);
    l.ad.find((u) => u.id === 3)!.disabled = true;
    await l.sync(apply);
    expect(status('user003')).toBe('disabled');
    userNamed('user003')!.status = 'active';
    expect((await l.sync(apply)).stdout).toMatch(/user003: disabled in AD, but active in Duo/);
    // Security disables it by hand; later AD enables it again: the disable is theirs, not sync's.
    userNamed('user003')!.status = 'disabled';
    l.ad.find((u) => u.id === 3)!.disabled = false;
    const run = await l.sync(apply);
    expect(status('user003')).toBe('disabled');
    expect(run.stdout).toMatch(/user003: enabled in AD, but disabled in Duo by someone else/);
  });

  it('7. after a rollback of an approved run, a user back in AD is managed again: when it leaves again it is disabled', async () => {
    const l = await synced();
    const leavers = l.ad.filter((u) => u.id <= 17);
    l.ad = l.ad.filter((u) => u.id > 17);
    const held = await l.sync([...apply, '--max-shrink-percent', '50']);
    const id = /--approve ([0-9a-f]{12})/.exec(held.stdout)![1]!;
    const approved = await l.sync([...apply, '--approve', id]);
    expect(approved.exitCode).toBe(0);
    const journal = /journal: (\S+\.jsonl)/.exec(approved.stdout)![1]!;
    expect((await runCli(['rollback', journal, '--apply', '--yes', ...FAST], { env: fake.duo.env() })).exitCode).toBe(0);
    expect(status('user001')).toBe('active');
    l.ad.push(...leavers);
    expect((await l.sync(apply)).exitCode).toBe(0);
    l.ad = l.ad.filter((u) => u.id !== 1);
    const gone = await l.sync(apply);
    expect(gone.exitCode).toBe(0);
    expect(status('user001')).toBe('disabled');
  });

  it('8. a swap whose second rename fails leaves no user parked on a temporary name', async () => {
    const l = await synced(20);
    l.ad.find((u) => u.id === 1)!.sam = 'user002';
    l.ad.find((u) => u.id === 2)!.sam = 'user001';
    const two = userNamed('user002')!.user_id;
    fake.duo.inject(new RegExp(`^POST /admin/v1/users/${two}$`), 'refuse', 5);
    const run = await l.sync([...apply, '--no-bulk']);
    expect(run.exitCode).toBe(1);
    expect([...fake.duo.users.values()].some((u) => u.username.startsWith('duo-bridge-tmp-'))).toBe(false);
    expect(run.stdout).toMatch(/parked on duo-bridge-tmp-\w+ and is back on user001/);
    fake.duo.faults.length = 0;
    expect((await l.sync([...apply, '--no-bulk'])).exitCode).toBe(0);
    expect(userNamed('user002')?.user_id).not.toBe(two);
  });

  it('8. a rename into a name a managed user keeps is a conflict planned up front, not a failed write', async () => {
    const l = lab(labUsers(20));
    const withMail = [...apply, '--alias-attr', 'mail'];
    expect((await l.sync(withMail)).exitCode).toBe(0);
    l.ad.find((u) => u.id === 1)!.mail = 'user2@corp.example';
    const run = await l.sync(withMail);
    expect(run.stdout).toMatch(/"user2@corp\.example" is still held by Duo user "user002"/);
    expect([...fake.duo.users.values()].some((u) => u.username.startsWith('duo-bridge-tmp-'))).toBe(false);
  });

  it('9. the first run records the AD baseline: a shrink on the second run is held', async () => {
    const l = lab(labUsers(15));
    expect((await l.sync(apply)).exitCode).toBe(0);
    expect(stateOf(l).ad_users).toBe(15);
    l.ad = l.ad.slice(0, 5);
    const run = await l.sync(apply);
    expect(run.exitCode).toBe(4);
    expect(run.stdout).toMatch(/67% fewer than the last complete read's 15/);
    expect([...fake.duo.users.values()].filter((u) => u.status === 'disabled')).toHaveLength(0);
  });

  it('10. --adopt records the memberships it found as found: one added by hand stays with --drift-groups report', async () => {
    fake.duo.seed({ username: 'user001', email: 'user1@corp.example', realname: 'Given1 Sur1', firstname: 'Given1', lastname: 'Sur1' });
    userNamed('user001')!.groups.push(fake.duo.seedGroup('VPN').group_id);
    const l = lab(labUsers(3));
    expect((await l.sync([...apply, '--adopt', '--drift-groups', 'report'])).exitCode).toBe(0);
    expect(stateOf(l).users[guidOf(1)].applied.groups).toEqual([]);
    const run = await l.sync([...apply, '--drift-groups', 'report']);
    expect(run.stdout).toMatch(/user001: in VPN in Duo, not in that group in AD \(reported only\)/);
    expect(fake.duo.groupNamesOf(userNamed('user001')!)).toEqual(['VPN']);
  });

  it('11. an AD account re-created with a new objectGUID is re-anchored by --adopt: same user_id, enabled again', async () => {
    const l = await synced(20);
    const id = userNamed('user005')!.user_id;
    // Deleted in AD: disabled after a complete read.
    l.ad = l.ad.filter((u) => u.id !== 5);
    await l.sync(apply);
    expect(status('user005')).toBe('disabled');
    // Re-created: same name, a new objectGUID.
    l.ad.push({ ...labUsers(1, 5)[0]!, id: 905 });
    const plain = await l.sync(apply);
    expect(plain.exitCode).toBe(1);
    expect(plain.stdout).toMatch(/run "sync --adopt" to re-anchor it/);
    const adopted = await l.sync([...apply, '--adopt']);
    expect(adopted.exitCode).toBe(0);
    expect(adopted.stdout).toMatch(/re-anchor user005 to objectGUID/);
    expect(userNamed('user005')!.user_id).toBe(id);
    expect(status('user005')).toBe('active');
    const state = stateOf(l);
    expect(state.users[guidOf(905)].user_id).toBe(id);
    expect(state.users[guidOf(5)]).toBeUndefined();
    expect(fake.duo.users.size).toBe(20);
  });

  it('12. an --apply run whose destructive part was held says it applied with a hold, in the summary, the JSON and the page', async () => {
    const l = await synced();
    l.ad = l.ad.filter((u) => u.id > 12);
    const summary = join(l.dir, 'summary.json');
    const page = join(l.dir, 'run.html');
    const run = await l.sync([...apply, '--summary-json', summary, '--report', page, '--max-shrink-percent', '50']);
    expect(run.exitCode).toBe(4);
    expect(run.stderr).toMatch(/applied with a hold: 0 actions, 12 held by a safeguard/);
    expect(JSON.parse(readFileSync(summary, 'utf8'))).toMatchObject({ mode: 'apply', held: 12, exit: 4 });
    const html = readFileSync(page, 'utf8');
    expect(html).not.toMatch(/plan only: nothing was changed/);
    expect(html).toMatch(/applied with 12 actions held by a safeguard/);
  });
});

describe('sync: the clock, the rolling window, statuses and groups', () => {
  it('a run whose clock is behind the last run\'s does nothing destructive', async () => {
    const l = await synced(20);
    l.ad = l.ad.filter((u) => u.id !== 3);
    l.day -= 5;
    const run = await l.sync(apply);
    expect(run.exitCode).toBe(4);
    expect(run.stdout).toMatch(/this run's clock \(.*\) is behind the last run's/);
    expect(status('user003')).toBe('active');
  });

  it('DUO_BRIDGE_SYNC_NOW is refused against a Duo that is not on this machine', async () => {
    const dir = tmpFiles({});
    writeLdif(join(dir, 'ad.ldif'), labUsers(2));
    const run = await runCli(['sync', '--from-ldif', join(dir, 'ad.ldif'), '--state', join(dir, 's.json')],
      { env: { DUO_HOST: 'api-12345678.duosecurity.com', DUO_IKEY: 'DIXXXXXXXXXXXXXXXXXX', DUO_SKEY: 'x'.repeat(40), DUO_BRIDGE_SYNC_NOW: '2026-01-01T00:00:00Z' } });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/DUO_BRIDGE_SYNC_NOW .* is refused against api-12345678\.duosecurity\.com/);
  });

  it('erosion: many small runs that each pass add up over 7 days, and are held', async () => {
    const l = await synced(100);
    const args = [...apply, '--threshold-count', '5', '--threshold-percent', '4'];
    let exit: number | null = 0;
    let removed = 0;
    for (let day = 0; day < 5 && exit === 0; day++) {
      l.ad = l.ad.slice(2);
      removed += 2;
      exit = (await l.sync(args)).exitCode;
    }
    // 2 a day pass; the third day makes 6 in the window, more than 5 and 4 %.
    expect(exit).toBe(4);
    expect(removed).toBe(6);
    expect([...fake.duo.users.values()].filter((u) => u.status === 'disabled')).toHaveLength(4);
  });

  it('the status recorded before a disable is the user\'s real one: a bypass user rolls back to bypass', async () => {
    const l = await synced(20);
    userNamed('user004')!.status = 'bypass';
    l.ad.find((u) => u.id === 4)!.disabled = true;
    const run = await l.sync(apply);
    expect(status('user004')).toBe('disabled');
    const journal = /journal: (\S+\.jsonl)/.exec(run.stdout)![1]!;
    expect((await runCli(['rollback', journal, '--apply', '--yes', ...FAST], { env: fake.duo.env() })).exitCode).toBe(0);
    expect(status('user004')).toBe('bypass');
  });

  it('a mapped group that a Duo directory sync manages is never changed', async () => {
    const synced = fake.duo.seedGroup('VPN (from AD sync "corp")');
    const l = lab(labUsers(4));
    const config = join(l.dir, 'sync.json');
    writeFileSync(config, JSON.stringify({ 'duo-group': { [VPN]: 'VPN (from AD sync "corp")' } }));
    writeLdif(join(l.dir, 'ad.ldif'), l.ad);
    const run = await runCli(['sync', '--config', config, '--from-ldif', join(l.dir, 'ad.ldif'), '--state', join(l.dir, 's.json'), ...FAST, ...apply], { env: fake.duo.env() });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/Duo group "VPN \(from AD sync "corp"\)" is managed by a Duo directory sync/);
    expect([...fake.duo.users.values()].filter((u) => u.groups.includes(synced.group_id))).toHaveLength(0);
  });
});

