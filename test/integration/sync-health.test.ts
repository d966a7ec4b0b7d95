import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fakeDuoPerTest } from '../helpers/fake-duo-per-test.js';
import { runCli } from '../helpers/run-cli.js';
import { labUsers, VPN, writeLdif, type LabUser } from '../helpers/sync-ldif.js';
import { tmpFiles } from '../helpers/tmp-files.js';

const fake = fakeDuoPerTest();
const FAST = ['--rate', '100000', '--timeout', '5'];
const HOUR = 3_600_000;

/** A loopback webhook receiver: every body posted to it, parsed. */
interface Sink {
  readonly url: string;
  readonly bodies: any[];
  status: number;
}
let sink: Sink;
let server: Server;
beforeEach(async () => {
  const bodies: any[] = [];
  server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => {
      bodies.push(JSON.parse(text));
      res.writeHead(sink.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/secret-token-123`, bodies, status: 200 };
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function lab(users: LabUser[]) {
  const dir = tmpFiles({});
  const state = join(dir, 'sync.state.json');
  writeFileSync(join(dir, 'hooks.txt'), `# the team's channel\n${sink.url}\n`);
  const l = {
    dir, state, ad: users,
    args: ['sync', '--from-ldif', join(dir, 'ad.ldif'), '--state', state, '--duo-group', VPN, ...FAST, '--notify-webhook-file', join(dir, 'hooks.txt')],
    sync: (args: string[] = [], at?: Date) => {
      writeLdif(join(dir, 'ad.ldif'), l.ad);
      return runCli([...l.args, ...args], { env: { ...fake.duo.env(), ...(at ? { DUO_BRIDGE_SYNC_NOW: at.toISOString() } : {}) } });
    },
    status: (args: string[] = []) => runCli(['sync', 'status', '--state', state, ...args], { env: {} }),
  };
  return l;
}

describe('sync --apply tells when it needs someone, once (issue 29)', () => {
  it('held: one alert with the counts and a complete approve command; the same hold again: nothing; a reminder a day later; approved: one recovery', async () => {
    const l = lab(labUsers(100));
    const t0 = Date.now() - 3 * 86_400_000;
    expect((await l.sync(['--apply', '--yes'], new Date(t0))).exitCode).toBe(0);
    // A healthy first run says nothing.
    expect(sink.bodies).toHaveLength(0);

    for (const u of l.ad.slice(0, 12)) u.disabled = true;
    const held = await l.sync(['--apply', '--yes'], new Date(t0 + HOUR));
    expect(held.exitCode).toBe(4);
    expect(sink.bodies).toHaveLength(1);
    const alert = sink.bodies[0];
    expect(alert.notification).toMatchObject({ event: 'alert', health: 'held' });
    expect(alert.status.hold).toMatchObject({ count: 12, by_kind: { disable: 12 } });
    expect(alert.run.first.held[0]).toMatch(/^user001: disable/);
    const approve: string = alert.status.hold.approve;
    expect(approve).toContain(`--state ${l.state}`);
    expect(approve).toMatch(/ --apply --approve [0-9a-f]{12} --yes$/);
    expect(approve).toContain('--notify-webhook-file');
    // The CLI prints the same command.
    expect(held.stdout).toContain(approve);
    // The webhook's URL is a secret: not in the message, the output or the files beside the state.
    expect(JSON.stringify(alert)).not.toContain('secret-token-123');
    expect(held.stdout + held.stderr).not.toContain('secret-token-123');
    expect(readFileSync(join(l.dir, 'sync.state.health.json'), 'utf8')).not.toContain('secret-token-123');

    // The same hold on the next run: no second message.
    expect((await l.sync(['--apply', '--yes'], new Date(t0 + 2 * HOUR))).exitCode).toBe(4);
    expect(sink.bodies).toHaveLength(1);
    // A day on, still held: one reminder.
    expect((await l.sync(['--apply', '--yes'], new Date(t0 + 26 * HOUR))).exitCode).toBe(4);
    expect(sink.bodies).toHaveLength(2);
    expect(sink.bodies[1].notification).toMatchObject({ event: 'reminder', health: 'held' });

    const status = await l.status(['--format', 'json']);
    expect(status.exitCode).toBe(4);

    // The command from the message, pasted into a shell as it is (the scheduled run's environment).
    const pasted = await shell(approve, { ...fake.duo.env(), DUO_BRIDGE_SYNC_NOW: new Date(t0 + 27 * HOUR).toISOString() });
    expect(pasted.stderr).toMatch(/applied 12 actions/);
    expect(pasted.code).toBe(0);
    expect(sink.bodies).toHaveLength(3);
    expect(sink.bodies[2].notification).toMatchObject({ event: 'recovery', health: 'healthy' });
    // Healthy again: nothing more.
    expect((await l.sync(['--apply', '--yes'], new Date(t0 + 28 * HOUR))).exitCode).toBe(0);
    expect(sink.bodies).toHaveLength(3);
    expect((await l.status()).exitCode).toBe(0);
  }, 120_000);

  it('a webhook that fails is one warning: the exit code and the writes stand, and the next run tries again', async () => {
    const l = lab(labUsers(20));
    expect((await l.sync(['--apply', '--yes'])).exitCode).toBe(0);
    sink.status = 500;
    l.ad.push(...labUsers(1, 500).map((u) => ({ ...u, sam: 'user001' })));
    const conflicted = await l.sync(['--apply', '--yes']);
    expect(conflicted.exitCode).toBe(1);
    expect(conflicted.stderr).toMatch(/warning: the webhook on line 2 of .*hooks\.txt \(127\.0\.0\.1:\d+\) was not called: HTTP 500/);
    expect(conflicted.stderr).not.toContain('secret-token-123');
    sink.status = 200;
    expect((await l.sync(['--apply', '--yes'])).exitCode).toBe(1);
    expect(sink.bodies.map((b) => b.notification?.event)).toEqual(['alert', 'alert']);
    expect(sink.bodies[1].notification.health).toBe('attention');
    expect((await l.sync(['--apply', '--yes'])).exitCode).toBe(1);
    expect(sink.bodies).toHaveLength(2);
  }, 60_000);

  it('a run that fails (Duo answers 500 to every listing, exit 3) is recorded and said once; sync status names it; the next good run recovers', async () => {
    const l = lab(labUsers(5));
    expect((await l.sync(['--apply', '--yes'])).exitCode).toBe(0);
    fake.duo.inject(/GET \/admin\/v1\/users/, '500-before', 1000);
    const down = await l.sync(['--apply', '--yes']);
    expect(down.exitCode).toBe(3);
    expect(sink.bodies).toHaveLength(1);
    expect(sink.bodies[0].notification).toMatchObject({ event: 'alert', health: 'attention' });
    expect(sink.bodies[0].notification.subject).toMatch(/needs attention: the last run failed \(exit 3\)/);
    const status = await l.status();
    expect(status.exitCode).toBe(1);
    expect(status.stdout).toMatch(/the last run \(.*\) failed \(exit 3\): /);
    expect((await l.sync(['--apply', '--yes'])).exitCode).toBe(3);
    expect(sink.bodies).toHaveLength(1);
    fake.duo.faults.length = 0;
    expect((await l.sync(['--apply', '--yes'])).exitCode).toBe(0);
    expect(sink.bodies.map((b) => b.notification.event)).toEqual(['alert', 'recovery']);
  }, 60_000);
});

describe('one condition, one name: the sync and the status timer never take turns', () => {
  it('a sync that keeps failing: one alert, whichever of the sync and the status timer sees it first; then nothing from either until it recovers', async () => {
    const l = lab(labUsers(5));
    const hooks = ['--notify-webhook-file', join(l.dir, 'hooks.txt')];
    // The last success 2 hours ago: a failed run is news; the status timer (26 h) agrees it is that, not staleness.
    expect((await l.sync(['--apply', '--yes'], new Date(Date.now() - 2 * HOUR))).exitCode).toBe(0);
    expect((await l.status(['--max-age', '26h', ...hooks])).exitCode).toBe(0);
    fake.duo.inject(/GET \/admin\/v1\/users/, '500-before', 10_000);
    for (let round = 0; round < 3; round++) {
      expect((await l.sync(['--apply', '--yes'])).exitCode).toBe(3);
      expect((await l.status(['--max-age', '26h', ...hooks])).exitCode).toBe(1);
    }
    expect(sink.bodies.map((b) => b.notification.health)).toEqual(['attention']);
    fake.duo.faults.length = 0;
    expect((await l.sync(['--apply', '--yes'])).exitCode).toBe(0);
    expect((await l.status(['--max-age', '26h', ...hooks])).exitCode).toBe(0);
    expect(sink.bodies.map((b) => b.notification.event)).toEqual(['alert', 'recovery']);
  }, 120_000);

  it('stale by the status timer\'s --max-age: the failing sync runs judge by the same 26 hours, so they say nothing new', async () => {
    const l = lab(labUsers(5));
    const hooks = ['--notify-webhook-file', join(l.dir, 'hooks.txt')];
    expect((await l.sync(['--apply', '--yes'], new Date(Date.now() - 30 * HOUR))).exitCode).toBe(0);
    expect((await l.status(['--max-age', '26h', ...hooks])).exitCode).toBe(5);
    fake.duo.inject(/GET \/admin\/v1\/users/, '500-before', 10_000);
    for (let round = 0; round < 3; round++) {
      expect((await l.sync(['--apply', '--yes'])).exitCode).toBe(3);
      expect((await l.status(['--max-age', '26h', ...hooks])).exitCode).toBe(5);
    }
    expect(sink.bodies.map((b) => b.notification.health)).toEqual(['stale']);
    expect(sink.bodies[0].status.reasons[0]).toMatch(/the last successful run was 30 h/);
    fake.duo.faults.length = 0;
    expect((await l.sync(['--apply', '--yes'])).exitCode).toBe(0);
    expect(sink.bodies.map((b) => b.notification.event)).toEqual(['alert', 'recovery']);
  }, 120_000);

  it('a health file that is not a file (a directory in its place): a warning; the run\'s exit code and writes stand', async () => {
    const l = lab(labUsers(30));
    expect((await l.sync(['--apply', '--yes'])).exitCode).toBe(0);
    rmSync(join(l.dir, 'sync.state.health.json'));
    mkdirSync(join(l.dir, 'sync.state.health.json'));
    for (const u of l.ad.slice(0, 12)) u.disabled = true;
    const held = await l.sync(['--apply', '--yes', '--threshold-count', '20']);
    expect(held.exitCode).toBe(0);
    expect(held.stderr).toMatch(/^warning: the health file was unreadable: .*is a directory/m);
    expect(held.stderr).toMatch(/applied 12 actions/);
    const status = await l.status();
    expect(status.exitCode).toBe(0);
  }, 60_000);
});

describe('the commands a sync prints work from any folder', () => {
  it('a relative --state: sync status and the approve command, pasted in /, find the state and its journal (nothing set aside)', async () => {
    const l = lab(labUsers(100));
    const relative = ['sync', '--from-ldif', 'ad.ldif', '--state', 'sync.state.json', '--duo-group', VPN, ...FAST, '--notify-webhook-file', 'hooks.txt', '--apply', '--yes'];
    writeLdif(join(l.dir, 'ad.ldif'), l.ad);
    expect((await runCli(relative, { cwd: l.dir, env: fake.duo.env() })).exitCode).toBe(0);
    for (const u of l.ad.slice(0, 12)) u.disabled = true;
    writeLdif(join(l.dir, 'ad.ldif'), l.ad);
    const held = await runCli(relative, { cwd: l.dir, env: fake.duo.env() });
    expect(held.exitCode).toBe(4);
    const approve = sink.bodies[0].status.hold.approve as string;
    expect(approve).toContain(`--from-ldif ${join(l.dir, 'ad.ldif')}`);
    const status = await runCli(['sync', 'status', '--state', l.state], { cwd: '/', env: {} });
    expect(status.stdout).toMatch(/health: held/);
    expect(status.exitCode).toBe(4);
    const pasted = await shell(approve, fake.duo.env());
    expect(pasted.stderr).not.toMatch(/unreadable|set aside/);
    expect(pasted.code).toBe(0);
    expect(readdirSync(l.dir).filter((f) => f.includes('unreadable'))).toEqual([]);
  }, 60_000);

  it('a config with relative paths: the printed command goes to the run\'s folder first', async () => {
    const l = lab(labUsers(100));
    writeFileSync(join(l.dir, 'sync.json'), JSON.stringify({ 'from-ldif': 'ad.ldif', state: 'sync.state.json', 'duo-group': VPN, 'notify-webhook-file': 'hooks.txt' }));
    const run = () => {
      writeLdif(join(l.dir, 'ad.ldif'), l.ad);
      return runCli(['sync', '--config', 'sync.json', ...FAST, '--apply', '--yes'], { cwd: l.dir, env: fake.duo.env() });
    };
    expect((await run()).exitCode).toBe(0);
    for (const u of l.ad.slice(0, 12)) u.disabled = true;
    expect((await run()).exitCode).toBe(4);
    const approve = sink.bodies[0].status.hold.approve as string;
    expect(approve.startsWith(`cd ${l.dir} && `)).toBe(true);
    const pasted = await shell(approve, fake.duo.env());
    expect(pasted.code).toBe(0);
  }, 60_000);
});

describe('duo-bridge sync status', () => {
  it('no state: stale, exit 5; --max-age with an old last run: stale; a fresh one: healthy; JSON shape', async () => {
    const l = lab(labUsers(5));
    const none = await l.status();
    expect(none.exitCode).toBe(5);
    expect(none.stdout).toMatch(/health: stale/);
    expect(none.stdout).toMatch(/no sync state at/);

    expect((await l.sync(['--apply', '--yes'], new Date(Date.now() - 30 * HOUR))).exitCode).toBe(0);
    const stale = await l.status(['--max-age', '26h']);
    expect(stale.exitCode).toBe(5);
    expect(stale.stdout).toMatch(/the last successful run was 30 h( \d+ min)? ago/);
    expect((await l.status(['--max-age', '2d'])).exitCode).toBe(0);
    const json = JSON.parse((await l.status(['--max-age', '2d', '--format', 'json'])).stdout);
    expect(Object.keys(json)).toEqual(['state', 'host', 'source', 'checked_at', 'health', 'key', 'reasons', 'exit', 'max_age_hours', 'last_run', 'last_success', 'hold', 'managed', 'ladder', 'notified', 'problems']);
    expect(json).toMatchObject({ health: 'healthy', exit: 0, max_age_hours: 48, managed: 5, hold: null, ladder: { missing: 0, disabled: 0, trashed: 0, users: [] } });
    expect(json.last_run).toMatchObject({ exit: 0, error: null, read: 'full', read_complete: true, counts: { create: 5 } });
    expect(json.last_run.ran_by.account).not.toBe('');
  }, 60_000);

  it('attention (exit 1) for conflicts and a leaver on the ladder with its Trash date', async () => {
    const l = lab(labUsers(30));
    const t0 = Date.now() - 2 * HOUR;
    expect((await l.sync(['--apply', '--yes'], new Date(t0))).exitCode).toBe(0);
    l.ad = l.ad.filter((u) => u.id !== 3);
    expect((await l.sync(['--apply', '--yes', '--trash-after-days', '10'], new Date(t0 + HOUR))).exitCode).toBe(0);
    const status = JSON.parse((await l.status(['--format', 'json'])).stdout);
    expect(status.ladder).toMatchObject({ missing: 1, disabled: 1, trashed: 0 });
    expect(status.ladder.users[0]).toMatchObject({ username: 'user003', trash_on: new Date(t0 + HOUR + 10 * 86_400_000).toISOString() });
    fake.duo.seed({ username: 'taken' });
    l.ad.push({ id: 900, sam: 'taken', given: 'T', sn: 'K', groups: [] });
    expect((await l.sync(['--apply', '--yes'], new Date(t0 + 90 * 60_000))).exitCode).toBe(1);
    const attention = await l.status();
    expect(attention.exitCode).toBe(1);
    expect(attention.stdout).toMatch(/health: attention/);
    expect(attention.stdout).toMatch(/conflicts: 1\n {2}taken: /);
  }, 60_000);
});

/** A command line as an admin pastes it into sh. */
function shell(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd: '/', env: { PATH: process.env.PATH, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

