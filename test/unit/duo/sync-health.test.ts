import { describe, expect, it } from '@jest/globals';
import { syncCommands, quote } from '../../../src/cli/commands/suggested-command.js';
import type { RunRecord } from '../../../src/duo/sync/sync-health.js';
import { assess, decideNotification, notifiedAfter, REMINDER_MS, type HealthFacts } from '../../../src/duo/sync/sync-status.js';

const NOW = new Date('2026-12-07T03:00:00.000Z');
const HOUR = 3_600_000;

function run(over: Partial<RunRecord> = {}): RunRecord {
  return {
    at: new Date(NOW.getTime() - HOUR).toISOString(), exit: 0, error: null, plan_id: 'p', read: 'full', read_complete: true, counts: {}, failed: 0, held: 0, hold_id: null, hold_reasons: [],
    conflicts: 0, drift: 0, approved: null, first: { held: [], failed: [], conflicts: [], drift: [] }, files: { report: null, held: null, journal: null, summary: null },
    commands: { approve: null, plan: 'p', status: 's' }, ran_by: { account: 'svc', machine: 'm' }, trash_after_days: 30, ...over,
  };
}
const facts = (over: Partial<HealthFacts> = {}): HealthFacts => ({ statePath: '/s.json', present: true, lastRun: run(), lastSuccess: run(), blocked: null, now: NOW, maxAgeMs: null, ...over });
const BLOCKED = { plan_id: 'abc123abc123', since: '2026-12-06T02:00:00.000Z', reasons: ['12 disables'], held: [] };

describe('a sync\'s health: one level, one key', () => {
  it('healthy; attention names each kind; a failed run; held by an approval id or by an incomplete read; stale by --max-age or no state', () => {
    expect(assess(facts())).toEqual({ health: 'healthy', key: 'healthy', reasons: [] });
    expect(assess(facts({ lastRun: run({ exit: 1, conflicts: 2, drift: 1 }) }))).toMatchObject({ health: 'attention', key: 'attention:conflicts,drift' });
    expect(assess(facts({ lastRun: run({ exit: 1, failed: 3 }) }))).toMatchObject({ health: 'attention', key: 'attention:failed' });
    expect(assess(facts({ lastRun: run({ exit: 1, read_complete: false }) }))).toMatchObject({ key: 'attention:incomplete' });
    const failed = assess(facts({ lastRun: run({ exit: 3, error: 'Duo unreachable' }) }));
    expect(failed).toMatchObject({ health: 'attention', key: 'attention:run-failed' });
    expect(failed.reasons[0]).toMatch(/failed \(exit 3\): Duo unreachable/);
    expect(assess(facts({ blocked: BLOCKED }))).toMatchObject({ health: 'held', key: 'held:abc123abc123' });
    expect(assess(facts({ lastRun: run({ exit: 4, held: 3, hold_reasons: ['the Duo listing was short'] }) }))).toMatchObject({ health: 'held', key: 'held:incomplete' });
    expect(assess(facts({ present: false }))).toMatchObject({ health: 'stale', key: 'stale' });
    expect(assess(facts({ maxAgeMs: 30 * 60_000 }))).toMatchObject({ health: 'stale' });
    expect(assess(facts({ maxAgeMs: 2 * HOUR }))).toMatchObject({ health: 'healthy' });
    expect(assess(facts({ maxAgeMs: 2 * HOUR, lastSuccess: null })).reasons[0]).toMatch(/no sync run has succeeded yet/);
  });

  it('stale outranks held, held outranks a failed run', () => {
    expect(assess(facts({ blocked: BLOCKED, maxAgeMs: 30 * 60_000 })).health).toBe('stale');
    expect(assess(facts({ blocked: BLOCKED, lastRun: run({ exit: 3, error: 'LDAP down' }) })).health).toBe('held');
  });
});

