import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeDuoPerTest } from '../helpers/fake-duo-per-test.js';
import { runCli } from '../helpers/run-cli.js';
import { labUsers, VPN, writeLdif } from '../helpers/sync-ldif.js';
import { tmpFiles } from '../helpers/tmp-files.js';

const fake = fakeDuoPerTest();
const FAST = ['--rate', '100000', '--timeout', '5'];

/** A sync of five AD users against the fake Duo, with this --state. */
function sync(dir: string, state: string, args: string[] = []) {
  writeLdif(join(dir, 'ad.ldif'), labUsers(5));
  return runCli(['sync', '--from-ldif', join(dir, 'ad.ldif'), '--state', state, '--duo-group', VPN, ...FAST, ...args], { env: fake.duo.env() });
}

describe('duo-bridge sync: the state file is an input', () => {
  it('a last_journal naming any other file: that file is never truncated or appended to; the state is set aside (a first run)', async () => {
    const dir = tmpFiles({ 'precious.txt': 'keep me\n' });
    const state = join(dir, 'sync.state.json');
    expect((await sync(dir, state, ['--apply', '--yes'])).exitCode).toBe(0);
    const saved = JSON.parse(readFileSync(state, 'utf8'));
    const victim = join(dir, 'precious.txt');
    writeFileSync(state, JSON.stringify({ ...saved, last_journal: { path: victim, plan: join(dir, 'sync.state.runs', 'x.plan.json'), finished: false } }));
    const plain = await sync(dir, state);
    expect(plain.stderr).toMatch(/the sync state was unreadable: \/last_journal\/path .*precious\.txt" is not a \.jsonl file in this state's runs folder/);
    expect(plain.exitCode).not.toBe(70);
    const applied = await sync(dir, state, ['--apply', '--yes']);
    expect(applied.exitCode).not.toBe(70);
    expect(readFileSync(victim, 'utf8')).toBe('keep me\n');
    expect(readdirSync(dir).some((f) => f.startsWith('sync.state.json.unreadable-'))).toBe(true);
  });

  it('--state naming a named pipe: exit 2 at once, naming it', async () => {
    const dir = tmpFiles({});
    const fifo = join(dir, 'pipe.json');
    execFileSync('mkfifo', [fifo]);
    const run = await sync(dir, fifo);
    expect(run.stderr).toMatch(/sync state .*pipe\.json: is a named pipe, not a regular file/);
    expect(run.exitCode).toBe(2);
  });

  it('<state>.runs that is a file: exit 2 naming it, before anything is written', async () => {
    const dir = tmpFiles({ 'sync.state.runs': 'not a folder' });
    const run = await sync(dir, join(dir, 'sync.state.json'), ['--apply', '--yes']);
    expect(run.stderr).toMatch(/sync runs folder .*sync\.state\.runs: is a file, not a folder/);
    expect(run.exitCode).toBe(2);
    expect(fake.duo.users.size).toBe(0);
  });

  it('a state saved with a BOM (an editor) is read as it is', async () => {
    const dir = tmpFiles({});
    const state = join(dir, 'sync.state.json');
    expect((await sync(dir, state, ['--apply', '--yes'])).exitCode).toBe(0);
    writeFileSync(state, `\uFEFF${readFileSync(state, 'utf8')}`);
    const again = await sync(dir, state, ['--apply', '--yes']);
    expect(again.stderr).not.toMatch(/unreadable/);
    expect(again.stderr).toMatch(/: in sync/);
    expect(again.exitCode).toBe(0);
  });
});
