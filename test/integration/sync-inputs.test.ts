import { describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeDuoPerTest } from '../helpers/fake-duo-per-test.js';
import { spawn } from 'node:child_process';
import { BIN, REPO, runCli } from '../helpers/run-cli.js';
import { labUsers, ldifOf, VPN, type LabUser } from '../helpers/sync-ldif.js';
import { tmpFiles } from '../helpers/tmp-files.js';

const fake = fakeDuoPerTest();
const FAST = ['--rate', '100000', '--timeout', '5'];

/** A sync against a dump written as given (text, not users): the hostile inputs are in the text. */
function lab() {
  const dir = tmpFiles({});
  const ldif = join(dir, 'ad.ldif');
  return {
    dir,
    sync: (text: string, args: string[] = []) => {
      writeFileSync(ldif, text);
      return runCli(['sync', '--from-ldif', ldif, '--state', join(dir, 'sync.state.json'), '--duo-group', VPN, ...FAST, '--apply', '--yes', ...args], { env: fake.duo.env() });
    },
  };
}

const disabledInDuo = () => [...fake.duo.users.values()].filter((u) => u.status === 'disabled').length;
const named = (name: string) => [...fake.duo.users.values()].filter((u) => u.username === name);

describe('duo-bridge sync: directory inputs are hostile inputs', () => {
  it('a -LLL dump taken on port 389 ("# refldap://" to a child domain) that lacks 10 of 60 users: nothing disabled, said plainly, held (exit 4)', async () => {
    const l = lab();
    const all = labUsers(60);
    const first = await l.sync(ldifOf(all));
    expect(first.exitCode).toBe(0);
    expect(fake.duo.users.size).toBe(60);

    // The child domain's users (here the last 10) come as a search reference the dump does not follow.
    const partial = ldifOf(all.slice(0, 50)) + '\n# refldap://emea.corp.example/DC=emea,DC=corp,DC=example\n\n# refldap://corp.example/CN=Configuration,DC=corp,DC=example\n';
    const run = await l.sync(partial);
    expect(run.exitCode).toBe(4);
    expect(run.stdout).toMatch(/the AD read is incomplete: 1 referral to other directories was not followed/);
    expect(run.stdout).toMatch(/held by a safeguard: 10 destructive actions/);
    expect(disabledInDuo()).toBe(0);
    const state = JSON.parse(readFileSync(join(l.dir, 'sync.state.json'), 'utf8'));
    expect(Object.keys(state.users)).toHaveLength(60);

    // No approval can release what an incomplete read holds; the next complete read decides afresh.
    expect(run.stdout).toMatch(/no approval releases them/);
    expect(run.stdout).not.toMatch(/--approve [0-9a-f]{12}/);
    // The same dump without the reference line is a complete read that lost 10 users: they are disabled.
    const complete = await l.sync(ldifOf(all.slice(0, 50)));
    expect(complete.exitCode).toBe(0);
    expect(disabledInDuo()).toBe(10);
  });

  it('a sAMAccountName with NUL, LF or TAB (plain or base64), a mail with NUL: conflicts named with validate\'s message, never created (exit 1)', async () => {
    const l = lab();
    const good = labUsers(3);
    const bad: LabUser[] = [
      { id: 11, sam: 'nul\u0000plain', given: 'Nul', sn: 'Plain', groups: [] },
      { id: 12, sam: 'NUL_B64', given: 'Nul', sn: 'Base64', groups: [] },
      { id: 13, sam: 'LF_B64', given: 'Line', sn: 'Feed', groups: [] },
      { id: 14, sam: 'tab\tplain', given: 'Tab', sn: 'Plain', groups: [] },
      { id: 15, sam: 'mailnul', given: 'Mail', sn: 'Nul', mail: 'MAIL_B64', groups: [] },
    ];
    const b64 = (text: string) => `:: ${Buffer.from(text).toString('base64')}`;
    const text = ldifOf([...good, ...bad])
      .replace('sAMAccountName: NUL_B64', `sAMAccountName${b64('nul\u0000b64')}`)
      .replace('sAMAccountName: LF_B64', `sAMAccountName${b64('line\nfeed')}`)
      .replace('mail: MAIL_B64', `mail${b64('mail\u0000nul@corp.example')}`);
    const run = await l.sync(text);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/conflicts: 5 AD users not synced/);
    expect(run.stdout).toContain('nul\\u0000plain: AD holds a value Duo must not get: username (sAMAccountName): the value holds a control character (U+0000, NUL) at position 4 (CONTROL_CHARACTER)');
    expect(run.stdout).toContain('nul\\u0000b64: AD holds a value Duo must not get: username (sAMAccountName): the value holds a control character (U+0000, NUL)');
    expect(run.stdout).toContain('line\\u000afeed: AD holds a value Duo must not get: username (sAMAccountName): the value holds a control character (U+000A) at position 5');
    expect(run.stdout).toContain('tab\\u0009plain: AD holds a value Duo must not get: username (sAMAccountName): the value holds a control character (U+0009) at position 4');
    expect(run.stdout).toMatch(/mailnul: AD holds a value Duo must not get: email \(mail\): the value holds a control character \(U\+0000, NUL\)/);
    expect(run.stdout + run.stderr).not.toMatch(/\u0000/);
    expect([...fake.duo.users.values()].map((u) => u.username).sort()).toEqual(['user001', 'user002', 'user003']);
    expect(named('mailnul')).toEqual([]);
  });

  it('a managed user whose sAMAccountName gains a TAB: a conflict, left as it is in Duo, still present (never counted missing, never disabled)', async () => {
    const l = lab();
    const users = labUsers(3);
    expect((await l.sync(ldifOf(users))).exitCode).toBe(0);
    users[1]!.sam = 'user\t002';
    const run = await l.sync(ldifOf(users));
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('user\\u0009002: AD holds a value Duo must not get: username (sAMAccountName): the value holds a control character (U+0009) at position 5 (CONTROL_CHARACTER)');
    expect(named('user002').map((u) => u.status)).toEqual(['active']);
    const state = JSON.parse(readFileSync(join(l.dir, 'sync.state.json'), 'utf8'));
    expect(Object.values(state.users).filter((u: any) => u.missing_since !== undefined)).toEqual([]);
  });

  it('an empty username-attr in the config is a usage error (exit 2) naming the key, not an "in sync" run; a BOM before the config is read', async () => {
    const l = lab();
    const dir = tmpFiles({ 'empty.json': JSON.stringify({ 'username-attr': '' }), 'bom.json': '\ufeff' + JSON.stringify({ 'username-attr': 'mail' }) });
    const empty = await l.sync(ldifOf(labUsers(3)), ['--config', join(dir, 'empty.json')]);
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toMatch(/^duo-bridge: --username-attr \(or "username-attr" in --config\) is empty: .*\n$/);
    expect(fake.duo.users.size).toBe(0);
    const bom = await l.sync(ldifOf(labUsers(3)), ['--config', join(dir, 'bom.json')]);
    expect(bom.exitCode).toBe(0);
    expect([...fake.duo.users.values()].map((u) => u.username).sort()).toEqual(['user1@corp.example', 'user2@corp.example', 'user3@corp.example']);
  });
});

