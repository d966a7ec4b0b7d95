import { describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeDuoPerTest } from '../helpers/fake-duo-per-test.js';
import { runCli } from '../helpers/run-cli.js';
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
