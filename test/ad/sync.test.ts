import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { diffTenants } from '../../src/duo/tenant/tenant-diff.js';
import { loadTenantSnapshot } from '../../src/duo/tenant/tenant.js';
import { FakeDuo } from '../fake-duo/fake-duo.js';
import { restoreState, saveState } from '../helpers/fake-state.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';
import { AD, asAdmin, ldapEnv } from './ad-env.js';

/*
 * Issue 18's days against the real Samba AD DC: an OU of its own (removed afterwards, so the other
 * AD tests see the directory they expect), changed between runs with ldapmodify as Administrator.
 */

const OU = `OU=SyncLab,${AD.base}`;
const VPN = `CN=SyncVPN,${OU}`;
const FAST = ['--rate', '100000', '--timeout', '5'];
const DAY = 86_400_000;
const sam = (i: number): string => `sync${String(i).padStart(2, '0')}`;
const dn = (i: number): string => `CN=Sync User ${i},${OU}`;

function userEntry(i: number): string {
  // 544 = a normal account that needs no password: enabled without setting one over plain LDAP.
  return [`dn: ${dn(i)}`, 'objectClass: user', `sAMAccountName: ${sam(i)}`, `givenName: Sync`, `sn: User ${i}`, `displayName: Sync User ${i}`,
    `mail: ${sam(i)}@example.test`, 'userAccountControl: 544', ''].join('\n');
}

let duo: FakeDuo;
let dir: string;
beforeAll(async () => {
  duo = await new FakeDuo().start();
  asAdmin('ldapadd', [`dn: ${OU}`, 'objectClass: organizationalUnit', '',
    ...Array.from({ length: 30 }, (_, k) => userEntry(k + 1)),
    `dn: ${VPN}`, 'objectClass: group', 'sAMAccountName: SyncVPN', ...Array.from({ length: 10 }, (_, k) => `member: ${dn(k + 1)}`), ''].join('\n'));
});
afterAll(async () => {
  await duo.stop();
  asAdmin('ldapdelete', OU, ['-r']);
});

const status = (name: string) => [...duo.users.values()].find((u) => u.username === name)?.status;
const groupsOf = (name: string) => duo.groupNamesOf([...duo.users.values()].find((u) => u.username === name)!);

function sync(args: string[] = [], options: { url?: string; at?: Date } = {}) {
  return runCli(['sync', '--url', options.url ?? AD.url, '--insecure-plaintext-bind', '--bind-dn', AD.exportUser, '--base', OU, '--duo-group', VPN,
    '--state', join(dir, 'sync.state.json'), ...args, ...FAST], { env: { ...ldapEnv(), ...duo.env(), ...(options.at ? { DUO_BRIDGE_SYNC_NOW: options.at.toISOString() } : {}) } });
}

async function rolledBackOnACopy(journalOf: string, before: string): Promise<string[]> {
  const copy = saveState(duo);
  try {
    const run = await runCli(['rollback', journalOf, '--apply', '--yes', ...FAST], { env: duo.env() });
    expect(run.exitCode).toBe(0);
    const after = join(dir, 'after-rollback.json');
    expect((await runCli(['tenant', 'export', '--out', after, ...FAST], { env: duo.env() })).exitCode).toBe(0);
    return diffTenants(await loadTenantSnapshot(before), await loadTenantSnapshot(after)).changes.map((c) => ('user' in c ? `${c.kind} ${c.user.username}` : `${c.kind} ${c.group}`));
  } finally {
    restoreState(duo, copy);
  }
}

async function snapshot(name: string): Promise<string> {
  const path = join(dir, name);
  expect((await runCli(['tenant', 'export', '--out', path, ...FAST], { env: duo.env() })).exitCode).toBe(0);
  return path;
}

const journalOf = (stdout: string): string => /journal: (\S+\.jsonl)/.exec(stdout)![1]!;

