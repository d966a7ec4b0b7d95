import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DirectoryOptions } from '../../ad/export-options.js';
import { writeJsonAtomically } from '../../atomic-file.js';
import { UsageError } from '../../errors.js';
import { nameKey } from '../../names.js';
import type { DuoClient } from '../api/client.js';
import { lockFile } from '../journal/lock.js';
import { BulkMode } from '../writes/bulk-mode.js';
import { GroupDirectory } from '../writes/group-directory.js';
import { RunSession } from '../writes/run-session.js';
import { settleCreates } from '../writes/settle-creates.js';
import { applySyncActions, type ApplyOutcome } from './apply-sync.js';
import { rebuildState } from './rebuild-state.js';
import { markRolledBack } from './rolled-back.js';
import { readSavedPlan, restrictToSaved, sealPlan } from './saved-plan.js';
import { confirmMissing, readAdUsers, readDuoUsers } from './read-sides.js';
import { adoptedValues, namesFor } from './ad-values.js';
import { heldActionOf, planSync, type AdRead, type AdUser, type DuoRead, type RunOverrides, type SyncPlan, type SyncPolicy } from './sync-plan.js';
import { changesMarkPath, dropChangesMark, sourceKey, writeChangesMark } from './changes-mark.js';
import { quietPlan, startLane, type ChangeReader, type ReadKind } from './fast-lane.js';
import { readChangedUsers } from './read-changes.js';
import { checkRunsFolder, loadSyncState, runsFolderOf, saveSyncState, type AppliedValues, type LoadedState, type ManagedUser, type SyncState } from './sync-state.js';
import type { TenantUser } from '../tenant/tenant.js';
import { TRASHED, readUsersById } from '../api/users-api.js';
import { splitWriteKey } from '../journal/run-history.js';

export interface SyncRunOptions {
  readonly directory: DirectoryOptions;
  readonly policy: SyncPolicy;
  readonly client: DuoClient;
  readonly host: string;
  readonly statePath: string;
  /** plan: read both sides and plan, change nothing · apply: plan (or take a saved plan) and apply. */
  readonly mode: 'plan' | 'apply';
  /** --plan FILE: apply exactly this saved plan, refused when what it was made from has changed. */
  readonly savedPlan?: string | undefined;
  readonly approve?: string | undefined;
  readonly overrides?: RunOverrides;
  /**
   * The clock every time the sync records is on (rehearsals and tests move it: DUO_BRIDGE_SYNC_NOW).
   * Without it the machine's clock is used, and checked against Duo's.
   */
  readonly now?: () => Date;
  readonly bulkSize: number;
  readonly onNotice?: (message: string) => void;
  readonly onStage?: (stage: string) => void;
  /** The complete command that approves a hold (config, state, --yes), as the held file names it. */
  readonly approveCommand?: (id: string) => string;
  /** Shown the plan before the first write; false stops there. */
  readonly confirm?: (plan: SyncPlan) => Promise<boolean>;
  /**
   * `--changes-only`: read only what changed in AD since the last run (DirSync), and Duo only for
   * those users; a full read when the mark beside the state can't vouch for that, and at least every
   * `fullReadEveryMs`.
   */
  readonly changesOnly?: { readonly fullReadEveryMs: number; readonly reader?: ChangeReader } | undefined;
}

export interface SyncRunResult {
  readonly plan: SyncPlan;
  readonly applied: ApplyOutcome | null;
  readonly state: LoadedState['status'];
  readonly stateProblem: string | null;
  /** An earlier run that stopped part-way, whose effects this run first recorded. */
  readonly recovered: string | null;
  readonly journal: string | null;
  readonly planFile: string | null;
  readonly heldFile: string | null;
  readonly failed: number;
  /** plan: nothing was written · apply: the run wrote (or had nothing to write), a hold included. */
  readonly mode: 'plan' | 'apply';
  /** 0 in sync or applied · 1 some actions failed, AD users conflict with Duo's, or a read was incomplete · 4 a safeguard held actions. */
  readonly exitCode: 0 | 1 | 4;
  readonly read: ReadKind;
}

