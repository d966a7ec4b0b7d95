import { beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeDuoPerTest } from '../helpers/fake-duo-per-test.js';
import { runCli } from '../helpers/run-cli.js';
import { labUsers, VPN, writeLdif, type LabUser } from '../helpers/sync-ldif.js';
import { tmpFiles } from '../helpers/tmp-files.js';
import { emptyMaildir, mailLab, mails, waitForMails } from './maildir.js';

/**
 * Issue 29 against a real mail server: Postfix on loopback (test/ops/mail-lab.sh), the messages
 * read back from the Maildirs it delivered them to.
 */
const fake = fakeDuoPerTest();
const lab = mailLab();
const FAST = ['--rate', '100000', '--timeout', '5'];
const HOUR = 3_600_000;

beforeEach(() => {
  emptyMaildir(lab.maildir);
  emptyMaildir(lab.maildir2);
});

function world(users: LabUser[], mailArgs: string[], env: NodeJS.ProcessEnv = {}) {
  const dir = tmpFiles({});
  const state = join(dir, 'sync.state.json');
  const w = {
    dir, state, ad: users,
    args: ['sync', '--from-ldif', join(dir, 'ad.ldif'), '--state', state, '--duo-group', VPN, ...FAST, ...mailArgs],
    sync: (args: string[] = [], at?: Date) => {
      writeLdif(join(dir, 'ad.ldif'), w.ad);
      return runCli([...w.args, ...args], { env: { ...fake.duo.env(), ...env, ...(at ? { DUO_BRIDGE_SYNC_NOW: at.toISOString() } : {}) } });
    },
  };
  return w;
}

/** Everything a run left beside the state, as text: the state, the health file, plans, journals, held files. */
function filesBeside(dir: string): string {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(d, entry.name));
      else out.push(readFileSync(join(d, entry.name), 'utf8'));
    }
  };
  walk(dir);
  return out.join('\n');
}

