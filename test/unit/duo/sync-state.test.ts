import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkRunsFolder, defaultStatePath, emptyState, refuseEarlierDefaultState, isInsideRunsFolder, loadSyncState, runsFolderOf, type SyncState } from '../../../src/duo/sync/sync-state.js';
import { tmpFiles } from '../../helpers/tmp-files.js';
import { UsageError } from '../../../src/errors.js';

const HOST = 'api-test.duosecurity.com';
const T = '2026-12-02T06:00:00.000Z';

/** A state with one managed user on the ladder and one run: every kind of field present. */
function fullState(extra: Partial<SyncState> = {}): SyncState {
  return {
    ...emptyState(HOST),
    source: { domain: 'corp.example', base: '', filter: '(objectClass=user)' },
    users: {
      g1: {
        user_id: 'DU1', origin: 'created', missing_since: T, disabled_by_sync: T,
        applied: { username: 'u1', aliases: { alias1: 'one' }, realname: 'U One', firstname: 'U', lastname: 'One', email: 'u1@corp.example', status: 'active', groups: ['vpn'] },
      },
    },
    groups: { vpn: 'G1' },
    blocked: { plan_id: 'abc', since: T, reasons: ['a reason'], held: [{ kind: 'disable', guid: 'g1', user_id: 'DU1', username: 'u1', detail: 'not in AD' }] },
    ad_users: 10,
    runs: [{ at: T, plan_id: 'abc', mode: 'apply', exit: 4, counts: { disable: 1 }, held: 1 }],
    ...extra,
  };
}

function stateFile(content: string | Buffer): { dir: string; path: string } {
  const dir = tmpFiles({ 'sync.state.json': content });
  return { dir, path: join(dir, 'sync.state.json') };
}

const code = (promise: Promise<unknown>) => promise.then(() => 'resolved', (e: { code?: string; exitCode?: number }) => `${e.exitCode} ${e.code}`);

describe('sync state: only a regular file is read', () => {
  it('a named pipe is a usage error (exit 2) naming it, at once: never a hang', async () => {
    const dir = tmpFiles({});
    const fifo = join(dir, 'sync.state.json');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    await expect(loadSyncState(fifo, HOST)).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/sync state .*sync\.state\.json: is a named pipe/) });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a directory or a device is a usage error naming it', async () => {
    const dir = tmpFiles({});
    mkdirSync(join(dir, 'sync.state.json'));
    await expect(loadSyncState(join(dir, 'sync.state.json'), HOST)).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/is a directory/) });
    await expect(loadSyncState('/dev/zero', HOST)).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/\/dev\/zero: is a device/) });
  });

  it('no file: a first run', async () => {
    const dir = tmpFiles({});
    expect((await loadSyncState(join(dir, 'sync.state.json'), HOST)).status).toBe('new');
  });

  it('a BOM before the JSON is read, not a reason to set the state aside', async () => {
    const { path } = stateFile(`\uFEFF${JSON.stringify(fullState())}`);
    const loaded = await loadSyncState(path, HOST);
    expect(loaded.status).toBe('ok');
    expect(loaded.state.users.g1?.user_id).toBe('DU1');
  });
});

describe('sync state: every field has a schema', () => {
  it('a complete state is read as it is', async () => {
    const { path } = stateFile(JSON.stringify(fullState()));
    expect(await loadSyncState(path, HOST)).toEqual({ status: 'ok', state: fullState() });
  });

  const user = fullState().users.g1!;
  const bad: [string, unknown][] = [
    ['missing_since that is not a date', { users: { g1: { ...user, missing_since: 'yesterday' } } }],
    ['missing_since without its zone', { users: { g1: { ...user, missing_since: '2026-12-02T06:00:00' } } }],
    ['missing_since on 30 February', { users: { g1: { ...user, missing_since: '2026-02-30T06:00:00Z' } } }],
    ['a leap second JavaScript cannot compute with', { users: { g1: { ...user, disabled_by_sync: '2016-12-31T23:59:60Z' } } }],
    ['trashed_by_sync a number', { users: { g1: { ...user, trashed_by_sync: 5 } } }],
    ['blocked.since not a date', { blocked: { ...fullState().blocked!, since: 'soon' } }],
    ['a run without its time', { runs: [{ plan_id: 'abc', mode: 'apply', exit: 0, counts: {}, held: 0 }] }],
    ['a run at a time that is not one', { runs: [{ at: 'noon', plan_id: 'abc', mode: 'apply', exit: 0, counts: {}, held: 0 }] }],
    ['a run with a field it never has', { runs: [{ ...fullState().runs[0]!, extra: 1 }] }],
    ['a deeply nested run item', { runs: [{ ...fullState().runs[0]!, counts: { disable: 'DEEP' } }] }],
    ['a deeply nested run', { runs: ['DEEP'] }],
    ['a deeply nested value anywhere', { groups: { vpn: 'DEEP' } }],
    ['an alias slot that is not one', { users: { g1: { ...user, applied: { ...user.applied, aliases: { alias9: 'x' } } } } }],
  ];
  it.each(bad)('%s: unreadable, set aside, never thrown', async (_name, change) => {
    // Nested deeper than any stack: JSON.parse copes, a recursive stringify or validator would not.
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const { dir, path } = stateFile(JSON.stringify({ ...fullState(), ...(change as object) }).replace('"DEEP"', deep));
    const loaded = await loadSyncState(path, HOST);
    expect(loaded.status).toBe('unreadable');
    expect(loaded.state).toEqual(emptyState(HOST));
    expect(readdirSync(dir).some((f) => f.startsWith('sync.state.json.unreadable-'))).toBe(true);
  });
});