/**
 * One sync run: lock the state, record what an interrupted run did, read AD and Duo (in full, or
 * with `changesOnly` only what AD changed since the last run, when the fast lane may), plan, and (apply) write the plan beside the run's journal, apply it, read the users back and
 * record the outcome in the state. Nothing destructive passes a safeguard that held it.
 */
export async function runSync(options: SyncRunOptions): Promise<SyncRunResult | null> {
  const { client, host, statePath } = options;
  const now = options.now ?? (() => new Date());
  await mkdir(dirname(statePath), { recursive: true }).catch(() => undefined);
  const lock = await lockFile(statePath, 'sync state');
  try {
    const lane = options.changesOnly === undefined ? null : await startLane({
      directory: options.directory, statePath, host, now: now(), fullReadEveryMs: options.changesOnly.fullReadEveryMs,
      approving: options.approve !== undefined ? '--approve' : options.savedPlan !== undefined ? '--plan' : null, reader: options.changesOnly.reader,
    });
    // A quiet minute: nothing changed in AD and nothing to retry. No state loaded, no Duo call.
    if (lane?.kind === 'changes' && lane.changed.length === 0 && lane.mark.retry.length === 0) {
      if (options.mode === 'apply') await writeChangesMark(changesMarkPath(statePath), { ...lane.mark, cookie: lane.cookie }, statePath);
      return quietResult(quietPlan(host, options.directory, lane.mark, now()), options.mode);
    }
    const loaded = await loadSyncState(statePath, host, { setAside: options.mode === 'apply' });
    let state = loaded.state;
    // A lost or unreadable state: ownership rebuilt from the run journals beside it, so leavers who
    // left meanwhile are still found (and held until approved, as on any run without a trusted state).
    const rebuilt = loaded.status === 'ok' ? null : await rebuildState(statePath, host, now());
    if (rebuilt !== null) state = rebuilt.state;
    let recovered: string | null = null;
    if (state.last_journal !== null && !state.last_journal.finished) {
      options.onStage?.(`recording what the interrupted run ${state.last_journal.path} did`);
      state = await recoverInterruptedRun(client, host, state, now());
      recovered = state.last_journal!.path;
      await saveSyncState(statePath, state);
    }

    let read: ReadKind = { kind: 'full', why: lane?.kind === 'full' ? lane.why : null };
    // Every read of AD this run makes comes from the DC whose changes (and cookie) it took.
    const directory = lane?.dc ? onDc(options.directory, lane.dc.invocationId) : options.directory;
    let sides: Sides | null = null;
    if (lane?.kind === 'changes') {
      options.onStage?.(`reading the ${lane.changed.length} objects AD changed`);
      const why = recovered !== null ? 'the last run stopped part-way: its work is finished on a full read'
        : rebuilt !== null ? 'the state was rebuilt from the run journals'
          : state.blocked !== null ? `a hold (${state.blocked.plan_id}) waits for approval` : null;
      const changed = why === null ? await readChangedUsers(client, directory, state, lane.changed, lane.mark.retry, lane.dc.namingContext) : { kind: 'full' as const, why };
      if (changed.kind === 'changes') {
        sides = changed;
        read = { kind: 'changes', why: null, changed: lane.changed.length };
      } else read = { kind: 'full', why: changed.why };
    }
    if (sides === null) {
      options.onStage?.('reading AD');
      const { users, read: adRead } = await readAdUsers(directory);
      options.onStage?.('reading Duo');
      sides = { ad: users, adRead, duo: await confirmMissing(client, await readDuoUsers(client), Object.values(state.users).map((m) => m.user_id)) };
    }
    const { ad, adRead, duo, only } = sides;
    state = await markRolledBack(state, statePath, runsFolderOf(statePath), duo.users, now());
    const groups = await GroupDirectory.load(client);
    const syncedGroups = new Set(options.policy.mappedGroups.map(nameKey).filter((g) => groups.get(g)?.synced === true));
    // A saved plan is applied as the fresh plan restricted to what the admin reviewed: every action re-checked now.
    const saved = options.savedPlan === undefined ? null : await readSavedPlan(options.savedPlan, host);
    const adopts = saved?.actions.some((a) => a.kind === 'adopt' || a.kind === 'reanchor') ?? false;
    const fresh = planSync({
      // Nobody managed yet (a first run), or a state rebuilt from journals: only adoptions and creates go without approval.
      ad, adRead, duo: { ...duo, syncedGroups }, state, firstRun: Object.keys(state.users).length === 0 || rebuilt !== null,
      policy: adopts ? { ...options.policy, adopt: true } : options.policy, now: now(),
      approve: options.approve, ...(options.overrides ? { overrides: options.overrides } : {}), ...(only === undefined ? {} : { only }),
      clockProblems: clockProblems(state, now(), options.now === undefined ? client.duoNow() : null),
      ...(rebuilt === null ? {} : { rebuilt: true, notes: [`the state was ${loaded.status === 'new' ? 'missing' : 'unreadable'}: rebuilt from ${rebuilt.runs} runs' plans and journals` +
        `${rebuilt.damaged > 0 ? ` (${rebuilt.damaged} damaged files skipped)` : ''}; nothing is taken away until approved`] }),
    });
    if (options.approve !== undefined && fresh.approved === null && state.blocked?.plan_id !== options.approve) {
      throw new UsageError('BAD_OPTION', state.blocked === null
        ? `--approve ${options.approve}: nothing is held; there is nothing to approve`
        : `--approve ${options.approve}: that is not what is held now (${state.blocked.plan_id}, held since ${state.blocked.since}); an approval releases exactly the held actions it names: review those, then approve ${state.blocked.plan_id}`);
    }
    const plan = saved === null ? fresh : restrictToSaved(saved, fresh);

    const result = (applied: ApplyOutcome | null, files: { journal: string | null; planFile: string | null; heldFile: string | null }): SyncRunResult => {
      const failed = applied?.results.filter((r) => !r.ok).length ?? 0;
      return {
        plan, applied, state: loaded.status, stateProblem: loaded.status === 'unreadable' ? `${loaded.problem} (set aside as ${loaded.setAside})` : null, recovered,
        ...files, failed, mode: options.mode, exitCode: plan.held.length > 0 ? 4 : failed > 0 || plan.conflicts.length > 0 || !plan.read_complete ? 1 : 0, read,
      };
    };
    // Where the next --changes-only run resumes: this run's cookie once it is settled, the users it failed to write.
    const markLane = async (saved: SyncState, applied: ApplyOutcome | null): Promise<void> => {
      if (lane === null) return;
      const path = changesMarkPath(statePath);
      const incremental = only !== undefined && lane.kind === 'changes';
      const cookie = lane.kind === 'changes' && incremental && !plan.read_complete ? lane.mark.cookie : lane.cookie;
      if (cookie === null || lane.dc === null || (!incremental && !plan.read_complete)) return dropChangesMark(path);
      const failures = (applied?.results ?? []).filter((r) => !r.ok);
      // A failed write is retried from its user's DN; one that has none to retry from (a create, a leaver's) needs a full read.
      const failed = new Set(failures.filter((r) => saved.users[r.action.guid] !== undefined).flatMap((r) => ad.get(r.action.guid)?.dn ?? []));
      const unretryable = failures.filter((r) => saved.users[r.action.guid] === undefined || ad.get(r.action.guid) === undefined).length;
      if (incremental && !plan.read_complete) for (const dn of lane.mark.retry) failed.add(dn);
      await writeChangesMark(path, {
        version: 1, host, source_key: sourceKey(options.directory), dc: lane.dc.host, invocation_id: lane.dc.invocationId, cookie,
        full_read_at: incremental ? lane.mark.full_read_at : now().toISOString(),
        full_next: saved.blocked !== null ? `a hold (${saved.blocked.plan_id}) waits for approval: runs read in full until it is approved`
          : unretryable > 0 ? `${unretryable} failed write(s) of the last run can only be retried by a full read` : null,
        retry: [...failed], ad_users: saved.ad_users ?? 0, managed: Object.keys(saved.users).length,
      }, statePath);
    };
    // Plain sync only plans: Duo and the state stay as they are (an interrupted run's facts aside).
    if (options.mode === 'plan') return result(null, { journal: null, planFile: null, heldFile: null });

    const stamp = now().toISOString().replace(/[:.]/g, '-');
    const runs = runsFolderOf(statePath);
    await checkRunsFolder(statePath);
    await mkdir(runs, { recursive: true });
    const base = join(runs, `${stamp}-${plan.plan_id}`);
    const heldFile = plan.held.length > 0 ? `${base}.held.json` : null;
    if (heldFile !== null) await writeJsonAtomically(heldFile, { plan_id: plan.plan_id, reasons: plan.hold_reasons, held: plan.held.map(heldActionOf), approve_with: plan.approve_id === null ? null : options.approveCommand?.(plan.approve_id) ?? `duo-bridge sync --apply --approve ${plan.approve_id} --yes` });

    if (plan.actions.length === 0) {
      const out = result(null, { journal: null, planFile: null, heldFile });
      const next = withRun(recordOutcome(state, plan, ad, duo.users, null, now(), mappedGroupIds(duo.users.values(), options.policy), adRead.unnamed, only), plan, 'apply', out.exitCode, now());
      await saveSyncState(statePath, next);
      await markLane(next, null);
      return out;
    }
    if (options.confirm && !(await options.confirm(plan))) return null;

    const planFile = `${base}.plan.json`;
    await writeJsonAtomically(planFile, sealPlan(plan));
    const journalPath = `${base}.jsonl`;
    // Adoptions and the journal's name are on disk before the first write: a crash loses neither.
    state = { ...recordOwnership(state, plan, ad, duo.users, options.policy, syncedGroups), last_journal: { path: journalPath, plan: planFile, finished: false } };
    await saveSyncState(statePath, state);

    const applied: ApplyOutcome = await RunSession.run(journalPath, { host, client }, async (session) => {
      await session.bind({ kind: 'sync', input: planFile });
      options.onStage?.(`applying ${plan.actions.length} actions`);
      const outcome = await applySyncActions(session, plan.actions, groups, new BulkMode(options.bulkSize, null, options.onNotice));
      await session.finish(now());
      return outcome;
    });
    const recorded = recordOutcome(state, plan, ad, duo.users, applied, now(), { ...mappedGroupIds(duo.users.values(), options.policy), ...mappedGroupIds(applied.after.values(), options.policy) }, adRead.unnamed, only);
    const out = result(applied, { journal: journalPath, planFile, heldFile });
    const next = withRun({ ...recorded, last_journal: { path: journalPath, plan: planFile, finished: true } }, plan, 'apply', out.exitCode, now());
    await saveSyncState(statePath, next);
    await markLane(next, applied);
    return out;
  } finally {
    await lock.release();
  }
}


