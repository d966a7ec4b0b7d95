import { describe, expect, it } from '@jest/globals';
import { writeFileSync, utimesSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { anyOfFilter, filterAttributes } from '../../../src/ad/user-filter.js';
import { InUseError, RemoteError, UsageError } from '../../../src/errors.js';
import { duration } from '../../../src/option-values.js';
import { changesMarkPath, readChangesMark, sourceKey, writeChangesMark, type ChangesMark } from '../../../src/duo/sync/changes-mark.js';
import { changeAttributes, startLane, type ChangeReader } from '../../../src/duo/sync/fast-lane.js';
import { planSync, type PlanContext } from '../../../src/duo/sync/sync-plan.js';
import { emptyState, type ManagedUser, type SyncState } from '../../../src/duo/sync/sync-state.js';
import { HELD_WAIT_MS, MAX_REMOTE_FAILURES, watchSync } from '../../../src/duo/sync/watch-sync.js';
import type { DirectoryOptions } from '../../../src/ad/export-options.js';
import { LdapError } from '../../../src/errors.js';
import { adUser, duoUser, guid, HOST, managed, NOW, POLICY, range, SOURCE, DAY } from '../../helpers/sync-world.js';
import { tmpFiles } from '../../helpers/tmp-files.js';

/** n managed users; only `read` of them in this incremental read (AD and Duo alike), changed by `change`. */
function incremental(n: number, read: number[], change: (ad: Map<string, ReturnType<typeof adUser>>) => void = () => undefined, context: Partial<PlanContext> = {}) {
  const users: Record<string, ManagedUser> = {};
  for (let i = 1; i <= n; i++) users[guid(i)] = managed(i);
  const ad = new Map(read.map((i) => [guid(i), adUser(i)]));
  change(ad);
  const state = { ...emptyState(HOST), source: SOURCE, users, ad_users: n } as SyncState;
  return planSync({
    ad, adRead: { identity: SOURCE, problems: [], doubts: [], unusable: 0 }, duo: { users: new Map(read.map((i) => [`DU${i}`, duoUser(i)])), total: null }, state,
    firstRun: false, policy: POLICY, now: NOW, only: new Set(read.map(guid)), ...context,
  });
}

describe('a plan limited to the users an incremental read saw (sync --changes-only)', () => {
  it('acts on the users it read, and on no other: the unread are neither leavers, nor gone, nor a shrink', () => {
    const plan = incremental(100, [5], (ad) => ad.set(guid(5), adUser(5, { enabled: false })));
    expect(plan.actions.map((a) => `${a.kind} ${a.username}`)).toEqual(['disable u5']);
    expect(plan.gone).toEqual([]);
    expect(plan.held).toEqual([]);
    expect(plan.hold_reasons).toEqual([]);
    // The last full read's sizes, and a read that is no baseline for the next shrink check.
    expect(plan.ad_users).toBe(100);
    expect(plan.managed).toBe(100);
    expect(plan.baseline).toBe(false);
  });

  it('counts thresholds against every managed user, read or not', () => {
    // 12 disables of 100 managed: over 10 and over 5%.
    const read = range(1, 12);
    const plan = incremental(100, read, (ad) => read.forEach((i) => ad.set(guid(i), adUser(i, { enabled: false }))));
    expect(plan.held).toHaveLength(12);
    expect(plan.hold_reasons.join()).toMatch(/12 disables \(12.0% of 100 managed users\)/);
    // Of 1,000 managed users the same 12 are 1.2%: under the percentage, they go.
    expect(incremental(1000, read, (ad) => read.forEach((i) => ad.set(guid(i), adUser(i, { enabled: false })))).held).toEqual([]);
  });

  it('never forgets a user Duo did not answer for by its user_id: the next full read decides', () => {
    const plan = planSync({
      ad: new Map([[guid(1), adUser(1)]]), adRead: { identity: SOURCE, problems: [], doubts: [], unusable: 0 }, duo: { users: new Map(), total: null },
      state: { ...emptyState(HOST), source: SOURCE, users: { [guid(1)]: managed(1) }, ad_users: 1 } as SyncState, firstRun: false, policy: POLICY, now: NOW, only: new Set([guid(1)]),
    });
    expect(plan.gone).toEqual([]);
    expect(plan.untouched).toEqual([expect.objectContaining({ guid: guid(1), reason: expect.stringMatching(/next full read decides/) })]);
  });

  it('decides no newcomer: an AD user nobody manages is left to a full read, never created from a partial view of Duo', () => {
    const plan = incremental(3, [1], (ad) => ad.set(guid(9), adUser(9)));
    expect(plan.actions.filter((a) => a.kind === 'create')).toEqual([]);
  });
});

const directory = (base = 'OU=People,DC=corp,DC=example'): DirectoryOptions => ({
  source: { kind: 'ldap', url: 'ldap://dc', bindDn: 'x', password: 'y', base, startTls: false, ca: undefined, pageSize: 500, connectTimeoutMs: 1000, operationTimeoutMs: 1000 },
  selection: { groups: [], includeDisabled: true }, mapping: { usernameAttribute: 'sAMAccountName', aliasAttributes: [], phoneAttributes: [], lowercase: true } as unknown as DirectoryOptions['mapping'], duoGroups: [],
});
const DC = { host: 'dc1.corp.example', invocationId: '11111111-2222-3333-4444-555555555555', namingContext: 'DC=corp,DC=example' };
const cookieOf = (n: number) => Buffer.from(`cookie-${n}`).toString('base64');

/** A DirSync stand-in: records the cookies it was asked from, answers `changed` (none by default). */
function reader(changed: number[] = []): ChangeReader & { asked: (string | null)[] } {
  const asked: (string | null)[] = [];
  const read = (async (cookie: string | null) => {
    asked.push(cookie);
    return { kind: 'changes' as const, dc: DC, cookie: cookieOf(asked.length), changed: cookie === null ? [] : changed.map((i) => ({ guid: guid(i), dn: `CN=u${i},OU=People,DC=corp,DC=example`, members: [] })) };
  }) as unknown as ChangeReader & { asked: (string | null)[] };
  read.asked = asked;
  return read;
}

async function laneWith(mark: Partial<ChangesMark> | null, options: { now?: Date; approving?: string | null; dir?: DirectoryOptions; reader?: ChangeReader } = {}) {
  const dir = tmpFiles();
  const statePath = join(dir, 'sync.state.json');
  writeFileSync(statePath, '{}');
  mkdirSync(join(dir, 'sync.state.runs'));
  if (mark !== null) {
    await writeChangesMark(changesMarkPath(statePath), {
      version: 1, host: HOST, source_key: sourceKey(options.dir ?? directory()), dc: DC.host, invocation_id: DC.invocationId, cookie: cookieOf(0),
      full_read_at: NOW.toISOString(), full_next: null, retry: [], ad_users: 10, managed: 10, ...mark,
    }, statePath);
  }
  const read = options.reader ?? reader();
  const lane = await startLane({ directory: options.dir ?? directory(), statePath, host: HOST, now: options.now ?? new Date(NOW.getTime() + 60_000), fullReadEveryMs: DAY, approving: options.approving ?? null, reader: read });
  return { lane, statePath, dir };
}

describe('whether a --changes-only run may read only the changes', () => {
  it('reads the changes since the mark\'s cookie when the mark vouches for them', async () => {
    const read = reader([3]);
    const { lane } = await laneWith({}, { reader: read });
    expect(lane).toMatchObject({ kind: 'changes', cookie: cookieOf(1), changed: [{ guid: guid(3) }] });
    expect(read.asked).toEqual([cookieOf(0)]);
  });

  it.each([
    ['no mark', null, {}, /no DirSync cookie yet/],
    ['another Duo host', { host: 'api-other.duosecurity.com' }, {}, /for Duo host api-other/],
    ['another base or mapping', { source_key: 'something-else' }, {}, /the source, the selection or the mapping changed/],
    ['a hold waiting', { full_next: 'a hold (abc123abc123) waits for approval' }, {}, /a hold \(abc123abc123\) waits/],
    ['the full read is due', {}, { now: new Date(NOW.getTime() + DAY) }, /the last full read was at .*--full-read-every 24h/],
    ['a clock behind the last full read', {}, { now: new Date(NOW.getTime() - 1000) }, /the last full read was at/],
    ['an approval', {}, { approving: '--approve' }, /--approve is decided on a full read/],
  ] as const)('reads in full on %s, taking the cookie of now before it', async (_name, mark, options, why) => {
    const read = reader([3]);
    const { lane } = await laneWith(mark, { ...options, reader: read });
    expect(lane).toMatchObject({ kind: 'full', why: expect.stringMatching(why), cookie: cookieOf(1) });
    expect(read.asked).toEqual([null]);
  });

  it('reads in full when the state was written by anything else since the mark (a plain run, an admin)', async () => {
    const { statePath } = await laneWith({});
    writeFileSync(statePath, '{"other":1}');
    const lane = await startLane({ directory: directory(), statePath, host: HOST, now: new Date(NOW.getTime() + 60_000), fullReadEveryMs: DAY, approving: null, reader: reader() });
    expect(lane).toMatchObject({ kind: 'full', why: expect.stringMatching(/the state was written since/) });
  });

  it('reads in full when a rollback ran since the state was saved', async () => {
    const { statePath, dir } = await laneWith({});
    const journal = join(dir, 'sync.state.runs', 'x.rollback.jsonl');
    writeFileSync(journal, `${JSON.stringify({ t: 'start', kind: 'rollback', input: 'x', sha256: 'x', host: HOST, at: NOW.toISOString() })}\n`);
    utimesSync(journal, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    const lane = await startLane({ directory: directory(), statePath, host: HOST, now: new Date(NOW.getTime() + 60_000), fullReadEveryMs: DAY, approving: null, reader: reader() });
    expect(lane).toMatchObject({ kind: 'full', why: 'a rollback ran since the last run' });
  });

  it('reads in full when the DC refuses the cookie or is another one, and starts again from a new cookie', async () => {
    let calls = 0;
    const refusing: ChangeReader = async (cookie) => {
      calls++;
      return cookie === null ? { kind: 'changes', dc: DC, cookie: cookieOf(9), changed: [] } : { kind: 'refused', dc: DC, why: 'the DC refused the DirSync cookie (bad)' };
    };
    const { lane } = await laneWith({}, { reader: refusing });
    expect(lane).toMatchObject({ kind: 'full', why: 'the DC refused the DirSync cookie (bad)', cookie: cookieOf(9) });
    expect(calls).toBe(2);
  });

  it('a damaged mark is no mark', async () => {
    const dir = tmpFiles();
    const path = join(dir, 'sync.state.changes.json');
    for (const text of ['', 'not json', '{"version":1}', JSON.stringify({ version: 2 })]) {
      writeFileSync(path, text);
      expect(await readChangesMark(path)).toBeNull();
    }
  });

  it('needs an LDAP source: an LDIF dump has no changes to read', async () => {
    const dir = tmpFiles();
    await expect(startLane({ directory: { ...directory(), source: { kind: 'ldif', file: 'x.ldif' } }, statePath: join(dir, 's.json'), host: HOST, now: NOW, fullReadEveryMs: DAY, approving: null }))
      .rejects.toThrow(UsageError);
  });

  it('binds the cookie to the base, the selection and the mapping', () => {
    expect(sourceKey(directory())).toBe(sourceKey(directory()));
    expect(sourceKey(directory('OU=Sales,DC=corp,DC=example'))).not.toBe(sourceKey(directory()));
    expect(sourceKey({ ...directory(), duoGroups: [{ dn: 'CN=VPN,DC=corp,DC=example', name: 'VPN' }] })).not.toBe(sourceKey(directory()));
  });
});

describe('the options and the loop', () => {
  it('reads a DURATION as the contract says: a number with m, h or d', () => {
    expect(duration('full-read-every', '30m')).toBe(1_800_000);
    expect(duration('full-read-every', '24h')).toBe(DAY);
    expect(duration('full-read-every', ' 7d ')).toBe(7 * DAY);
    for (const bad of ['24', 'h', '1.5h', '-1h', '1w', '']) expect(() => duration('full-read-every', bad)).toThrow(/--full-read-every is a number with m, h or d/);
  });

  it('reads changed users again by their DN, escaped as LDAP values', () => {
    expect(anyOfFilter(['CN=a,DC=x'])).toBe('(distinguishedName=CN=a,DC=x)');
    expect(anyOfFilter(['CN=a (b)*,DC=x', 'CN=c\\,d,DC=x'])).toBe('(|(distinguishedName=CN=a \\28b\\29\\2a,DC=x)(distinguishedName=CN=c\\5c,d,DC=x))');
  });

  it('--watch runs again after each run until the signal, goes on after AD or Duo failed, and stops on anything else', async () => {
    const stop = new AbortController();
    const seen: string[] = [];
    let runs = 0;
    const exit = await watchSync(async () => {
      runs++;
      if (runs === 2) throw new LdapError('LDAP_UNREACHABLE', 'ldap://dc: cannot connect');
      if (runs === 3) stop.abort();
      return 0;
    }, { intervalMs: 1, signal: stop.signal, onRemoteError: (e: RemoteError) => seen.push(e.message), onBusy: () => undefined });
    expect(exit).toBe(0);
    expect(runs).toBe(3);
    expect(seen).toEqual(['ldap://dc: cannot connect']);
    await expect(watchSync(async () => {
      throw new UsageError('BAD_OPTION', 'no');
    }, { intervalMs: 1, signal: new AbortController().signal, onRemoteError: () => undefined, onBusy: () => undefined })).rejects.toThrow(UsageError);
  });

  it('--watch stops at the fifth remote failure in a row, and a success starts the count again', async () => {
    const outcomes = ['fail', 'fail', 'fail', 'fail', 'ok', 'fail', 'fail', 'fail', 'fail', 'fail', 'ok'];
    let runs = 0;
    const counts: number[] = [];
    const watching = watchSync(async () => {
      if (outcomes[runs++] === 'fail') throw new LdapError('LDAP_UNREACHABLE', `run ${runs}`);
      return 0;
    }, { intervalMs: 1, signal: new AbortController().signal, onRemoteError: (_e, inARow) => counts.push(inARow), onBusy: () => undefined, wait: async () => undefined });
    await expect(watching).rejects.toThrow('run 10');
    expect(runs).toBe(10);
    expect(counts).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    expect(MAX_REMOTE_FAILURES).toBe(5);
  });

  it('--watch skips a run another duo-bridge kept from the state (an admin\'s --approve), without counting it a failure', async () => {
    const stop = new AbortController();
    const busy: string[] = [];
    let runs = 0;
    await watchSync(async () => {
      if (++runs <= 6) throw new InUseError('JOURNAL_LOCKED', 'sync state s.json is in use by another duo-bridge (pid 7)');
      stop.abort();
      return 0;
    }, { intervalMs: 1, signal: stop.signal, onRemoteError: () => undefined, onBusy: (e) => busy.push(e.message), wait: async () => undefined });
    expect([runs, busy.length]).toEqual([7, 6]);
  });

  it('--watch waits at least 15 minutes after a held run (every run reads in full until the approval), the interval otherwise', async () => {
    const stop = new AbortController();
    const exits = [0, 4, 1, 4];
    const waits: number[] = [];
    let runs = 0;
    await watchSync(async () => exits[runs++]!, {
      intervalMs: 60_000, signal: stop.signal, onRemoteError: () => undefined, onBusy: () => undefined,
      wait: async (ms) => { waits.push(ms); if (waits.length === exits.length) stop.abort(); },
    });
    expect(waits).toEqual([60_000, HELD_WAIT_MS, 60_000, HELD_WAIT_MS]);
    expect(HELD_WAIT_MS).toBe(900_000);
  });

  it('watches, besides the mapped attributes, what the admin\'s filter tests: a change there moves a user in or out of the selection', () => {
    expect(filterAttributes('department=Sales')).toEqual(['department']);
    expect(filterAttributes('(&(|(title=Eng*)(extensionAttribute5>=3))(!(employeeType~=contractor))(memberOf=CN=x,DC=y)(1.2.840.113556.1.4.8=1)(sn:caseExactMatch:=X))'))
      .toEqual(['title', 'extensionAttribute5', 'employeeType', '1.2.840.113556.1.4.8', 'sn']);
    expect(filterAttributes(undefined)).toEqual([]);
    const watched = changeAttributes({ ...directory(), selection: { groups: [], includeDisabled: false, filter: '(department=Sales)' } });
    expect(watched).toEqual(expect.arrayContaining(['department', 'userAccountControl', 'member', 'name', 'sAMAccountName']));
    expect(changeAttributes(directory())).not.toContain('department');
  });
});