describe('when to say something', () => {
  const said = (level: any, key: string, sentAgoMs: number) => ({ level, key, since: '2026-12-01T00:00:00.000Z', sent_at: new Date(NOW.getTime() - sentAgoMs).toISOString() });
  it.each([
    ['nothing said yet, healthy: nothing', null, 'healthy', 'healthy', 0, null],
    ['nothing said yet, held: an alert', null, 'held', 'held:a', 0, 'alert'],
    ['the same hold an hour later: nothing', said('held', 'held:a', HOUR), 'held', 'held:a', 0, null],
    ['the same hold a day later: a reminder', said('held', 'held:a', REMINDER_MS), 'held', 'held:a', 0, 'reminder'],
    ['another hold: an alert', said('held', 'held:a', HOUR), 'held', 'held:b', 0, 'alert'],
    ['the same attention two days on: nothing (only a hold is repeated)', said('attention', 'attention:conflicts', 48 * HOUR), 'attention', 'attention:conflicts', 0, null],
    ['conflicts, then conflicts and drift: an alert', said('attention', 'attention:conflicts', HOUR), 'attention', 'attention:conflicts,drift', 0, 'alert'],
    ['healthy after a hold: a recovery', said('held', 'held:a', HOUR), 'healthy', 'healthy', 0, 'recovery'],
    ['healthy after healthy: nothing', said('healthy', 'healthy', HOUR), 'healthy', 'healthy', 0, null],
    ['stale after healthy: an alert', said('healthy', 'healthy', HOUR), 'stale', 'stale', 0, 'alert'],
  ] as const)('%s', (_name, previous, health, key, _x, expected) => {
    expect(decideNotification(previous as any, health, key, NOW)).toBe(expected);
  });

  it('a reminder keeps when the level began', () => {
    const previous = said('held', 'held:a', REMINDER_MS);
    expect(notifiedAfter(previous, 'held', 'held:a', NOW)).toEqual({ level: 'held', key: 'held:a', since: previous.since, sent_at: NOW.toISOString() });
    expect(notifiedAfter(previous, 'held', 'held:b', NOW).since).toBe(NOW.toISOString());
  });
});

describe('the commands a sync suggests', () => {
  const argv = ['sync', '--config', 'sync.json', '--apply', '--yes', '--summary-json', 'out/last.json', '--approve', 'feedfeedfeed', '--max-disables', '40', '--protect-user', 'a', 'b',
    '--adopt', '--notify-email', 'x@corp.example', '--format=json', '--changes-only'];
  it('approve: the scheduled run with --approve ID --yes; one-run flags dropped; paths absolute; --state added', () => {
    const c = syncCommands('/usr/bin/duo-bridge', argv, 'state/s.json', '/srv/duo', 'linux');
    expect(c.approve('0123456789ab')).toBe('/usr/bin/duo-bridge sync --config /srv/duo/sync.json --summary-json /srv/duo/out/last.json --protect-user a b --notify-email x@corp.example ' +
      '--changes-only --state /srv/duo/state/s.json --apply --approve 0123456789ab --yes');
    expect(c.plan).toBe('/usr/bin/duo-bridge sync --config /srv/duo/sync.json --protect-user a b --state /srv/duo/state/s.json');
    expect(c.status).toBe('/usr/bin/duo-bridge sync status --state /srv/duo/state/s.json');
  });
  it('a --state given is kept as given (made absolute), not added twice', () => {
    const c = syncCommands('duo-bridge', ['sync', '--from-ldif', 'ad dump.ldif', '--state=s.json', '--apply', '--yes'], '/ignored.json', '/home/ad', 'linux');
    expect(c.approve('x')).toBe("duo-bridge sync --from-ldif '/home/ad/ad dump.ldif' --state /home/ad/s.json --apply --approve x --yes");
  });
  it('quoting for the shell the admin uses', () => {
    expect(quote("it's", 'linux')).toBe(`'it'\\''s'`);
    expect(quote('C:\\Program Files\\duo-bridge\\duo-bridge.exe', 'win32')).toBe('"C:\\Program Files\\duo-bridge\\duo-bridge.exe"');
    expect(quote('C:\\ProgramData\\duo-bridge\\sync.json', 'win32')).toBe('C:\\ProgramData\\duo-bridge\\sync.json');
    expect(syncCommands('duo-bridge', ['sync', '--config', 'C:\\ProgramData\\duo-bridge\\sync.json'], 'C:\\ProgramData\\duo-bridge\\s.json', 'C:\\x', 'win32').approve('i'))
      .toBe('duo-bridge sync --config C:\\ProgramData\\duo-bridge\\sync.json --state C:\\ProgramData\\duo-bridge\\s.json --apply --approve i --yes');
  });
});
