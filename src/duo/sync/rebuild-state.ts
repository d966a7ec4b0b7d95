import { createHash } from 'node:crypto';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { nameKey } from '../../names.js';
import type { JournalRecord } from '../journal/journal.js';
import { RunHistory } from '../journal/run-history.js';
import { digestMatches, parsePlan } from './saved-plan.js';
import { openRegular, readRegularBytes } from './sync-files.js';
import type { SyncAction, SyncPlan } from './sync-plan.js';
import { emptyState, runsFolderOf, type AppliedValues, type HeldAction, type ManagedUser, type SyncState } from './sync-state.js';

/**
 * A lost state is rebuilt from what the runs left beside it. Each applying run writes, in
 * `<state>.runs/`, `<stamp>-<plan_id>.plan.json` (its plan, before the first write),
 * `<stamp>-<plan_id>.jsonl` (its journal) and, when a safeguard held actions,
 * `<stamp>-<plan_id>.held.json`. Read in run order, they tell whom the sync created (a create of
 * the plan, the user_id the journal shows Duo returned), whom it adopted, which users it disabled
 * or sent to the Trash and when: without that, the first run after a lost state manages nobody,
 * and leavers who left meanwhile are never found.
 */

export interface RebuiltState {
  /** The state as the runs left it, as far as their files tell (see rebuildState). */
  readonly state: SyncState;
  /** How many runs (plan files of this host, read whole) it was rebuilt from. */
  readonly runs: number;
  /** How many files were damaged (not JSON, not a plan or journal, edited, a link, a pipe…) and skipped. */
  readonly damaged: number;
  /** Every file skipped, and why: damaged ones, and those of another Duo host. */
  readonly skipped: readonly { readonly file: string; readonly problem: string }[];
}

/** `<stamp>-<plan_id>.<what>` as run-sync names them; the stamp is toISOString with ':' and '.' as '-'. */
const RUN_FILE = /^(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)-([0-9a-f]{1,64})\.(plan\.json|jsonl|held\.json)$/;

interface RunFiles {
  readonly base: string;
  readonly stamp: string;
  readonly planId: string;
  /** When the run wrote its first file (real clock): orders runs whose stamps are equal (a fixed sync clock). */
  order: number;
  plan?: string;
  journal?: string;
  held?: string;
}

/**
 * Rebuilds the sync state of `statePath` (for Duo host `host`) from the plans, journals and held
 * files in its runs folder (runsFolderOf). Resolves to null when there is no runs folder, or no
 * run in it could be used. Call it where loadSyncState reported 'new' or 'unreadable', before
 * planning; save the result with saveSyncState if it is kept. `now` dates what the files do not
 * (a hold whose time is unknown).
 *
 * Read-only: every file is opened for reading only, never through a link, never a pipe (a
 * journal torn by a crash is read up to its last whole line, not truncated); nothing is written.
 *
 * What it rebuilds, run by run in the order they ran (the stamp in the name, then when the files
 * were written), so the latest run wins:
 * - users created: each create action of a plan whose username the journal shows Duo created
 *   (an id Duo returned, or a claim a recovery journaled); users adopted: each adopt action of a
 *   plan (adoption is recorded before the first write, so a plan without a journal counts too);
 *   users the plan lists as gone: forgotten;
 * - disabled_by_sync / trashed_by_sync: a disable or trash the journal shows Duo applied, at that
 *   run's time; cleared by a journaled enable or restore; missing_since from a leaver's disable
 *   ("not in AD") applied, or held by a plan made on a trusted read, cleared when a later plan acts
 *   on the user as present in AD (a run that only held writes no plan, so its leavers' ladder
 *   starts later than the lost state had it: when their disable is applied; never earlier);
 * - applied values as the plans wanted them (a create's names and fields, a rename's target, an
 *   update's values, memberships); an adopted user's values the plans did not set are empty,
 *   which a later plan reads as "AD wins" rather than as drift;
 * - `source` and `ad_users` from the last plan made on a trusted read; `blocked` from the last run
 *   when it held actions (a hold is kept rather than lost); `last_journal` is the last journal,
 *   unfinished when it has no `done` record (the next run then settles its unanswered creates).
 *
 * Files of another Duo host are skipped (listed in `skipped`). A damaged file is skipped and
 * counted in `damaged`: a plan that is not a plan (schema), whose name and plan_id disagree, or
 * whose digest does not match; a journal that is not a sync journal, has a line that is not
 * JSON, or was not written for the plan beside it (its start record's sha256).
 */
