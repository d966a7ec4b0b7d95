import { counted } from '../../counted.js';
import { UsageError } from '../../errors.js';
import { describeAge, describeDuration } from '../../option-values.js';
import { HEALTH_EXIT, healthPathOf, loadHealth, type HealthLevel, type Notified, type RunRecord } from './sync-health.js';
import { readRegularFile } from './sync-files.js';
import { loadSyncState, type SyncState } from './sync-state.js';

const DAY_MS = 86_400_000;
/** Users listed by name on the ladder (the counts are whole). */
const LADDER_LISTED = 100;

/** A user on the deprovisioning ladder, as `sync status` lists it. */
export interface LadderEntry {
  readonly username: string;
  /** When the sync first found it gone from AD (null: disabled in AD, still there). */
  readonly missing_since: string | null;
  readonly disabled_by_sync: string | null;
  readonly trashed_by_sync: string | null;
  /** When it goes to the Trash, if it stays gone (null: it is there already, or it is in AD). */
  readonly trash_on: string | null;
}

/** What `sync status` says (its `--format json`, pinned by the tests). */
export interface SyncStatus {
  readonly state: string;
  readonly host: string | null;
  readonly source: string | null;
  readonly checked_at: string;
  readonly health: HealthLevel;
  readonly exit: 0 | 1 | 4 | 5;
  /** Why the health is what it is, one sentence each (empty when healthy). */
  readonly reasons: readonly string[];
  /** What a notification is keyed on: a new key is news, the same key is not. */
  readonly key: string;
  readonly max_age_hours: number | null;
  readonly last_run: RunRecord | null;
  readonly last_success: RunRecord | null;
  readonly hold: { readonly id: string | null; readonly since: string | null; readonly reasons: readonly string[]; readonly count: number; readonly by_kind: Readonly<Record<string, number>>; readonly first: readonly string[]; readonly approve: string | null } | null;
  readonly managed: number;
  readonly ladder: { readonly missing: number; readonly disabled: number; readonly trashed: number; readonly users: readonly LadderEntry[] };
  readonly notified: Notified | null;
  /** A problem reading the health file (named, then read as none). */
  readonly problems: readonly string[];
}

/**
 * The health of the sync whose state is at `statePath`, as of `now` (the real clock): read only,
 * never locked (the state and health file are replaced whole). `maxAgeMs` makes it a dead man's
 * switch: stale when no run succeeded within it. No state at all is stale: the sync never ran there.
 */
export async function syncStatus(statePath: string, now: Date, maxAgeMs: number | null): Promise<SyncStatus> {
  const host = await stateHost(statePath);
  const state = host === null ? null : (await loadSyncState(statePath, host, { setAside: false }));
  if (state !== null && state.status === 'unreadable') throw new UsageError('STATE_UNREADABLE', `sync state ${statePath}: ${state.problem}`);
  const health = await loadHealth(healthPathOf(statePath), host);
  const file = health.file;
  const users = state?.state.users ?? {};
  const lastRun = file?.last_run ?? fromStateRuns(state?.state ?? null, null);
  const lastSuccess = file?.last_success ?? fromStateRuns(state?.state ?? null, lastRun);
  const blocked = state?.state.blocked ?? null;
  const ladder = ladderOf(state?.state ?? null, lastRun?.trash_after_days ?? lastSuccess?.trash_after_days ?? 30);
  const assessment = assess({ statePath, present: state !== null, lastRun, lastSuccess, blocked, now, maxAgeMs });
  const byKind: Record<string, number> = {};
  for (const h of blocked?.held ?? []) byKind[h.kind] = (byKind[h.kind] ?? 0) + 1;
  const incompleteHold = blocked === null && lastRun?.exit === 4;
  return {
    state: statePath, host, source: file?.source ?? null, checked_at: now.toISOString(), ...assessment, exit: HEALTH_EXIT[assessment.health],
    max_age_hours: maxAgeMs === null ? null : maxAgeMs / 3_600_000, last_run: lastRun, last_success: lastSuccess,
    hold: blocked !== null
      ? { id: blocked.plan_id, since: blocked.since, reasons: blocked.reasons, count: blocked.held.length, by_kind: byKind, first: blocked.held.slice(0, 10).map((h) => `${h.username}: ${h.kind} (${h.detail})`), approve: lastRun?.hold_id === blocked.plan_id ? lastRun.commands.approve : null }
      : incompleteHold ? { id: null, since: lastRun.at, reasons: lastRun.hold_reasons, count: lastRun.held, by_kind: {}, first: lastRun.first.held, approve: null } : null,
    managed: Object.keys(users).length, ladder, notified: file?.notified ?? null, problems: health.problem === null ? [] : [health.problem],
  };
}

