import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeDuoPerTest } from '../helpers/fake-duo-per-test.js';
import { runCli } from '../helpers/run-cli.js';
import { labUsers, VPN, writeLdif, type LabUser } from '../helpers/sync-ldif.js';
import { tmpFiles } from '../helpers/tmp-files.js';

/** Contract §6: rollback compares before it writes; what changed since is skipped, listed, and exit 1. */
const fake = fakeDuoPerTest();

const FAST = ['--rate', '100000', '--timeout', '5'];
const cli = (args: string[]) => runCli([...args, ...FAST], { env: fake.duo.env() });
const userNamed = (name: string) => [...fake.duo.users.values()].find((u) => u.username === name)!;

describe('rollback of a sync run after later runs', () => {
  it('A disables, B enables, C disables: rolling A back leaves the user disabled, skipped and listed naming C (exit 1)', async () => {
    const dir = tmpFiles({});
    let ad: LabUser[] = labUsers(20);
    const sync = async (): Promise<string> => {
      writeLdif(join(dir, 'ad.ldif'), ad);
      const run = await cli(['sync', '--from-ldif', join(dir, 'ad.ldif'), '--state', join(dir, 'sync.state.json'), '--duo-group', VPN, '--apply', '--yes']);
      expect(run.exitCode).toBe(0);
      const runs = join(dir, 'sync.state.runs');
      return join(runs, readdirSync(runs).filter((f) => f.endsWith('.jsonl')).sort().at(-1)!);
    };
    const setDisabled = (ids: number[], disabled: boolean): void => {
      ad = ad.map((u) => (ids.includes(u.id) ? { ...u, disabled } : u));
    };
    await sync();
    // Run A disables user003 (the case), user004 (an admin changes it in Duo afterwards) and user005 (left alone since).
    setDisabled([3, 4, 5], true);
    const a = await sync();
    setDisabled([3], false);
    const b = await sync();
    setDisabled([3], true);
    const c = await sync();
    expect(new Set([a, b, c]).size).toBe(3);
    expect(userNamed('user003').status).toBe('disabled');
    userNamed('user004').status = 'bypass';

    const preview = await cli(['rollback', a]);
    const report = join(dir, 'rollback.html');
    const applied = await cli(['rollback', a, '--apply', '--yes', '--format', 'json', '--report', report]);
    // The tenant first: the later runs' and the admin's values stay, the rest is undone.
    expect(userNamed('user003').status).toBe('disabled');
    expect(userNamed('user004').status).toBe('bypass');
    expect(userNamed('user005').status).toBe('active');
    expect(applied.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(applied.exitCode).toBe(1);
    // The preview said it before --apply.
    expect(preview.stdout).toContain(`will skip: user003 status: the run wrote "disabled", now "disabled" (changed since by ${c})`);
    expect(preview.stdout).toContain('will skip: user004 status: the run wrote "disabled", now "bypass" (changed since by someone in Duo)');
    expect(preview.exitCode).toBe(1);
    const json = JSON.parse(applied.stdout);
    const id = (name: string) => userNamed(name).user_id;
    expect(json.skipped).toEqual([
      { user_id: id('user003'), username: 'user003', what: 'status', wrote: 'disabled', current: 'disabled', by: c },
      { user_id: id('user004'), username: 'user004', what: 'status', wrote: 'disabled', current: 'bypass', by: 'someone in Duo' },
    ]);
    expect(json.outcome.fields_restored).toBe(1);
    expect(applied.stderr).toContain(`skipped: user003 status: the run wrote "disabled", now "disabled" (changed since by ${c})`);
    expect(applied.stderr).toContain('skipped 2 changes: changed since the run, left as they are now');
    const page = readFileSync(report, 'utf8');
    expect(page).toContain('skip: changed since the run');
    expect(page).toContain('someone in Duo');
  }, 120_000);
});

describe('rollback of a migrate after a change in Duo', () => {
  it('renames back only the users that still have the names the migrate gave them; the other is skipped and listed (exit 1)', async () => {
    const alice = fake.duo.seed({ username: 'alice@example.com', email: 'alice@example.com' });
    const bob = fake.duo.seed({ username: 'bob@example.com', email: 'bob@example.com' });
    const dir = tmpFiles({ 'users.csv': 'username,email,alias1\nalice,alice@example.com,alice@example.com\nbob,bob@example.com,bob@example.com\n' });
    expect((await cli(['migrate', join(dir, 'users.csv'), '--apply', '--yes'])).exitCode).toBe(0);
    expect([alice.username, bob.username]).toEqual(['alice', 'bob']);
    // An admin changes alice's alias in the Admin Panel after the migrate.
    alice.aliases = { alias1: 'alice.smith@example.com' };

    const journal = join(dir, 'users.migrate.jsonl');
    const preview = await cli(['rollback', journal]);
    const applied = await cli(['rollback', journal, '--apply', '--yes', '--format', 'json']);
    expect([alice.username, alice.aliases]).toEqual(['alice', { alias1: 'alice.smith@example.com' }]);
    expect([bob.username, bob.aliases]).toEqual(['bob@example.com', {}]);
    expect(applied.exitCode).toBe(1);
    expect(JSON.parse(applied.stdout).skipped).toEqual([
      { user_id: alice.user_id, username: 'alice', what: 'names', wrote: 'alice (aliases alice@example.com)', current: 'alice (aliases alice.smith@example.com)', by: 'someone in Duo' },
    ]);
    expect(preview.stdout).toContain('will skip: alice names: the run wrote "alice (aliases alice@example.com)", now "alice (aliases alice.smith@example.com)" (changed since by someone in Duo)');
    expect(preview.exitCode).toBe(1);
  });

  it('an import --update: its alias change is undone only while Duo still holds it', async () => {
    const jfoo = fake.duo.seed({ username: 'jfoo', email: 'old@example.com', realname: 'J Foo' }, ['old@example.com']);
    const kim = fake.duo.seed({ username: 'kim', email: 'old.kim@example.com' }, ['old.kim@example.com']);
    const dir = tmpFiles({ 'users.csv': 'username,email,alias1\njfoo,jane.foo@example.com,jane.foo@example.com\nkim,kim@example.com,kim@example.com\n' });
    expect((await cli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--update'])).exitCode).toBe(0);
    expect(jfoo.aliases).toEqual({ alias1: 'jane.foo@example.com' });
    jfoo.aliases = { alias1: 'j.foo@example.com' };

    const applied = await cli(['rollback', join(dir, 'users.journal.jsonl'), '--apply', '--yes', '--format', 'json']);
    expect(jfoo.aliases).toEqual({ alias1: 'j.foo@example.com' });
    expect(kim.aliases).toEqual({ alias1: 'old.kim@example.com' });
    expect(applied.exitCode).toBe(1);
    expect(JSON.parse(applied.stdout).skipped).toEqual([
      { user_id: jfoo.user_id, username: 'jfoo', what: 'names', wrote: 'jfoo (aliases jane.foo@example.com)', current: 'jfoo (aliases j.foo@example.com)', by: 'someone in Duo' },
    ]);
  });
});