export async function rebuildState(statePath: string, host: string, now: Date): Promise<RebuiltState | null> {
  const folder = runsFolderOf(statePath);
  const info = await lstat(folder).catch(() => null);
  if (info === null || !info.isDirectory()) return null;
  const names = await readdir(folder).catch(() => null);
  if (names === null) return null;

  const skipped: { file: string; problem: string }[] = [];
  let damaged = 0;
  const damage = (file: string, problem: string): void => {
    damaged++;
    skipped.push({ file, problem });
  };

  const byBase = new Map<string, RunFiles>();
  for (const name of names) {
    const match = RUN_FILE.exec(name);
    if (match === null) continue;
    const [, stamp, planId, what] = match as unknown as [string, string, string, 'plan.json' | 'jsonl' | 'held.json'];
    const base = `${stamp}-${planId}`;
    const run = byBase.get(base) ?? { base, stamp, planId, order: Infinity };
    const path = join(folder, name);
    const stat = await lstat(path).catch(() => null);
    if (stat === null) continue;
    run.order = Math.min(run.order, stat.mtimeMs);
    if (what === 'plan.json') run.plan = path;
    else if (what === 'jsonl') run.journal = path;
    else run.held = path;
    byBase.set(base, run);
  }
  const ordered = [...byBase.values()].sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.order - b.order || (a.base < b.base ? -1 : 1)));

  const users: Record<string, ManagedUser> = {};
  let runs = 0;
  let source: SyncState['source'] = null;
  let adUsers: number | null = null;
  let lastJournal: SyncState['last_journal'] = null;
  let blocked: SyncState['blocked'] = null;
  let lastWasHeld = false;

  for (const run of ordered) {
    const at = stampTime(run.stamp) ?? now.toISOString();
    lastWasHeld = false;
    if (run.plan !== undefined) {
      const read = await readPlan(run, host);
      if (read.kind === 'damaged') damage(run.plan, read.problem);
      else if (read.kind === 'foreign') skipped.push({ file: run.plan, problem: read.problem });
      else {
        let history: RunHistory | null = null;
        let finished = false;
        if (run.journal !== undefined) {
          const journal = await readJournal(run.journal, host, read.sha256);
          if (journal.kind === 'damaged') damage(run.journal, journal.problem);
          else if (journal.kind === 'foreign') skipped.push({ file: run.journal, problem: journal.problem });
          else {
            history = journal.history;
            finished = journal.finished;
          }
        }
        // A journal that cannot be trusted (damaged, another host's) says nothing about this run's writes.
        if (run.journal !== undefined && history === null) continue;
        runs++;
        replayRun(users, read.plan, history, at);
        if (read.plan.source_trusted || read.plan.approved !== null) {
          source = read.plan.source;
          adUsers = read.plan.ad_users;
        } else if (source === null) source = read.plan.source;
        if (history !== null) lastJournal = { path: run.journal!, plan: run.plan, finished };
      }
    }
    if (run.held !== undefined) {
      const held = await readHeld(run.held);
      if (typeof held === 'string') damage(run.held, held);
      else {
        // One hold repeated by later runs is one incident: its time is when it was first held.
        const previous = blocked as SyncState['blocked'];
        blocked = { plan_id: held.approveId, since: previous !== null && previous.plan_id === held.approveId ? previous.since : at, reasons: held.reasons, held: held.held };
        lastWasHeld = true;
      }
    }
  }
  if (runs === 0) return null;
  const state: SyncState = {
    ...emptyState(host), source, users, ad_users: adUsers, last_journal: lastJournal,
    // A hold outlives a lost state only while the last run held: a later run that held nothing cleared it.
    blocked: lastWasHeld ? blocked : null,
  };
  return { state, runs, damaged, skipped };
}