/**
 * The plan's adoptions and re-anchors, recorded before the first write: adopted users with the
 * values Duo has now (memberships as found), a re-anchored user moved to its new objectGUID with
 * its history (off the leavers' ladder: it is in AD again).
 */
function recordOwnership(state: SyncState, plan: SyncPlan, ad: ReadonlyMap<string, AdUser>, duoUsers: ReadonlyMap<string, TenantUser>, policy: SyncPolicy, synced: ReadonlySet<string>): SyncState {
  const users = { ...state.users };
  const mapped = new Set(policy.mappedGroups.map(nameKey).filter((g) => !synced.has(g)));
  for (const a of plan.actions) {
    if (a.kind === 'adopt') {
      const user = duoUsers.get(a.user_id);
      if (user !== undefined) users[a.guid] = { user_id: a.user_id, origin: 'adopted', applied: adoptedValues(user, ad.get(a.guid), mapped) };
    }
    if (a.kind === 'reanchor' && users[a.from_guid] !== undefined) {
      const { missing_since: _left, ...kept } = users[a.from_guid]!;
      delete users[a.from_guid];
      users[a.guid] = kept;
    }
  }
  return { ...state, users };
}

/**
 * Why this run's clock can't be trusted with anything destructive: behind the last run's (the
 * ladder would run backwards), or an hour or more off Duo's (a jump would trash users early).
 * `duoNow` is null in a rehearsal, whose clock is set on purpose.
 */