/** The facts health is judged on: the same for `sync status` and for the message a sync run sends. */
export interface HealthFacts {
  readonly statePath: string;
  readonly present: boolean;
  readonly lastRun: RunRecord | null;
  readonly lastSuccess: RunRecord | null;
  readonly blocked: SyncState['blocked'];
  readonly now: Date;
  /** null: staleness is not judged (a sync run that just ran). */
  readonly maxAgeMs: number | null;
}

/** The level, the key a notification is sent on a change of, and the reasons in words. Pure. */
export function assess(facts: HealthFacts): { health: HealthLevel; key: string; reasons: string[] } {
  const { lastRun, lastSuccess, blocked } = facts;
  if (!facts.present) return { health: 'stale', key: 'stale', reasons: [`there is no sync state at ${facts.statePath}: no sync has run with this state (or --state names another file)`] };
  if (facts.maxAgeMs !== null) {
    const age = lastSuccess === null ? null : facts.now.getTime() - Date.parse(lastSuccess.at);
    if (age === null || age > facts.maxAgeMs) {
      const failing = lastRun !== null && lastRun.error !== null ? `; the last run (${lastRun.at}) failed: ${lastRun.error}` : '';
      return {
        health: 'stale', key: 'stale',
        reasons: [`${lastSuccess === null ? 'no sync run has succeeded yet' : `the last successful run was ${describeAge(age!)} ago (${lastSuccess.at})`}, more than --max-age ${describeDuration(facts.maxAgeMs)}${failing}`],
      };
    }
  }
  if (blocked !== null) {
    return { health: 'held', key: `held:${blocked.plan_id}`, reasons: [`${counted(blocked.held.length, 'destructive action')} ${blocked.held.length === 1 ? 'waits' : 'wait'} for approval (hold ${blocked.plan_id}, since ${blocked.since}): ${blocked.reasons.join('; ')}`] };
  }
  if (lastRun !== null && lastRun.error === null && lastRun.exit === 4) {
    return { health: 'held', key: 'held:incomplete', reasons: [`${counted(lastRun.held, 'destructive action')} ${lastRun.held === 1 ? 'was' : 'were'} held: ${lastRun.hold_reasons.join('; ')}; no approval releases them, a complete read decides again`] };
  }
  const reasons: string[] = [];
  const kinds: string[] = [];
  if (lastRun !== null && lastRun.error !== null) {
    kinds.push('run-failed');
    reasons.push(`the last run (${lastRun.at}) failed (exit ${lastRun.exit}): ${lastRun.error}`);
  }
  const judged = lastRun !== null && lastRun.error === null ? lastRun : lastSuccess;
  if (judged !== null) {
    if (judged.failed > 0) { kinds.push('failed'); reasons.push(`${counted(judged.failed, 'action')} failed in the run of ${judged.at}`); }
    if (judged.conflicts > 0) { kinds.push('conflicts'); reasons.push(`${counted(judged.conflicts, 'AD user')} ${judged.conflicts === 1 ? 'conflicts' : 'conflict'} with Duo and ${judged.conflicts === 1 ? 'is' : 'are'} not synced`); }
    if (judged.drift > 0) { kinds.push('drift'); reasons.push(`${counted(judged.drift, 'managed user')} ${judged.drift === 1 ? 'was' : 'were'} changed in Duo by someone else`); }
    if (judged.read_complete === false) { kinds.push('incomplete'); reasons.push('the last read of AD or Duo was incomplete: nothing destructive was done'); }
  }
  if (kinds.length === 0) return { health: 'healthy', key: 'healthy', reasons: [] };
  return { health: 'attention', key: `attention:${kinds.join(',')}`, reasons };
}