describe('sync state: last_journal names only a journal of its own runs folder', () => {
  function withJournal(files: Record<string, string>, last: (dir: string) => { path: string; plan: string; finished: boolean }) {
    const dir = tmpFiles(files);
    const path = join(dir, 'sync.state.json');
    writeFileSync(path, JSON.stringify(fullState({ last_journal: last(dir) })));
    return { dir, path };
  }
  const runs = (dir: string, name: string) => join(dir, 'sync.state.runs', name);
  const START = `${JSON.stringify({ t: 'start', kind: 'sync', input: 'x.plan.json', sha256: '0'.repeat(64), host: HOST, at: T })}\n`;

  it('a journal in the runs folder, or none yet (killed before its first write), is kept', async () => {
    const ok = withJournal({ 'sync.state.runs/r1.jsonl': START, 'sync.state.runs/r1.plan.json': '{}' }, (dir) => ({ path: runs(dir, 'r1.jsonl'), plan: runs(dir, 'r1.plan.json'), finished: false }));
    expect((await loadSyncState(ok.path, HOST)).status).toBe('ok');
    const none = withJournal({}, (dir) => ({ path: runs(dir, 'never-written.jsonl'), plan: runs(dir, 'never-written.jsonl.plan.json'), finished: false }));
    expect((await loadSyncState(none.path, HOST)).status).toBe('ok');
    // Torn inside its first line: still its own start record.
    const torn = withJournal({ 'sync.state.runs/r1.jsonl': START.slice(0, 30) }, (dir) => ({ path: runs(dir, 'r1.jsonl'), plan: runs(dir, 'r1.plan.json'), finished: false }));
    expect((await loadSyncState(torn.path, HOST)).status).toBe('ok');
  });

  const victims: [string, Record<string, string>, (dir: string) => { path: string; plan: string; finished: boolean }][] = [
    ['any file outside the runs folder', { 'victim.txt': 'precious\n' }, (dir) => ({ path: join(dir, 'victim.txt'), plan: runs(dir, 'r1.plan.json'), finished: false })],
    ['a path climbing out with ..', { 'victim.jsonl': 'precious\n' }, (dir) => ({ path: join(dir, 'sync.state.runs', '..', 'victim.jsonl'), plan: runs(dir, 'r1.plan.json'), finished: false })],
    ['a file deeper than the runs folder', { 'sync.state.runs/sub/r1.jsonl': START }, (dir) => ({ path: runs(dir, 'sub/r1.jsonl'), plan: runs(dir, 'r1.plan.json'), finished: false })],
    ['a plan outside the runs folder', { 'victim.txt': 'precious\n' }, (dir) => ({ path: runs(dir, 'r1.jsonl'), plan: join(dir, 'victim.txt'), finished: false })],
    ['a directory in the runs folder', { 'sync.state.runs/r1.jsonl/x': '' }, (dir) => ({ path: runs(dir, 'r1.jsonl'), plan: runs(dir, 'r1.plan.json'), finished: false })],
    ['a JSON-lines file that is not a sync journal', { 'sync.state.runs/r1.jsonl': '{"t":"start","kind":"import","host":"x"}\n{"a":1}\n' }, (dir) => ({ path: runs(dir, 'r1.jsonl'), plan: runs(dir, 'r1.plan.json'), finished: false })],
    ['not JSON at all', { 'sync.state.runs/r1.jsonl': 'precious data\nmore\n' }, (dir) => ({ path: runs(dir, 'r1.jsonl'), plan: runs(dir, 'r1.plan.json'), finished: false })],
    ['a journal of another host', { 'sync.state.runs/r1.jsonl': START.replace(HOST, 'api-other.duosecurity.com') }, (dir) => ({ path: runs(dir, 'r1.jsonl'), plan: runs(dir, 'r1.plan.json'), finished: false })],
    ['a finished one outside too', { 'victim.txt': 'precious\n' }, (dir) => ({ path: join(dir, 'victim.txt'), plan: runs(dir, 'r1.plan.json'), finished: true })],
  ];
  it.each(victims)('%s: the state is unreadable (set aside), the file untouched', async (_name, files, last) => {
    const { dir, path } = withJournal(files, last);
    const target = last(dir).path;
    const before = existsSync(target) && !target.endsWith('r1.jsonl') ? readFileSync(target, 'utf8') : null;
    const loaded = await loadSyncState(path, HOST);
    expect(loaded.status).toBe('unreadable');
    expect(loaded.status === 'unreadable' && loaded.problem).toMatch(/last_journal/);
    if (before !== null) expect(readFileSync(target, 'utf8')).toBe(before);
  });

  it('the same runs folder reached through a linked folder one day and by its real path the next: still its own', async () => {
    const real = tmpFiles({ 'sync.state.runs/r1.jsonl': START, 'sync.state.runs/r1.plan.json': '{}' });
    const linkDir = tmpFiles({});
    const via = join(linkDir, 'link');
    symlinkSync(real, via);
    const path = join(real, 'sync.state.json');
    writeFileSync(path, JSON.stringify(fullState({ last_journal: { path: runs(via, 'r1.jsonl'), plan: runs(via, 'r1.plan.json'), finished: false } })));
    expect((await loadSyncState(path, HOST)).status).toBe('ok');
  });

  it('a symlink in the runs folder pointing out of it (a symlink escape): unreadable', async () => {
    const { dir, path } = withJournal({ 'victim.jsonl': START, 'sync.state.runs/r1.plan.json': '{}' }, (d) => ({ path: runs(d, 'r1.jsonl'), plan: runs(d, 'r1.plan.json'), finished: false }));
    symlinkSync(join(dir, 'victim.jsonl'), runs(dir, 'r1.jsonl'));
    const loaded = await loadSyncState(path, HOST);
    expect(loaded.status === 'unreadable' && loaded.problem).toMatch(/symbolic link/);
  });

  it('a named pipe as the plan beside the journal: unreadable, not a hang', async () => {
    const { dir, path } = withJournal({ 'sync.state.runs/r1.jsonl': START }, (d) => ({ path: runs(d, 'r1.jsonl'), plan: runs(d, 'r1.plan.json'), finished: false }));
    execFileSync('mkfifo', [runs(dir, 'r1.plan.json')]);
    const loaded = await loadSyncState(path, HOST);
    expect(loaded.status === 'unreadable' && loaded.problem).toMatch(/named pipe/);
  });
});

