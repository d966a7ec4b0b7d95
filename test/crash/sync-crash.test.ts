import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { diffTenants } from '../../src/duo/tenant/tenant-diff.js';
import { loadTenantSnapshot, type TenantSnapshot } from '../../src/duo/tenant/tenant.js';
import { FakeDuo } from '../fake-duo/fake-duo.js';
import { restoreState, saveState, type FakeState } from '../helpers/fake-state.js';
import { runKilledAtWrite, type KillPoint } from '../helpers/kill-at-write.js';
import { labUsers, VPN, writeLdif, type LabUser } from '../helpers/sync-ldif.js';

/*
 * Issue 18's property: a sync run killed with SIGKILL at EVERY one of its writes (applied and
 * unanswered, or dropped unapplied), then
 *   - run again: it records what the killed run did (its creates settled by reading Duo) and
 *     converges to exactly what an uninterrupted run leaves, and the run after says "in sync";
 *   - rolled back instead: the tenant is as it was before the run (tenant diff empty).
 * Single calls (--no-bulk) and bulk calls, so the kills land between every kind of step.
 */

const FAST = ['--rate', '100000', '--timeout', '5'];

let duo: FakeDuo;
let empty: FakeState;
beforeAll(async () => {
  duo = await new FakeDuo().start();
  empty = saveState(duo);
});
afterAll(async () => {
  await duo.stop();
});

async function cli(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: (text) => void (out += text), err: (text) => void (err += text), errIsTTY: false, outIsTTY: false, env: duo.env(), cwd: process.cwd(),
  });
  return { code, out, err };
}

async function tenant(dir: string, label: string): Promise<TenantSnapshot> {
  const path = join(dir, `${label}.json`);
  expect((await cli(['tenant', 'export', '--out', path, ...FAST])).code).toBe(0);
  return loadTenantSnapshot(path);
}

const picture = (): string[] => [...duo.users.values()].map((u) => `${u.username} ${u.status} ${JSON.stringify(u.aliases)} ${duo.groupNamesOf(u).join(',')}`).sort();

/** Day 2 of a directory: leavers, a user disabled, a rename, a group left, joiners in a group, a name edited. */
function dayTwo(): LabUser[] {
  const ad = labUsers(30).filter((u) => u.id > 3);
  ad.find((u) => u.id === 6)!.disabled = true;
  ad.find((u) => u.id === 7)!.sam = 'user007-renamed';
  ad.find((u) => u.id === 8)!.groups = [];
  ad.find((u) => u.id === 9)!.groups = [VPN];
  ad.find((u) => u.id === 10)!.sn = 'Married';
  ad.push(...labUsers(3, 200).map((u) => ({ ...u, groups: [VPN] })));
  return ad;
}

describe.each([['single calls', ['--no-bulk']], ['bulk calls', []]])('sync killed at every write (%s)', (title, extra) => {
  // Shared by the two tests of a block (tmpFiles' folders last one test).
  const dir = mkdtempSync(join(tmpdir(), 'duo-bridge-sync-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ldif = join(dir, 'ad.ldif');
  const statePath = join(dir, 'sync.state.json');
  const args = ['sync', '--from-ldif', ldif, '--state', statePath, '--duo-group', VPN, '--threshold-count', '100', ...extra, ...FAST];
  let start: FakeState;
  let startState: Buffer;
  let before: TenantSnapshot;
  let expected: string[];
  let writes = 0;

  const reset = (): void => {
    restoreState(duo, start);
    writeFileSync(statePath, startState);
    rmSync(`${statePath.replace(/\.json$/, '')}.runs`, { recursive: true, force: true });
    writeLdif(ldif, dayTwo());
  };
  const journal = (): string => {
    const runs = `${statePath.replace(/\.json$/, '')}.runs`;
    return join(runs, readdirSync(runs).find((f) => f.endsWith('.jsonl'))!);
  };

  beforeAll(async () => {
    restoreState(duo, empty);
    writeLdif(ldif, labUsers(30));
    rmSync(statePath, { force: true });
    rmSync(`${statePath.replace(/\.json$/, '')}.runs`, { recursive: true, force: true });
    const first = await cli([...args, '--apply', '--yes']);
    expect(first).toEqual(expect.objectContaining({ code: 0 }));
    start = saveState(duo);
    startState = readFileSync(statePath);
    before = await tenant(dir, 'before');
    reset();
    duo.log.length = 0;
    expect((await cli([...args, '--apply', '--yes'])).code).toBe(0);
    expected = picture();
    writes = duo.log.filter((r) => r.method !== 'GET').length;
    expect(writes).toBeGreaterThan(3);
    console.log(`sync run with ${title}: ${writes} writes; each killed after it was applied and before, then resumed, and again then rolled back`);
  }, 120_000);

  const points = (): { k: number; point: KillPoint }[] =>
    Array.from({ length: writes }, (_, i) => i + 1).flatMap((k) => [{ k, point: 'after' as const }, { k, point: 'before' as const }]);

  it('resumed: converges to the uninterrupted run, then in sync', async () => {
    for (const { k, point } of points()) {
      reset();
      expect((await runKilledAtWrite(duo, [...args, '--apply', '--yes'], k, point)).killed).toBe(true);
      const resumed = await cli([...args, '--apply', '--yes']);
      expect({ k, point, code: resumed.code, conflicts: /conflicts/.test(resumed.out) }).toEqual({ k, point, code: 0, conflicts: false });
      expect({ k, point, picture: picture() }).toEqual({ k, point, picture: expected });
      expect({ k, point, again: (await cli([...args, '--apply', '--yes'])).err }).toEqual({ k, point, again: expect.stringMatching(/: in sync/) });
    }
  }, 600_000);

  it('rolled back: the tenant is as it was before the run', async () => {
    for (const { k, point } of points()) {
      reset();
      expect((await runKilledAtWrite(duo, [...args, '--apply', '--yes'], k, point)).killed).toBe(true);
      expect({ k, point, code: (await cli(['rollback', journal(), '--apply', '--yes', ...FAST])).code }).toEqual({ k, point, code: 0 });
      const diff = diffTenants(before, await tenant(dir, 'after'));
      expect({ k, point, changes: diff.changes.map((c) => ('user' in c ? `${c.kind} ${c.user.username}` : `${c.kind} ${c.group}`)) }).toEqual({ k, point, changes: [] });
    }
  }, 600_000);
});