/**
 * Whether to send, and what: an alert on a new level or key, a reminder while a hold waits (about
 * daily), a recovery once when health comes back; nothing when nothing changed. `previous` is what
 * was last delivered; null: nothing ever was (a healthy start says nothing).
 */
export function decideNotification(previous: Notified | null, health: HealthLevel, key: string, now: Date): 'alert' | 'reminder' | 'recovery' | null {
  if (health === 'healthy') return previous !== null && previous.level !== 'healthy' ? 'recovery' : null;
  if (previous === null || previous.key !== key) return 'alert';
  if (health === 'held' && previous.sent_at !== null && now.getTime() - Date.parse(previous.sent_at) >= REMINDER_MS) return 'reminder';
  return null;
}

/** A reminder while held: a day, less the jitter of a nightly timer (a run at 02:01 after one at 02:03). */
export const REMINDER_MS = 23 * 3_600_000;

/** What is recorded as said, once a message was delivered (`sent`), or a healthy start recorded without one. */
export function notifiedAfter(previous: Notified | null, health: HealthLevel, key: string, now: Date, sent = true): Notified {
  const same = previous !== null && previous.key === key;
  return { level: health, key, since: same ? previous.since : now.toISOString(), sent_at: sent ? now.toISOString() : null };
}

/** The Duo host a state belongs to, or null: no state. */
async function stateHost(statePath: string): Promise<string | null> {
  const text = await readRegularFile(statePath, 'sync state');
  if (text === null) return null;
  try {
    const host = (JSON.parse(text) as { host?: unknown }).host;
    if (typeof host === 'string' && host !== '') return host;
  } catch {
    // Named below, as loadSyncState names it.
  }
  throw new UsageError('STATE_UNREADABLE', `sync state ${statePath}: not a sync state (no "host")`);
}

/**
 * A state written before the health file existed: its last runs, in the health file's terms (what
 * the state kept of them). `after`: the last success is looked for among the runs that succeeded.
 */
function fromStateRuns(state: SyncState | null, lastRun: RunRecord | null): RunRecord | null {
  const runs = state?.runs ?? [];
  const run = lastRun === null ? runs.at(-1) : [...runs].reverse().find((r) => r.exit === 0 || r.exit === 1 || r.exit === 4);
  if (run === undefined) return null;
  return {
    at: run.at, exit: run.exit, error: null, plan_id: run.plan_id, read: null, read_complete: null, counts: run.counts, failed: 0, held: run.held,
    hold_id: state?.blocked?.plan_id ?? null, hold_reasons: state?.blocked?.reasons ?? [], conflicts: 0, drift: 0, approved: run.approved ?? null,
    first: { held: [], failed: [], conflicts: [], drift: [] }, files: { report: null, held: null, journal: null, summary: null },
    commands: { approve: null, plan: '', status: '' }, ran_by: { account: 'unknown', machine: 'unknown' }, trash_after_days: 30,
  };
}

function ladderOf(state: SyncState | null, trashAfterDays: number): SyncStatus['ladder'] {
  const entries: LadderEntry[] = [];
  let missing = 0;
  let disabled = 0;
  let trashed = 0;
  for (const m of Object.values(state?.users ?? {})) {
    if (m.missing_since === undefined && m.disabled_by_sync === undefined && m.trashed_by_sync === undefined) continue;
    if (m.missing_since !== undefined) missing++;
    if (m.disabled_by_sync !== undefined) disabled++;
    if (m.trashed_by_sync !== undefined) trashed++;
    const trashOn = m.missing_since !== undefined && m.trashed_by_sync === undefined ? new Date(Date.parse(m.missing_since) + trashAfterDays * DAY_MS).toISOString() : null;
    entries.push({ username: m.applied.username, missing_since: m.missing_since ?? null, disabled_by_sync: m.disabled_by_sync ?? null, trashed_by_sync: m.trashed_by_sync ?? null, trash_on: trashOn });
  }
  // Soonest to the Trash first, then the rest by name.
  entries.sort((a, b) => (a.trash_on ?? '~').localeCompare(b.trash_on ?? '~') || a.username.localeCompare(b.username));
  return { missing, disabled, trashed, users: entries.slice(0, LADDER_LISTED) };
}

