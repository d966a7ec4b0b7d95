import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { FakeDuo } from '../fake-duo/fake-duo.js';
import { runCli } from '../helpers/run-cli.js';
import { AD, asAdmin, ldapEnv } from './ad-env.js';

/*
 * Issue 28's fast lane against the real Samba AD DC: `sync --changes-only` reads AD's changes through
 * DirSync as the suite's export account, an ordinary user with no replication right. An OU of its
 * own (removed afterwards); AD changed with samba-tool and ldapmodify as Administrator.
 */

const OU = `OU=FastLane,${AD.base}`;
const VPN = `CN=FastVPN,${OU}`;
const SUB = `OU=Sub,${OU}`;
const OUTSIDE = `OU=FastLaneOut,${AD.base}`;
const FAST = ['--rate', '100000', '--timeout', '5'];
const HOUR = 3_600_000;
const sam = (i: number): string => `fast${String(i).padStart(2, '0')}`;
const dn = (i: number): string => `CN=Fast User ${i},${OU}`;

/** samba-tool on the DC's own database, as an admin on the DC would run it. */
function samba(...args: string[]): void {
  execFileSync('samba-tool', [...args, '-H', join(AD.dir, 'private', 'sam.ldb')], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function userEntry(i: number): string {
  // 544 = a normal account that needs no password: enabled without setting one over plain LDAP.
  return [`dn: ${dn(i)}`, 'objectClass: user', `sAMAccountName: ${sam(i)}`, 'givenName: Fast', `sn: User ${i}`, `displayName: Fast User ${i}`,
    `mail: ${sam(i)}@example.test`, 'userAccountControl: 544', ''].join('\n');
}

let duo: FakeDuo;
let dir: string;
const start = Date.now();
// One folder for both tests: the second goes on from the state the first left.
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duo-bridge-fast-lane-'));
  duo = await new FakeDuo().start();
  asAdmin('ldapadd', [`dn: ${OU}`, 'objectClass: organizationalUnit', '',
    ...Array.from({ length: 40 }, (_, k) => userEntry(k + 1)),
    `dn: ${VPN}`, 'objectClass: group', 'sAMAccountName: FastVPN', ...Array.from({ length: 10 }, (_, k) => `member: ${dn(k + 1)}`), ''].join('\n'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await duo.stop();
  asAdmin('ldapdelete', OU, ['-r']);
  // Made by the first test: absent when it stopped before.
  try {
    asAdmin('ldapdelete', OUTSIDE, ['-r']);
  } catch { /* not there */ }
});

const user = (name: string) => [...duo.users.values()].find((u) => u.username === name);
const groupsOf = (name: string) => duo.groupNamesOf(user(name)!);
const statePath = () => join(dir, 'fast.state.json');
const markPath = () => join(dir, 'fast.state.changes.json');

interface Run { exitCode: number | null; stdout: string; stderr: string; summary: { read: string; read_why: string | null; duo_calls: number; duo_writes: number; counts: Record<string, number>; held: number } }

async function sync(args: string[] = [], options: { url?: string; hours?: number } = {}): Promise<Run> {
  const summary = join(dir, 'summary.json');
  writeFileSync(summary, '{}');
  const run = await runCli(['sync', '--url', options.url ?? AD.url, '--insecure-plaintext-bind', '--bind-dn', AD.exportUser, '--base', OU, '--duo-group', VPN,
    '--state', statePath(), '--changes-only', '--apply', '--yes', '--summary-json', summary, ...args, ...FAST],
  { env: { ...ldapEnv(), ...duo.env(), DUO_BRIDGE_SYNC_NOW: new Date(start + (options.hours ?? 0) * HOUR).toISOString() } });
  return { ...run, summary: JSON.parse(readFileSync(summary, 'utf8')) };
}

/** A relay to the DC that cuts both sides when the k-th search result entry comes back: a progress point, never a moment. */
function cuttingRelay(entries: number): Promise<{ server: Server; url: string }> {
  const target = new URL(AD.url);
  const server = createServer((client: Socket) => {
    const upstream = connect(Number(target.port || 389), target.hostname);
    let seen = 0;
    let buffered = Buffer.alloc(0);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      // Whole LDAPMessages only: SEQUENCE, its length, then messageID and the operation's tag.
      for (;;) {
        const message = messageAt(buffered);
        if (message === null) break;
        if (message.op === 0x64 && ++seen >= entries) {
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(buffered.subarray(0, message.size));
        buffered = buffered.subarray(message.size);
      }
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `ldap://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

function messageAt(data: Buffer): { size: number; op: number } | null {
  if (data.length < 2) return null;
  let length = data[1]!;
  let offset = 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (data.length < 2 + bytes) return null;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + data[2 + i]!;
    offset = 2 + bytes;
  }
  if (data.length < offset + length) return null;
  const idLength = data[offset + 1]!;
  return { size: offset + length, op: data[offset + 2 + idLength]! };
}

describe('sync --changes-only against a real Samba AD DC (DirSync, no replication right)', () => {
  it('a disable, a removed member, a rename and a mail change go on the next run; a joiner is matched on a full read; a deletion waits for the full read; a quiet run calls Duo not at all', async () => {
    const first = await sync();
    expect(first.exitCode).toBe(0);
    expect(first.summary).toMatchObject({ read: 'full', read_why: expect.stringMatching(/no DirSync cookie yet/) });
    expect(duo.users.size).toBe(40);

    // Nothing changed: no Duo call at all, and the state is not even read again.
    const logged = duo.log.length;
    const quiet = await sync();
    expect(quiet.exitCode).toBe(0);
    expect(quiet.summary).toMatchObject({ read: 'changes', read_why: null, duo_calls: 0 });
    expect(duo.log.length).toBe(logged);

    // A leaver disabled the usual way.
    samba('user', 'disable', sam(5));
    const leaver = await sync();
    expect(leaver.summary.read_why).toBeNull();
    expect(leaver.exitCode).toBe(0);
    expect(leaver.summary).toMatchObject({ read: 'changes', counts: { disable: 1 } });
    expect(user(sam(5))!.status).toBe('disabled');
    // One user_id_list look-up, one write.
    expect(leaver.summary.duo_calls).toBeLessThanOrEqual(4);

    // A member removed from the mapped group, a rename, a mail change.
    asAdmin('ldapmodify', [
      `dn: ${VPN}`, 'changetype: modify', 'delete: member', `member: ${dn(2)}`, '',
      `dn: ${dn(6)}`, 'changetype: modify', 'replace: sAMAccountName', `sAMAccountName: ${sam(6)}b`, '',
      `dn: ${dn(7)}`, 'changetype: modify', 'replace: mail', `mail: ${sam(7)}.new@example.test`, '',
    ].join('\n'));
    const edits = await sync();
    expect(edits.exitCode).toBe(0);
    expect(edits.summary).toMatchObject({ read: 'changes', counts: { rename: 1, update: 1, remove_membership: 1 } });
    expect(groupsOf(sam(2))).toEqual([]);
    expect(user(`${sam(6)}b`)?.status).toBe('active');
    expect(user(sam(7))?.email).toBe(`${sam(7)}.new@example.test`);

    // A joiner: matched against the whole tenant, so this run reads in full, and creates it enabled.
    asAdmin('ldapadd', userEntry(41));
    const joiner = await sync();
    expect(joiner.summary).toMatchObject({ read: 'full', read_why: expect.stringMatching(/fast41 is new to the sync/), counts: { create: 1 } });
    expect(user(sam(41))?.status).toBe('active');
    expect((await sync()).summary).toMatchObject({ read: 'changes', duo_calls: 0 });

    // A deletion is not seen without replication rights: the user stays until the next full read.
    asAdmin('ldapdelete', dn(8));
    expect((await sync()).summary).toMatchObject({ read: 'changes', counts: {} });
    expect(user(sam(8))!.status).toBe('active');
    const daily = await sync([], { hours: 25 });
    expect(daily.summary).toMatchObject({ read: 'full', read_why: expect.stringMatching(/the last full read was at .*--full-read-every 24h/), counts: { disable: 1 } });
    expect(user(sam(8))!.status).toBe('disabled');

    // An OU moved out of the base: its users' DNs change and the users themselves don't; DirSync names the OU.
    asAdmin('ldapadd', [`dn: ${OUTSIDE}`, 'objectClass: organizationalUnit', '', `dn: ${SUB}`, 'objectClass: organizationalUnit', '',
      userEntry(43).replace(dn(43), `CN=Fast User 43,${SUB}`)].join('\n'));
    expect((await sync([], { hours: 25 })).summary).toMatchObject({ read: 'full', counts: { create: 1 } });
    asAdmin('ldapmodify', [`dn: ${SUB}`, 'changetype: modrdn', 'newrdn: OU=Sub', 'deleteoldrdn: 1', `newsuperior: ${OUTSIDE}`, ''].join('\n'));
    const moved = await sync([], { hours: 25 });
    expect(moved.summary).toMatchObject({ read: 'full', read_why: expect.stringMatching(/^the OU OU=Sub,OU=FastLaneOut,.* was created, renamed or moved/), counts: { disable: 1 } });
    expect(user(sam(43))!.status).toBe('disabled');
  }, 240_000);

  it('a cookie of another DC, or one the DC refuses, makes a full read; a DirSync read cut off changes nothing; a mass disable is held as in a full run', async () => {
    expect((await sync([], { hours: 26 })).summary).toMatchObject({ read: 'changes' });
    const mark = JSON.parse(readFileSync(markPath(), 'utf8'));
    // The DC re-provisioned or restored: a new invocationId.
    writeFileSync(markPath(), JSON.stringify({ ...mark, invocation_id: '00000000-0000-0000-0000-000000000001' }));
    const other = await sync([], { hours: 26 });
    expect(other.summary).toMatchObject({ read: 'full', read_why: expect.stringMatching(/not the one the cookie came from/) });
    const renewed = JSON.parse(readFileSync(markPath(), 'utf8'));
    expect(renewed.invocation_id).toBe(mark.invocation_id);
    writeFileSync(markPath(), JSON.stringify({ ...renewed, cookie: Buffer.from('not a cookie at all').toString('base64') }));
    expect((await sync([], { hours: 26 })).summary).toMatchObject({ read: 'full', read_why: expect.stringMatching(/refused the DirSync cookie/) });

    // Twelve leavers at once (an OU disabled by mistake).
    for (let i = 20; i < 32; i++) samba('user', 'disable', sam(i));
    const markBefore = readFileSync(markPath(), 'utf8');
    const writes = duo.log.filter((r) => r.method !== 'GET').length;
    for (const k of [3, 6]) {
      const relay = await cuttingRelay(k);
      const cut = await sync([], { url: relay.url, hours: 26 });
      relay.server.close();
      expect(cut.exitCode).toBe(3);
      expect(duo.log.filter((r) => r.method !== 'GET').length).toBe(writes);
      expect(readFileSync(markPath(), 'utf8')).toBe(markBefore);
    }
    const held = await sync([], { hours: 26 });
    expect(held.exitCode).toBe(4);
    expect(held.summary).toMatchObject({ read: 'changes', held: 12 });
    expect([...duo.users.values()].filter((u) => u.status === 'disabled')).toHaveLength(3);
    // While held, every run reads in full and holds the same set.
    const again = await sync([], { hours: 26 });
    expect(again.exitCode).toBe(4);
    expect(again.summary).toMatchObject({ read: 'full', read_why: expect.stringMatching(/a hold \([0-9a-f]{12}\) waits for approval/) });
    const id = /--approve ([0-9a-f]{12})/.exec(held.stdout)![1]!;
    const approved = await sync(['--approve', id], { hours: 26 });
    expect(approved.exitCode).toBe(0);
    expect([...duo.users.values()].filter((u) => u.status === 'disabled')).toHaveLength(15);
    expect((await sync([], { hours: 26 })).summary).toMatchObject({ read: 'changes', duo_calls: 0 });

    // A joiner whose create Duo refuses: DirSync won't name it again, so the next run reads in full to retry it.
    asAdmin('ldapadd', userEntry(42));
    // Refused twice: the bulk endpoint (the run goes on with single calls), then the single create.
    duo.inject(/^POST \/admin\/v1\/bulk$/, 'refuse');
    duo.inject(/^POST \/admin\/v1\/users$/, 'refuse');
    const refused = await sync([], { hours: 26 });
    expect(refused.exitCode).toBe(1);
    expect(user(sam(42))).toBeUndefined();
    const retried = await sync([], { hours: 26 });
    expect(retried.summary).toMatchObject({ read: 'full', read_why: expect.stringMatching(/\d+ failed write\(s\) of the last run can only be retried by a full read/), counts: { create: 1 } });
    expect(user(sam(42))?.status).toBe('active');
    expect((await sync([], { hours: 26 })).summary).toMatchObject({ read: 'changes', duo_calls: 0 });

    // The mapped group emptied (a script gone wrong): what a full read holds, so the run reads in full.
    asAdmin('ldapmodify', [`dn: ${VPN}`, 'changetype: modify', 'delete: member', ''].join('\n'));
    const emptied = await sync([], { hours: 26 });
    expect(emptied.summary).toMatchObject({ read: 'full', read_why: expect.stringMatching(/the mapped group CN=FastVPN,.* has no member left/) });
    expect(emptied.exitCode).toBe(4);
    expect(groupsOf(sam(1))).toEqual(['FastVPN']);
  }, 240_000);
});