function clockProblems(state: SyncState, now: Date, duoNow: number | null): string[] {
  const problems: string[] = [];
  const last = state.runs.reduce((max, r) => Math.max(max, Date.parse(r.at) || 0), 0);
  if (last > now.getTime()) problems.push(`this run's clock (${now.toISOString()}) is behind the last run's (${new Date(last).toISOString()})`);
  if (duoNow !== null && Math.abs(duoNow - now.getTime()) >= CLOCK_SKEW_MS) {
    problems.push(`this machine's clock (${now.toISOString()}) is ${Math.round(Math.abs(duoNow - now.getTime()) / 60_000)} minutes off Duo's (${new Date(duoNow).toISOString()})`);
  }
  return problems;
}

const CLOCK_SKEW_MS = 3_600_000;

/**
 * The state after a run: created users recorded, gone users forgotten, each acted-on user's applied
 * values moved to what Duo now shows where that is what AD wants, and the deprovisioning ladder's
 * times. A mark says what the sync set and is still true: a user seen with any other status than
 * the one the sync set loses the mark, so the sync never lifts a disable someone else made. Absences
 * count only on a trusted read; the AD size becomes the baseline on every complete read that no
 * shrink or source change holds. The hold (blocked) is set to the held set's id, cleared when nothing
 * is held, and left as it was when only an incomplete read held (that is no new incident).
 */