describe('duo-bridge sync: the fast lane\'s options', () => {
  it.each([
    [['--changes-only'], /--changes-only reads AD's changes through DirSync: it needs an LDAP source \(--url\), not an LDIF dump/],
    [['--full-read-every', '24h'], /--full-read-every goes with --changes-only/],
    [['--watch'], /--watch goes with --apply/],
    [['--apply', '--watch'], /--watch runs unattended: add --yes/],
    [['--apply', '--yes', '--interval', '5'], /--interval goes with --watch/],
    [['--apply', '--yes', '--watch', '--interval', '0'], /--interval must be a whole number from 1 to 86400/],
    [['--apply', '--yes', '--watch', '--approve', 'abcabcabcabc'], /--watch repeats the scheduled run: --plan, --approve, --out and --max-\* are for one run/],
  ])('%j is a usage error (exit 2), one line', async (args, message) => {
    const dir = tmpFiles({ 'ad.ldif': ldifOf(labUsers(2)) });
    const run = await runCli(['sync', '--from-ldif', join(dir, 'ad.ldif'), '--state', join(dir, 's.json'), ...FAST, ...args], { env: fake.duo.env() });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--full-read-every takes a DURATION: a config\'s bad value names the file and the key', async () => {
    const dir = tmpFiles({ 'ad.ldif': ldifOf(labUsers(2)), 'sync.json': JSON.stringify({ 'changes-only': true, 'full-read-every': '1 week' }) });
    const run = await runCli(['sync', '--config', join(dir, 'sync.json'), '--from-ldif', join(dir, 'ad.ldif'), '--state', join(dir, 's.json'), ...FAST], { env: fake.duo.env() });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/sync\.json.*full-read-every/);
  });

  it('--watch runs again and again, picks up a change, and stops cleanly on SIGTERM between runs (exit 0, the lock released)', async () => {
    const dir = tmpFiles({ 'ad.ldif': ldifOf(labUsers(3)) });
    const state = join(dir, 's.json');
    const child = spawn(process.execPath, [BIN, 'sync', '--from-ldif', join(dir, 'ad.ldif'), '--state', state, ...FAST, '--apply', '--yes', '--watch', '--interval', '1'],
      { cwd: REPO, env: { PATH: process.env.PATH, ...fake.duo.env() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const runs = (): number => (stderr.match(/^sync [0-9a-f]{12} /gm) ?? []).length;
    // Progress points, never a clock: the k-th run's summary line.
    const after = (k: number): Promise<void> => new Promise((resolve) => {
      const check = (): void => {
        if (runs() >= k) {
          child.stderr.off('data', check);
          resolve();
        }
      };
      child.stderr.on('data', check);
      check();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await after(1);
    expect(fake.duo.users.size).toBe(3);
    writeFileSync(join(dir, 'ad.ldif'), ldifOf(labUsers(4)));
    await after(3);
    expect(fake.duo.users.size).toBe(4);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The state's lock is free: a plain run goes at once.
    expect((await runCli(['sync', '--from-ldif', join(dir, 'ad.ldif'), '--state', state, ...FAST], { env: fake.duo.env() })).exitCode).toBe(0);
  }, 120_000);
});