describe('email through Postfix (issue 29)', () => {
  it('held: one mail to each address with the counts and the approve command; held again: none; the pasted command approves and one recovery mail follows; the SMTP password is nowhere', async () => {
    const mail = ['--notify-email', lab.to, '--notify-email', lab.to2, '--smtp-url', lab.authUrl, '--smtp-ca', lab.ca, '--smtp-from', lab.from];
    const w = world(labUsers(100), mail, { SMTP_PASSWORD: lab.password });
    const t0 = Date.now() - 2 * 86_400_000;
    const first = await w.sync(['--apply', '--yes'], new Date(t0));
    expect(first.exitCode).toBe(0);
    for (const u of w.ad.slice(0, 15)) u.disabled = true;
    const held = await w.sync(['--apply', '--yes'], new Date(t0 + HOUR));
    expect(held.exitCode).toBe(4);
    expect(held.stderr).toMatch(/notified: alert \(held\) on 1 of 1 channels/);

    const [alert] = await waitForMails(lab.maildir, 1, lab.log);
    expect(await waitForMails(lab.maildir2, 1, lab.log)).toHaveLength(1);
    expect(alert!.subject).toMatch(/^duo-bridge sync on 127\.0\.0\.1:\d+: held: 15 destructive actions wait for approval$/);
    expect(alert!.headers).toMatch(/^From: duo-bridge@duo-bridge\.test$/m);
    // Through the submission port: STARTTLS, then the login (ESMTPSA in Postfix's Received header: TLS and authenticated).
    expect(alert!.headers).toMatch(/using TLSv1\.[23]/);
    expect(alert!.headers).toMatch(/with ESMTPSA /);
    expect(alert!.body).toMatch(/^15 destructive actions held \(15 disable\):$/m);
    expect(alert!.body).toMatch(/^ {2}user001: disable \(disabled in AD\)$/m);
    expect(alert!.body).toMatch(/^Duo tenant: 127\.0\.0\.1:\d+$/m);
    expect(alert!.body).toMatch(/^AD source: LDIF dump .*ad\.ldif$/m);
    expect(alert!.body).toMatch(/^ran as: \S+ on \S+$/m);
    const approve = /^ {4}(.* --apply --approve [0-9a-f]{12} --yes)$/m.exec(alert!.body)?.[1];
    expect(approve).toBeDefined();
    expect(approve).toContain(`--state ${w.state}`);

    // The same hold: no second mail (the health file says when the last one went).
    const again = await w.sync(['--apply', '--yes'], new Date(t0 + 2 * HOUR));
    expect(again.exitCode).toBe(4);
    expect(again.stderr).not.toMatch(/notified:/);

    // The approve command from the mail, pasted into a shell as it is, with the scheduled run's environment.
    const pasted = await shell(approve!, { ...fake.duo.env(), SMTP_PASSWORD: lab.password, DUO_BRIDGE_SYNC_NOW: new Date(t0 + 3 * HOUR).toISOString() });
    expect(pasted.code).toBe(0);
    expect(pasted.stderr).toMatch(/notified: recovery \(healthy\)/);
    const all = await waitForMails(lab.maildir, 2, lab.log);
    expect(all.map((m) => m.subject)).toEqual([alert!.subject, expect.stringMatching(/: recovered, in step again$/)]);
    expect(mails(lab.maildir)).toHaveLength(2);

    const secretsSeen = [...all.map((m) => m.raw), held.stdout, held.stderr, pasted.stdout, pasted.stderr, filesBeside(w.dir), readFileSync(lab.log, 'utf8')].join('\n');
    expect(secretsSeen).not.toContain(lab.password);
  }, 120_000);

  it('a server that is not on this machine and offers no STARTTLS: one warning, the exit code and the writes stand', async () => {
    const w = world(labUsers(30), ['--notify-email', lab.to, '--smtp-url', lab.plainUrl]);
    expect((await w.sync(['--apply', '--yes'])).exitCode).toBe(0);
    w.ad.push({ id: 900, sam: 'user001', given: 'Twin', sn: 'User', groups: [] });
    const run = await w.sync(['--apply', '--yes']);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^warning: the email to admin@duo-bridge\.test via smtp-plain\.duo-bridge\.test:2525 was not sent: .*STARTTLS/m);
    expect(run.stderr).toMatch(/^warning: no notification was delivered: the next run tries again$/m);
    expect(run.stderr.trim().split('\n').filter((l) => l.startsWith('warning:'))).toHaveLength(2);
    // Nothing was delivered anywhere.
    expect(mails(lab.maildir)).toHaveLength(0);
  }, 60_000);

  it('by name on port 25 with the CA: STARTTLS verified; with another CA: a warning naming the certificate', async () => {
    const w = world(labUsers(30), ['--notify-email', lab.to, '--smtp-url', lab.nameUrl, '--smtp-ca', lab.ca]);
    expect((await w.sync(['--apply', '--yes'])).exitCode).toBe(0);
    fake.duo.seed({ username: 'taken' });
    w.ad.push({ id: 901, sam: 'taken', given: 'T', sn: 'K', groups: [] });
    expect((await w.sync(['--apply', '--yes'])).exitCode).toBe(1);
    const [message] = await waitForMails(lab.maildir, 1, lab.log);
    expect(message!.subject).toMatch(/needs attention: 1 conflict$/);
    expect(message!.headers).toMatch(/using TLSv1\.[23]/);
    expect(message!.body).toMatch(/^1 AD user not synced: a conflict with Duo \(fix it in AD, or adopt\):\n {2}taken: /m);

    const other = tmpFiles({});
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=Other CA', '-keyout', join(other, 'k.pem'), '-out', join(other, 'ca.pem')]);
    const wrong = world(labUsers(5, 200), ['--notify-email', lab.to, '--smtp-url', lab.nameUrl, '--smtp-ca', join(other, 'ca.pem')]);
    expect((await wrong.sync(['--apply', '--yes'])).exitCode).toBe(0);
    wrong.ad.push({ id: 902, sam: 'taken', given: 'T', sn: 'K', groups: [] });
    const refused = await wrong.sync(['--apply', '--yes']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/^warning: the email to .* was not sent: .*(certificate|self.signed)/im);
    expect(mails(lab.maildir)).toHaveLength(1);
  }, 60_000);

  it('sync status --max-age --notify-email: a sync that stopped running is mailed once; the next successful run mails the recovery', async () => {
    const w = world(labUsers(10), []);
    expect((await w.sync(['--apply', '--yes'], new Date(Date.now() - 30 * HOUR))).exitCode).toBe(0);
    const status = (): ReturnType<typeof runCli> => runCli(['sync', 'status', '--state', w.state, '--max-age', '26h', '--notify-email', lab.to, '--smtp-url', lab.tlsUrl, '--smtp-ca', lab.ca], { env: {} });
    const stale = await status();
    expect(stale.exitCode).toBe(5);
    expect(stale.stderr).toMatch(/notified: alert \(stale\)/);
    const [message] = await waitForMails(lab.maildir, 1, lab.log);
    expect(message!.subject).toMatch(/: stale: no successful run since /);
    expect(message!.body).toMatch(/the last successful run was 30 h( \d+ min)? ago .* more than --max-age 26h/);
    const second = await status();
    expect(second.exitCode).toBe(5);
    expect(second.stderr).not.toMatch(/notified:/);
    // The sync runs again (its own notifications off): the next status says it recovered.
    expect((await w.sync(['--apply', '--yes'])).exitCode).toBe(0);
    const back = await status();
    expect(back.exitCode).toBe(0);
    expect(back.stderr).toMatch(/notified: recovery \(healthy\)/);
    expect((await waitForMails(lab.maildir, 2, lab.log))[1]!.subject).toMatch(/recovered, in step again$/);
  }, 60_000);
});

function shell(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run('/bin/sh', ['-c', command], env);
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd: '/', env: { PATH: process.env.PATH, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