describe('sync state: the runs folder', () => {
  it('is the state path without .json, plus .runs', () => {
    expect(runsFolderOf('/s/sync.state.json')).toBe('/s/sync.state.runs');
    expect(runsFolderOf('/s/state')).toBe('/s/state.runs');
  });

  it.each([
    ['/s/sync.state.runs/r.jsonl', true],
    ['/s/sync.state.runs/./r.jsonl', true],
    ['/s/sync.state.runs/../sync.state.runs/r.jsonl', false],
    ['/s/sync.state.runs/../victim', false],
    ['/s/sync.state.runs', false],
    ['/s/sync.state.runs/', false],
    ['/s/sync.state.runs/a/b.jsonl', false],
    ['/s/sync.state.runsX/r.jsonl', false],
    ['/etc/passwd', false],
    ['', false],
  ])('isInsideRunsFolder(/s/sync.state.json, %s) is %s', (path, inside) => {
    expect(isInsideRunsFolder('/s/sync.state.json', path)).toBe(inside);
  });

  it('resolves relative paths against the working directory, as the run that wrote them did', () => {
    expect(isInsideRunsFolder('sync.state.json', 'sync.state.runs/r.jsonl')).toBe(true);
    expect(isInsideRunsFolder('sync.state.json', join(process.cwd(), 'sync.state.runs', 'r.jsonl'))).toBe(true);
  });

  it('a file where the runs folder goes is a usage error (exit 2) naming it, from checkRunsFolder and loadSyncState alike', async () => {
    const dir = tmpFiles({ 'sync.state.runs': 'a file', 'sync.state.json': JSON.stringify(fullState()) });
    const path = join(dir, 'sync.state.json');
    await expect(checkRunsFolder(path)).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/sync runs folder .*sync\.state\.runs: is a file, not a folder/) });
    expect(await code(loadSyncState(path, HOST))).toBe('2 STATE_UNREADABLE');
    expect(await code(loadSyncState(join(dir, 'missing.json'), HOST))).toBe('resolved');
    const fine = tmpFiles({ 'sync.state.runs/x': '' });
    await expect(checkRunsFolder(join(fine, 'sync.state.json'))).resolves.toBeUndefined();
    await expect(checkRunsFolder(join(fine, 'none.json'))).resolves.toBeUndefined();
  });
});