function recordOutcome(
  state: SyncState,
  plan: SyncPlan,
  ad: ReadonlyMap<string, AdUser>,
  listed: ReadonlyMap<string, TenantUser>,
  applied: ApplyOutcome | null,
  now: Date,
  groups: Record<string, string>,
  /** AD users read but not usable (no username, a value validate refuses): in AD, so never missing. */
  present: ReadonlySet<string> = new Set(),
  /** An incremental read's users: no other managed user was read, and none changes. */
  only?: ReadonlySet<string>,
): SyncState {
  const at = now.toISOString();
  const users: Record<string, ManagedUser> = { ...state.users };
  for (const g of plan.gone) delete users[g.guid];
  const results = new Map<string, Map<string, boolean>>();
  for (const r of applied?.results ?? []) {
    const kinds = results.get(r.action.guid) ?? new Map<string, boolean>();
    kinds.set(r.action.kind, (kinds.get(r.action.kind) ?? true) && r.ok);
    results.set(r.action.guid, kinds);
    if (r.action.kind === 'create' && r.ok && r.user_id !== null) {
      users[r.action.guid] = { user_id: r.user_id, origin: 'created', applied: desiredApplied(ad.get(r.action.guid)!) };
    }
  }
  for (const [guid, m] of Object.entries(users)) {
    if (only !== undefined && !only.has(guid)) continue;
    const done = results.get(guid);
    const adUser = ad.get(guid);
    let next: ManagedUser = m;
    if (adUser === undefined && !present.has(guid)) {
      // An absence counts from a read the sync trusts, or one the admin approved, or once it acted on it.
      const counted = plan.source_trusted || plan.approved !== null || done?.get('disable') === true;
      if (counted && next.missing_since === undefined) next = { ...next, missing_since: at };
    } else if (next.missing_since !== undefined) {
      const { missing_since: _gone, ...rest } = next;
      next = rest;
    }
    // A disable in the run that restored the user puts back someone else's disable: it stays theirs.
    if (done?.get('disable')) next = { ...next, ...(done.has('restore') ? {} : { disabled_by_sync: at }), applied: { ...next.applied, status: 'disabled' } };
    if (done?.get('enable')) next = { ...without(next, 'disabled_by_sync'), applied: { ...next.applied, status: 'active' } };
    if (done?.get('trash')) next = { ...next, trashed_by_sync: at };
    if (done?.get('restore')) next = without(next, 'trashed_by_sync');
    const after = applied?.after.get(next.user_id);
    const seen = after === undefined ? listed.get(next.user_id) : after;
    if (seen != null) {
      if (seen.status !== 'disabled' && seen.status !== TRASHED) next = without(next, 'disabled_by_sync');
      if (seen.status !== TRASHED) next = without(next, 'trashed_by_sync');
    }
    if (adUser !== undefined && seen != null) next = { ...next, applied: mergeApplied(next.applied, desiredApplied(adUser), seen) };
    users[guid] = next;
  }
  const held = plan.held.map(heldActionOf);
  const blocked = plan.approve_id !== null
    ? { plan_id: plan.approve_id, since: (plan.approve_id === state.blocked?.plan_id ? state.blocked.since : undefined) ?? at, reasons: [...plan.hold_reasons], held }
    : held.length === 0 ? null : state.blocked;
  return {
    ...state,
    users,
    groups: { ...state.groups, ...groups },
    source: plan.baseline || (state.source === null && plan.ad_users > 0) ? plan.source : state.source,
    ad_users: plan.baseline ? plan.ad_users : state.ad_users,
    blocked,
  };
}