/** What one run did to the owned users, in the order run-sync's recordOutcome records it. */
function replayRun(users: Record<string, ManagedUser>, plan: SyncPlan, history: RunHistory | null, at: string): void {
  for (const g of plan.gone) if (users[g.guid]?.user_id === g.user_id) delete users[g.guid];
  const created = new Map([...(history?.createdUsernames() ?? [])].map(([id, name]) => [nameKey(name), id]));
  const owned = (a: SyncAction): ManagedUser | undefined => {
    const m = users[a.guid];
    return m !== undefined && m.user_id === a.user_id ? m : undefined;
  };
  const set = (guid: string, m: ManagedUser): void => {
    users[guid] = m;
  };

  // Adoptions and creates first: the plan's other actions for those users follow in the same run.
  for (const a of plan.actions) {
    if (a.kind === 'adopt') {
      set(a.guid, { user_id: a.user_id, origin: 'adopted', applied: { username: a.username, aliases: {}, realname: '', firstname: '', lastname: '', email: '', status: 'active', groups: [] } });
    } else if (a.kind === 'create' && history !== null) {
      const id = created.get(nameKey(a.names.username));
      if (id === undefined) continue;
      set(a.guid, { user_id: id, origin: 'created', applied: { username: a.names.username, aliases: { ...a.names.aliases }, ...a.fields, status: 'active', groups: a.groups.map(nameKey).sort() } });
    }
  }
  // A leaver the plan held or acted on, on a read the run trusted: the ladder's first day.
  for (const a of [...plan.actions, ...plan.held]) {
    const m = owned(a);
    if (m === undefined || a.kind !== 'disable' || a.reason !== 'not in AD') continue;
    const counted = plan.source_trusted || plan.approved !== null || history?.statuses.get(a.user_id) === 'disabled';
    if (counted && m.missing_since === undefined) set(a.guid, { ...m, missing_since: at });
  }
  if (history === null) return;
  for (const a of plan.actions) {
    const m = owned(a);
    if (m === undefined) continue;
    const applied: { -readonly [K in keyof AppliedValues]: AppliedValues[K] } = { ...m.applied };
    let next: ManagedUser = m;
    const presentInAd = !((a.kind === 'disable' && a.reason === 'not in AD') || a.kind === 'trash');
    if (presentInAd && next.missing_since !== undefined) next = without(next, 'missing_since');
    switch (a.kind) {
      case 'rename':
        applied.username = a.to.username;
        applied.aliases = { ...a.to.aliases };
        break;
      case 'update':
        for (const [field, value] of Object.entries(a.after)) if (field in applied && field !== 'groups' && field !== 'aliases') (applied as Record<string, unknown>)[field] = value;
        break;
      case 'add_membership':
        applied.groups = [...new Set([...applied.groups, nameKey(a.group)])].sort();
        break;
      case 'remove_membership':
        applied.groups = applied.groups.filter((g) => g !== nameKey(a.group));
        break;
      case 'disable':
        if (history.statuses.get(a.user_id) === 'disabled') {
          next = { ...next, disabled_by_sync: at };
          if (a.reason !== 'not in AD') applied.status = 'disabled';
        }
        break;
      case 'enable':
        if (history.statuses.get(a.user_id) === 'active') {
          next = without(next, 'disabled_by_sync');
          applied.status = 'active';
        }
        break;
      case 'trash':
        if (history.trashed.has(a.user_id)) next = { ...next, trashed_by_sync: at };
        break;
      case 'restore':
        if (history.restored.has(a.user_id)) next = without(next, 'trashed_by_sync');
        break;
      default:
        break;
    }
    set(a.guid, { ...next, applied });
  }
}

function without(user: ManagedUser, key: 'disabled_by_sync' | 'trashed_by_sync' | 'missing_since'): ManagedUser {
  const copy = { ...user };
  delete copy[key];
  return copy;
}