describe('sync state: where it lives by default', () => {
  const source = { base: 'DC=corp,DC=example', filter: '', usernameAttribute: 'sAMAccountName', ldif: false };

  it('on Windows: %ProgramData%\\duo-bridge, whatever the case of the variable\'s name', () => {
    for (const env of [{ ProgramData: 'D:\\Data' }, { PROGRAMDATA: 'D:\\Data' }, { programdata: 'D:\\Data', LOCALAPPDATA: 'C:\\Users\\a\\AppData\\Local' }]) {
      expect(defaultStatePath(env, HOST, source, 'win32')).toMatch(/^D:\\Data\\duo-bridge\\sync-api-test-[0-9a-f]{10}\.state\.json$/);
    }
  });

  it('on Windows without the variable: ALLUSERSPROFILE, else C:\\ProgramData', () => {
    expect(defaultStatePath({ ALLUSERSPROFILE: 'E:\\All' }, HOST, source, 'win32')).toMatch(/^E:\\All\\duo-bridge\\sync-api-test-/);
    expect(defaultStatePath({}, HOST, source, 'win32')).toMatch(/^C:\\ProgramData\\duo-bridge\\sync-api-test-/);
  });

  it('on Windows, a state where earlier builds kept it (%LOCALAPPDATA%) and none at the default: refused, naming both', async () => {
    const env = { ProgramData: 'D:\\Data', LOCALAPPDATA: 'C:\\Users\\a\\AppData\\Local' };
    const current = defaultStatePath(env, HOST, source, 'win32');
    const earlier = `C:\\Users\\a\\AppData\\Local\\duo-bridge\\${current.split('\\').pop()}`;
    const files = new Set<string>();
    const exists = async (path: string): Promise<boolean> => files.has(path);
    await expect(refuseEarlierDefaultState(env, HOST, source, 'win32', exists)).resolves.toBeUndefined();
    files.add(earlier);
    const refused = refuseEarlierDefaultState(env, HOST, source, 'win32', exists);
    await expect(refused).rejects.toThrow(UsageError);
    await expect(refuseEarlierDefaultState(env, HOST, source, 'win32', exists)).rejects.toThrow(`move that folder's files to D:\\Data\\duo-bridge (where the scheduled task looks), or pass --state ${earlier}`);
    await expect(refuseEarlierDefaultState(env, HOST, source, 'linux', exists)).resolves.toBeUndefined();
    files.add(current);
    await expect(refuseEarlierDefaultState(env, HOST, source, 'win32', exists)).resolves.toBeUndefined();
  });

  it('elsewhere: XDG_STATE_HOME/duo-bridge, the same file name as on Windows', () => {
    const linux = defaultStatePath({ XDG_STATE_HOME: '/var/state' }, HOST, source, 'linux');
    expect(linux).toMatch(/^\/var\/state\/duo-bridge\/sync-api-test-[0-9a-f]{10}\.state\.json$/);
    expect(linux.split('/').pop()).toBe(defaultStatePath({}, HOST, source, 'win32').split('\\').pop());
  });
});

describe('the runs a state keeps', () => {
  it('keeps every run of the last week (the safeguards sum a week: the fast lane may run every minute), and the last 30 whatever their age', async () => {
    const { saveSyncState } = await import('../../../src/duo/sync/sync-state.js');
    const dir = tmpFiles();
    const path = join(dir, 's.json');
    const newest = Date.parse('2026-12-07T12:00:00Z');
    const run = (minutesAgo: number) => ({ at: new Date(newest - minutesAgo * 60_000).toISOString(), plan_id: 'abcabcabcabc', mode: 'apply' as const, exit: 0, counts: { disable: 1 }, held: 0 });
    // 2,000 runs a minute apart (the last 33 hours), then 50 a day apart, the oldest 55 days back.
    const runs = [...Array.from({ length: 50 }, (_, d) => run((55 - d) * 1440)), ...Array.from({ length: 2000 }, (_, m) => run(1999 - m))];
    await saveSyncState(path, { ...emptyState(HOST), runs });
    const kept = (JSON.parse(readFileSync(path, 'utf8')) as SyncState).runs;
    // The 2,000 of the last day and a half, and of the daily ones those within 8 days of the newest.
    const recent = runs.filter((r) => Date.parse(r.at) >= newest - 8 * 86_400_000);
    expect(kept).toEqual(recent);
    expect(kept.length).toBeGreaterThan(2000);
    // Few runs: the last 30 stay, however old.
    await saveSyncState(path, { ...emptyState(HOST), runs: runs.slice(0, 40) });
    expect((JSON.parse(readFileSync(path, 'utf8')) as SyncState).runs).toEqual(runs.slice(10, 40));
  });
});