function onDc(directory: DirectoryOptions, invocationId: string): DirectoryOptions {
  return directory.source.kind === 'ldap' ? { ...directory, source: { ...directory.source, sameDc: invocationId } } : directory;
}

/** Both sides as this run read them: in full, or (`only`) the users AD changed. */
interface Sides {
  readonly ad: ReadonlyMap<string, AdUser>;
  readonly adRead: AdRead;
  readonly duo: DuoRead;
  readonly only?: ReadonlySet<string>;
}

function quietResult(plan: SyncPlan, mode: 'plan' | 'apply'): SyncRunResult {
  return {
    plan, applied: null, state: 'ok', stateProblem: null, recovered: null, journal: null, planFile: null, heldFile: null, failed: 0, mode, exitCode: 0,
    read: { kind: 'changes', why: null, changed: 0 },
  };
}

/** The mapped Duo groups' ids, as the listing's users show them (groups nobody is in yet are learned when first used). */
function mappedGroupIds(users: Iterable<TenantUser | null>, policy: SyncPolicy): Record<string, string> {
  const mapped = new Set(policy.mappedGroups.map(nameKey));
  const ids: Record<string, string> = {};
  for (const user of users) for (const g of user?.groups ?? []) if (mapped.has(nameKey(g.name))) ids[nameKey(g.name)] = g.group_id;
  return ids;
}

function without(user: ManagedUser, key: 'disabled_by_sync' | 'trashed_by_sync'): ManagedUser {
  const copy = { ...user };
  delete copy[key];
  return copy;
}

/** What AD wants a user to have in Duo, in the terms of AppliedValues. */
function desiredApplied(user: AdUser): AppliedValues {
  return {
    ...namesFor(user), realname: user.realname, firstname: user.firstname,
    lastname: user.lastname, email: user.email, status: user.enabled ? 'active' : 'disabled', groups: user.groups.map(nameKey).sort(),
  };
}

/** Per value: AD's, where Duo now has it; the old applied value where it does not (held, failed or drift). */
function mergeApplied(old: AppliedValues, want: AppliedValues, now: TenantUser): AppliedValues {
  const names = nameKey(now.username) === nameKey(want.username) && JSON.stringify(Object.values(now.aliases).map(nameKey).sort()) === JSON.stringify(Object.values(want.aliases).map(nameKey).sort());
  const pick = (field: 'realname' | 'firstname' | 'lastname' | 'email'): string => ((now[field] ?? '') === want[field] ? want[field] : old[field]);
  const groups = new Set(now.groups.map((g) => nameKey(g.name)));
  return {
    username: names ? want.username : old.username,
    aliases: names ? want.aliases : old.aliases,
    realname: pick('realname'), firstname: pick('firstname'), lastname: pick('lastname'), email: pick('email'),
    status: now.status === want.status ? want.status : old.status,
    groups: [...new Set([...want.groups, ...old.groups])].filter((g) => groups.has(g)).sort(),
  };
}