/** `2026-12-02T06-00-00-000Z` → `2026-12-02T06:00:00.000Z`, or null when that is not a time. */
function stampTime(stamp: string): string | null {
  const iso = `${stamp.slice(0, 13)}:${stamp.slice(14, 16)}:${stamp.slice(17, 19)}.${stamp.slice(20)}`;
  const time = Date.parse(iso);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

type Read<T> = ({ kind: 'ok' } & T) | { kind: 'damaged'; problem: string } | { kind: 'foreign'; problem: string };

async function readPlan(run: RunFiles, host: string): Promise<Read<{ plan: SyncPlan; sha256: string }>> {
  let bytes: Buffer | null;
  try {
    bytes = await readRegularBytes(run.plan!, 'plan', { noFollow: true });
  } catch (error) {
    return { kind: 'damaged', problem: (error as Error).message };
  }
  if (bytes === null) return { kind: 'damaged', problem: 'gone while being read' };
  const text = bytes.toString('utf8');
  const plan = parsePlan(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, false);
  if (typeof plan === 'string') return { kind: 'damaged', problem: `not a sync plan (${plan})` };
  if (plan.plan_id !== run.planId) return { kind: 'damaged', problem: `its plan_id ${plan.plan_id} is not the one in its name` };
  if (plan.digest !== undefined && !digestMatches(plan)) return { kind: 'damaged', problem: 'edited since it was written (its digest does not match)' };
  if (plan.host !== host) return { kind: 'foreign', problem: `a plan for Duo host ${plan.host}, not ${host}` };
  return { kind: 'ok', plan, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * A journal replayed into a RunHistory, read-only: whole lines only (a line torn by a crash never
 * counted, and is left as it is), the first a sync start record of this host for this plan file.
 */
async function readJournal(path: string, host: string, planSha256: string): Promise<Read<{ history: RunHistory; finished: boolean }>> {
  let handle;
  try {
    handle = await openRegular(path, 'journal', { noFollow: true });
  } catch (error) {
    return { kind: 'damaged', problem: (error as Error).message };
  }
  if (handle === null) return { kind: 'damaged', problem: 'gone while being read' };
  const history = new RunHistory();
  let finished = false;
  let lineNumber = 0;
  try {
    let carry: Buffer = Buffer.alloc(0);
    for await (const chunk of handle.createReadStream({ highWaterMark: 256 * 1024, autoClose: false })) {
      const buffer: Buffer = carry.length === 0 ? (chunk as Buffer) : Buffer.concat([carry, chunk as Buffer]);
      let start = 0;
      for (let end = buffer.indexOf(10, start); end !== -1; end = buffer.indexOf(10, start)) {
        lineNumber++;
        const line = buffer.toString('utf8', start, end);
        start = end + 1;
        if (line === '') continue;
        let record: JournalRecord;
        try {
          record = JSON.parse(line) as JournalRecord;
        } catch {
          return { kind: 'damaged', problem: `line ${lineNumber} is not a journal record` };
        }
        if (record === null || typeof record !== 'object' || typeof record.t !== 'string') return { kind: 'damaged', problem: `line ${lineNumber} is not a journal record` };
        if (lineNumber === 1) {
          if (record.t !== 'start' || record.kind !== 'sync') return { kind: 'damaged', problem: 'not the journal of a sync run' };
          if (record.host !== host) return { kind: 'foreign', problem: `the journal of a run against Duo host ${record.host}, not ${host}` };
          if (record.sha256 !== planSha256) return { kind: 'damaged', problem: 'not written for the plan beside it (another sha256)' };
        }
        if (record.t === 'done') finished = true;
        try {
          history.replay(record);
        } catch {
          return { kind: 'damaged', problem: `line ${lineNumber} is not a journal record` };
        }
      }
      carry = buffer.subarray(start);
    }
  } catch (error) {
    return { kind: 'damaged', problem: (error as Error).message };
  } finally {
    await handle.close();
  }
  if (lineNumber === 0) return { kind: 'damaged', problem: 'no complete record' };
  return { kind: 'ok', history, finished };
}

/** A held file: the hold as the state keeps it, or why it is not one. */
async function readHeld(path: string): Promise<{ approveId: string; reasons: string[]; held: HeldAction[] } | string> {
  let data: unknown;
  try {
    const bytes = await readRegularBytes(path, 'held file', { noFollow: true });
    if (bytes === null) return 'gone while being read';
    data = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    return error instanceof SyntaxError ? 'not JSON' : (error as Error).message;
  }
  const file = data as { plan_id?: unknown; reasons?: unknown; held?: unknown; approve_with?: unknown } | null;
  const isText = (v: unknown): v is string => typeof v === 'string';
  const heldOk = Array.isArray(file?.held) && file.held.every((h: unknown) => {
    const x = h as Record<string, unknown> | null;
    return x !== null && typeof x === 'object' && isText(x.kind) && isText(x.guid) && (x.user_id === null || isText(x.user_id)) && isText(x.username) && isText(x.detail);
  });
  if (file === null || typeof file !== 'object' || !isText(file.plan_id) || !Array.isArray(file.reasons) || !file.reasons.every(isText) || !heldOk) return 'not a held file';
  // The held file names the approval to give ("… --approve ID"): the id a hold is released with.
  const approveId = isText(file.approve_with) ? /--approve (\S+)/.exec(file.approve_with)?.[1] ?? file.plan_id : file.plan_id;
  return {
    approveId, reasons: file.reasons as string[],
    held: (file.held as HeldAction[]).map((h) => ({ kind: h.kind, guid: h.guid, user_id: h.user_id, username: h.username, detail: h.detail })),
  };
}