/** A TCP relay to the DC that cuts both sides once `limit` bytes came back: the DC "going away" at a progress point. */
function cuttingRelay(limit: number): Promise<{ server: Server; url: string }> {
  const target = new URL(AD.url);
  const server = createServer((client: Socket) => {
    const upstream = connect(Number(target.port || 389), target.hostname);
    let relayed = 0;
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      relayed += chunk.length;
      if (relayed > limit) {
        client.destroy();
        upstream.destroy();
      } else client.write(chunk);
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `ldap://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

describe('sync against a real Samba AD DC, day after day', () => {
  it('day 1 creates; day 2 a joiner, a disabled user, a rename and group changes; day 3 an OU emptied is held until approved; a DC lost mid-read changes nothing; the grace period ends in the Trash; each day undoable', async () => {
    dir = tmpFiles();
    const start = Date.now();

    // Three of them are in Duo already (an earlier import): plain sync calls them conflicts, --adopt takes them over.
    for (const i of [1, 2, 3]) duo.seed({ username: sam(i), realname: `Sync User ${i}`, firstname: 'Sync', lastname: `User ${i}`, email: `${sam(i)}@example.test` });
    const first = await sync(['--apply', '--yes']);
    expect(first.stdout).toMatch(/conflicts: 3 AD users not synced/);
    expect(first.exitCode).toBe(1);
    const day1 = await sync(['--adopt', '--apply', '--yes']);
    // 3 adopted (and put in SyncVPN), the rest were created by the first run.
    expect(day1.stdout).toMatch(/adopt 3 · add to group 3/);
    expect(day1.exitCode).toBe(0);
    expect(duo.users.size).toBe(30);
    expect(groupsOf(sam(3))).toEqual(['SyncVPN']);
    expect((await sync(['--apply', '--yes'])).stderr).toMatch(/: in sync/);

    // Day 2 in AD.
    const beforeDay2 = await snapshot('before-day2.json');
    asAdmin('ldapmodify', [
      `dn: ${dn(5)}`, 'changetype: modify', 'replace: userAccountControl', 'userAccountControl: 546', '',
      `dn: ${dn(6)}`, 'changetype: modify', 'replace: sAMAccountName', `sAMAccountName: ${sam(6)}b`, '',
      `dn: ${VPN}`, 'changetype: modify', 'delete: member', `member: ${dn(2)}`, '-', 'add: member', `member: ${dn(20)}`, '',
    ].join('\n'));
    asAdmin('ldapadd', userEntry(31));
    const day2 = await sync(['--apply', '--yes']);
    expect(day2.stdout).toMatch(/create 1 · rename 1 · add to group 1 · remove from group 1 · disable 1/);
    expect(day2.exitCode).toBe(0);
    expect(status(sam(5))).toBe('disabled');
    expect(status(`${sam(6)}b`)).toBe('active');
    expect(status(sam(6))).toBeUndefined();
    expect(groupsOf(sam(2))).toEqual([]);
    expect(groupsOf(sam(20))).toEqual(['SyncVPN']);
    expect(status(sam(31))).toBe('active');
    expect((await sync(['--apply', '--yes'])).stderr).toMatch(/: in sync/);
    expect(await rolledBackOnACopy(journalOf(day2.stdout), beforeDay2)).toEqual([]);

    // Day 3: a dozen users deleted in AD (an OU emptied by mistake, say): held, exit 4, nothing disabled.
    asAdmin('ldapdelete', Array.from({ length: 12 }, (_, k) => dn(k + 10)).join('\n'));
    const held = await sync(['--apply', '--yes']);
    expect(held.exitCode).toBe(4);
    expect(held.stdout).toMatch(/held by a safeguard: 12 destructive actions/);
    expect(status(sam(12))).toBe('active');
    // The next scheduled run holds again.
    expect((await sync(['--apply', '--yes'])).exitCode).toBe(4);

    // The DC goes away in the middle of the read: exit 3, not one write.
    const relay = await cuttingRelay(4000);
    const writesBefore = duo.log.filter((r) => r.method !== 'GET').length;
    const lost = await sync(['--apply', '--yes', '--page-size', '3'], { url: relay.url });
    relay.server.close();
    expect(lost.exitCode).toBe(3);
    expect(lost.stderr).toMatch(/^duo-bridge: .*connection to the DC was lost.*\n$/m);
    expect(duo.log.filter((r) => r.method !== 'GET').length).toBe(writesBefore);

    // The admin approves the hold: the twelve are disabled, once. 12 of 31 is also a shrink, which an
    // approval never lifts alone: the approving run accepts it with its own one-run override.
    const planId = /--approve ([0-9a-f]{12})/.exec(held.stdout)![1]!;
    const beforeDay3 = await snapshot('before-day3.json');
    expect((await sync(['--apply', '--yes', '--approve', planId])).exitCode).toBe(4);
    const approved = await sync(['--apply', '--yes', '--approve', planId, '--max-shrink-percent', '50']);
    expect(approved.exitCode).toBe(0);
    expect([...duo.users.values()].filter((u) => u.status === 'disabled')).toHaveLength(13);
    expect(await rolledBackOnACopy(journalOf(approved.stdout), beforeDay3)).toEqual([]);

    // 31 days on, still gone: to the Trash (more than the threshold: allowed for this run only).
    const grace = await sync(['--apply', '--yes', '--max-trashes', '12'], { at: new Date(start + 31 * DAY) });
    expect(grace.exitCode).toBe(0);
    expect([...duo.users.values()].filter((u) => u.status === 'pending deletion').map((u) => u.username).sort())
      .toEqual(Array.from({ length: 12 }, (_, k) => sam(k + 10)).sort());
    expect(duo.log.some((r) => r.method === 'DELETE' && /^\/admin\/v1\/users\/[^/]+$/.test(r.path))).toBe(false);
  // A dozen CLI runs against Samba: a budget for a busy machine, not a measure (nothing here waits on a timer).
  }, 180_000);
});