function withRun(state: SyncState, plan: SyncPlan, mode: 'apply', exit: number, now: Date): SyncState {
  const counts: Record<string, number> = {};
  for (const a of plan.actions) counts[a.kind] = (counts[a.kind] ?? 0) + 1;
  return { ...state, runs: [...state.runs, { at: now.toISOString(), plan_id: plan.plan_id, mode, exit, counts, held: plan.held.length, approved: plan.approved }] };
}

/**
 * A run that stopped part-way (killed, a lost connection) left its journal unfinished: what it
 * did is read from the journal (unanswered creates settled by reading Duo, as a resume and a
 * rollback settle them) and recorded in the state, so the users it created are managed and the
 * ladder's times are kept. The fresh plan that follows finishes the work.
 */
async function recoverInterruptedRun(client: DuoClient, host: string, state: SyncState, now: Date): Promise<SyncState> {
  const { path, plan: planPath } = state.last_journal!;
  // Killed before its first write: the journal file was never created, and there is nothing to record.
  if (!(await stat(path).then(() => true, () => false))) return { ...state, last_journal: { ...state.last_journal!, finished: true } };
  let plan: SyncPlan | null = null;
  try {
    plan = JSON.parse(await readFile(planPath, 'utf8')) as SyncPlan;
  } catch {
    plan = null;
  }
  const history = await RunSession.run(path, { host, client }, async (session) => {
    await settleCreates(session);
    await session.finish(now);
    return session.history;
  });
  const at = now.toISOString();
  const users: Record<string, ManagedUser> = { ...state.users };
  const created = new Map([...history.createdUsernames()].map(([id, name]) => [nameKey(name), id]));
  const guidOf = new Map(Object.entries(users).map(([guid, m]) => [m.user_id, guid]));
  for (const a of plan?.actions ?? []) {
    if (a.kind !== 'create') continue;
    const id = created.get(nameKey(a.names.username));
    if (id === undefined) continue;
    users[a.guid] = {
      user_id: id, origin: 'created',
      applied: { username: a.names.username, aliases: a.names.aliases, ...a.fields, status: 'active', groups: a.groups.map(nameKey).sort() },
    };
    guidOf.set(id, a.guid);
  }
  // The journal says what the run announced; whether a write the kill cut short took, only Duo says:
  // a mark follows a status change only where Duo shows it (churn seed 20261206: a restore announced,
  // never sent, must leave the user marked as trashed by the sync).
  // Every status the run wrote or may have written (an unanswered write too), and every trash.
  const statuses = new Map<string, string>();
  for (const [key, value] of history.lastWrites()) {
    const { userId, what } = splitWriteKey(key);
    if (what === 'status' && typeof value === 'string') statuses.set(userId, value);
  }
  const trashed = [...history.trashed, ...history.uncertainTrash];
  const touched = [...new Set([...statuses.keys(), ...trashed, ...history.restored])].filter((id) => guidOf.has(id));
  const seen = await readUsersById(client, touched, touched.map((id) => users[guidOf.get(id)!]!.applied.username));
  const shown = (userId: string): string | null => seen.get(userId)?.status ?? null;
  for (const [userId, status] of statuses) {
    const guid = guidOf.get(userId);
    const now = shown(userId);
    if (guid === undefined || now === null) continue;
    const disabled = now === 'disabled' || now === TRASHED;
    // A disable after a restore of the same run puts back someone else's (see recordOutcome).
    if (status === 'disabled' && disabled && !history.restored.has(userId)) users[guid] = { ...users[guid]!, disabled_by_sync: at };
    if (status !== 'disabled' && !disabled) users[guid] = without(users[guid]!, 'disabled_by_sync');
  }
  for (const userId of trashed) {
    const guid = guidOf.get(userId);
    if (guid !== undefined && shown(userId) === TRASHED) users[guid] = { ...users[guid]!, trashed_by_sync: at };
  }
  for (const userId of history.restored) {
    const guid = guidOf.get(userId);
    const now = shown(userId);
    if (guid !== undefined && now !== null && now !== TRASHED) users[guid] = without(users[guid]!, 'trashed_by_sync');
  }
  return { ...state, users, last_journal: { ...state.last_journal!, finished: true } };
}
