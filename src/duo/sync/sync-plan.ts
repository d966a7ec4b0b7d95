import { createHash } from 'node:crypto';
import { nameKey } from '../../names.js';
import type { JournalNames } from '../journal/journal.js';
import { same } from '../workflows/renames.js';
import { TRASHED_STATUS } from '../plan/decide.js';
import type { TenantUser } from '../tenant/tenant.js';
import { stateDigest, type AppliedValues, type HeldAction, type ManagedUser, type SourceIdentity, type SyncState } from './sync-state.js';

/** One AD user as a sync wants it in Duo, anchored on its objectGUID. */
export interface AdUser {
  readonly guid: string;
  readonly dn: string;
  readonly username: string;
  readonly aliases: readonly string[];
  readonly realname: string;
  readonly firstname: string;
  readonly lastname: string;
  readonly email: string;
  readonly enabled: boolean;
  /** Duo group names the mapped AD groups give it. */
  readonly groups: readonly string[];
}

/** How complete the AD read was: only a complete read may take anyone away. */
export interface AdRead {
  readonly identity: SourceIdentity;
  /** Why the read may have missed users (a referral not followed); empty: complete. No approval overrides these. */
  readonly problems: readonly string[];
  /** What makes the source look wrong without proving it (a mapped group with no member): held until approved. */
  readonly doubts: readonly string[];
  /** Users without an objectGUID or without a username: cannot be anchored or named. */
  readonly unusable: number;
  /** The objectGUIDs of AD users read without a username: present, so never taken for leavers. */
  readonly unnamed?: ReadonlySet<string>;
  /** AD users with a value validate refuses (a control character, a malformed email): conflicts, never written, still present. */
  readonly rejected?: readonly { readonly guid: string; readonly username: string; readonly reason: string }[];
}

/** What the Duo listing returned, and what it said it held. */
export interface DuoRead {
  /** Every listed user, by user_id. */
  readonly users: ReadonlyMap<string, TenantUser>;
  /** Duo's `metadata.total_objects`, when it said. */
  readonly total: number | null;
}

export const THRESHOLD_KINDS = ['disable', 'trash', 'removal', 'rename'] as const;
export type ThresholdKind = (typeof THRESHOLD_KINDS)[number];
export type DriftKind = 'status' | 'fields' | 'names' | 'groups';
export type DriftPolicy = 'ad-wins' | 'report';

export interface SyncPolicy {
  readonly trashAfterDays: number;
  readonly thresholds: Readonly<Record<ThresholdKind, { readonly count: number; readonly percent: number }>>;
  readonly maxShrinkPercent: number;
  /** Name keys of users never touched (break-glass, service accounts). */
  readonly protectUsers: ReadonlySet<string>;
  /** Name keys of Duo groups whose memberships are never changed. */
  readonly protectGroups: ReadonlySet<string>;
  readonly drift: Readonly<Record<DriftKind, DriftPolicy>>;
  /** The Duo groups the config maps (names as configured). */
  readonly mappedGroups: readonly string[];
  /** Match unmanaged Duo users to AD users by name and take them over. */
  readonly adopt: boolean;
  /** A user with last_directory_sync is still a Duo directory sync's (unless asserted deleted). */
  readonly syncDeleted: boolean;
}

export interface PlanContext {
  readonly ad: ReadonlyMap<string, AdUser>;
  readonly adRead: AdRead;
  readonly duo: DuoRead;
  readonly state: SyncState;
  /** The state was missing or unreadable: this run manages only what it adopts, and deprovisions nothing. */
  readonly firstRun: boolean;
  readonly policy: SyncPolicy;
  readonly now: Date;
  /** `--approve PLAN_ID`: the held actions of that plan may go, once. */
  readonly approve?: string | undefined;
  /** `--max-disables N` and its kin, for this run only. */
  readonly overrides?: Partial<Record<ThresholdKind, number>>;
}

export interface UserFields {
  readonly realname: string;
  readonly firstname: string;
  readonly lastname: string;
  readonly email: string;
}

interface Base {
  readonly guid: string;
  readonly username: string;
  readonly user_id: string | null;
}

export type SyncAction =
  | (Base & { readonly kind: 'create'; readonly names: JournalNames; readonly fields: UserFields; readonly groups: readonly string[] })
  | (Base & { readonly kind: 'adopt'; readonly user_id: string; readonly how: string })
  | (Base & { readonly kind: 'restore'; readonly user_id: string })
  | (Base & { readonly kind: 'enable'; readonly user_id: string; readonly reason: string })
  | (Base & { readonly kind: 'update'; readonly user_id: string; readonly before: Readonly<Record<string, string>>; readonly after: Readonly<Record<string, string>> })
  | (Base & { readonly kind: 'rename'; readonly user_id: string; readonly from: JournalNames; readonly to: JournalNames })
  | (Base & { readonly kind: 'add_membership' | 'remove_membership'; readonly user_id: string; readonly group: string })
  | (Base & { readonly kind: 'disable'; readonly user_id: string; readonly reason: string })
  | (Base & { readonly kind: 'trash'; readonly user_id: string; readonly reason: string });

export type ActionKind = SyncAction['kind'];
export const ACTION_KINDS: readonly ActionKind[] = ['adopt', 'create', 'restore', 'enable', 'update', 'rename', 'add_membership', 'remove_membership', 'disable', 'trash'];

/** The kinds a safeguard counts and may hold: they take access or names away. */
export function thresholdKindOf(action: SyncAction): ThresholdKind | null {
  switch (action.kind) {
    case 'disable':
      return 'disable';
    case 'trash':
      return 'trash';
    case 'remove_membership':
      return 'removal';
    case 'rename':
      return 'rename';
    default:
      return null;
  }
}

export interface Conflict {
  readonly guid: string;
  readonly username: string;
  readonly reason: string;
}

export interface Drift {
  readonly guid: string;
  readonly user_id: string;
  readonly username: string;
  readonly kind: DriftKind;
  readonly detail: string;
  /** What this run does about it: AD's value written back, or only reported. */
  readonly policy: DriftPolicy;
}

export interface SyncPlan {
  readonly plan_id: string;
  readonly made_at: string;
  readonly host: string;
  readonly source: SourceIdentity;
  readonly ad_users: number;
  /** AD users without an objectGUID or a username: not synced. */
  readonly ad_unusable: number;
  readonly duo_users: number;
  readonly managed: number;
  /** Actions to apply now. */
  readonly actions: readonly SyncAction[];
  /** Destructive actions a safeguard held back, and why. */
  readonly held: readonly SyncAction[];
  readonly hold_reasons: readonly string[];
  readonly conflicts: readonly Conflict[];
  readonly drift: readonly Drift[];
  /** Managed users no longer in Duo (deleted by someone, or purged from the Trash): forgotten. */
  readonly gone: readonly { readonly guid: string; readonly user_id: string; readonly username: string }[];
  /** Managed users left alone: protected, or a Duo directory sync's. */
  readonly untouched: readonly { readonly guid: string; readonly username: string; readonly reason: string }[];
  /** What the plan was made from, per AD user it acts on: a saved plan is stale when these differ. */
  readonly basis: Readonly<Record<string, string>>;
  /** The state the plan was made against (its sha256). */
  readonly state_sha256: string;
  /** Whether the held actions of an approved plan were released by this one. */
  readonly approved: string | null;
  /**
   * What `--approve` takes to release what this plan holds: the id of the plan that first held
   * (a hold is one incident across the runs that repeat it), else this plan's; null when nothing is held.
   */
  readonly approve_id: string | null;
  /** The reads were complete and the source is the state's: absences count, the AD size is a new baseline. */
  readonly source_trusted: boolean;
}

const DAY_MS = 86_400_000;

/**
 * The whole sync, decided before the first write: what to create, change, take away and hold.
 * Pure: AD's users, Duo's users, the state and the policy in; the plan out.
 */
export function planSync(context: PlanContext): SyncPlan {
  const { ad, duo, state, policy, now } = context;
  const actions: SyncAction[] = [];
  const conflicts: Conflict[] = [];
  const drift: Drift[] = [];
  const gone: SyncPlan['gone'][number][] = [];
  const untouched: SyncPlan['untouched'][number][] = [];
  const mapped = new Set(policy.mappedGroups.map(nameKey));
  // Built on first use: a run where nothing is new or renamed (the scheduled run, most days) never pays for them.
  const byName = lazy(() => duoNameIndex(duo.users));
  const sharedNames = lazy(() => sharedAdNames(ad));
  const managedIds = lazy(() => new Map(Object.entries(state.users).map(([guid, m]) => [m.user_id, guid])));
  const isProtected = (names: readonly string[]): boolean => names.some((n) => policy.protectUsers.has(nameKey(n)));
  const rejected = new Set((context.adRead.rejected ?? []).map((r) => r.guid));

  let managed = 0;
  const manage = (guid: string, user: TenantUser, m: Pick<ManagedUser, 'applied' | 'missing_since' | 'disabled_by_sync' | 'trashed_by_sync'>): void => {
    managed++;
    const adUser = ad.get(guid);
    if (isProtected(allNames(user)) || (adUser && isProtected([adUser.username, ...adUser.aliases]))) {
      untouched.push({ guid, username: user.username, reason: 'protected by the config' });
      return;
    }
    if (user.last_directory_sync != null && !policy.syncDeleted) {
      untouched.push({ guid, username: user.username, reason: 'a Duo directory sync manages it (last_directory_sync is set)' });
      return;
    }
    const base = { guid, username: user.username, user_id: user.user_id };
    if (adUser === undefined && rejected.has(guid)) return; // a conflict (below): left as it is in Duo
    if (adUser === undefined && context.adRead.unnamed?.has(guid)) {
      untouched.push({ guid, username: user.username, reason: `in AD without a value in the username attribute: left as it is` });
      return;
    }
    if (adUser === undefined) return deprovision(base, user, m);
    reconcile(base, adUser, user, m);
  };

  const deprovision = (base: Base & { user_id: string }, user: TenantUser, m: Pick<ManagedUser, 'missing_since' | 'disabled_by_sync'>): void => {
    if (user.status === TRASHED_STATUS) return;
    if (user.status !== 'disabled') {
      if (m.disabled_by_sync !== undefined) {
        const policyNow = policy.drift.status;
        drift.push({ ...base, kind: 'status', detail: `left AD and was disabled by the sync, but is ${user.status} in Duo now`, policy: policyNow });
        if (policyNow === 'report') return;
      }
      actions.push({ ...base, kind: 'disable', reason: 'not in AD' });
      return;
    }
    const since = Date.parse(m.missing_since ?? now.toISOString());
    const days = (now.getTime() - since) / DAY_MS;
    if (days >= policy.trashAfterDays) actions.push({ ...base, kind: 'trash', reason: `not in AD for ${Math.floor(days)} days (trash-after-days ${policy.trashAfterDays})` });
  };

  const reconcile = (base: Base & { user_id: string }, adUser: AdUser, user: TenantUser, m: Pick<ManagedUser, 'applied' | 'disabled_by_sync' | 'trashed_by_sync'>): void => {
    let status = user.status;
    if (status === TRASHED_STATUS) {
      if (!adUser.enabled) return;
      if (m.trashed_by_sync === undefined) {
        drift.push({ ...base, kind: 'status', detail: 'is in AD and enabled, but someone sent it to the Trash in Duo', policy: policy.drift.status });
        if (policy.drift.status === 'report') return;
      }
      actions.push({ ...base, kind: 'restore' });
      // Restored users come back disabled when the sync had disabled them first: enabled below.
      status = m.disabled_by_sync !== undefined ? 'disabled' : 'active';
    }
    if (!adUser.enabled && status !== 'disabled') {
      if (m.applied.status === 'disabled') {
        drift.push({ ...base, kind: 'status', detail: `disabled in AD, but ${status} in Duo: someone changed it there`, policy: policy.drift.status });
        if (policy.drift.status === 'ad-wins') actions.push({ ...base, kind: 'disable', reason: 'disabled in AD' });
      } else actions.push({ ...base, kind: 'disable', reason: 'disabled in AD' });
    }
    if (adUser.enabled && status === 'disabled') {
      if (m.disabled_by_sync !== undefined) actions.push({ ...base, kind: 'enable', reason: 'enabled in AD again' });
      else {
        drift.push({ ...base, kind: 'status', detail: 'enabled in AD, but disabled in Duo by someone else', policy: policy.drift.status });
        if (policy.drift.status === 'ad-wins') actions.push({ ...base, kind: 'enable', reason: 'enabled in AD' });
      }
    }

    // Names: AD's username attribute (or an alias attribute) changed, or someone renamed the user in Duo.
    const want = namesFor(adUser);
    const have = tenantNames(user);
    if (!same(want, have)) {
      const changedInDuo = !same(have, { username: m.applied.username, aliases: { ...m.applied.aliases } });
      const adChanged = !same(want, { username: m.applied.username, aliases: { ...m.applied.aliases } });
      const taken = allNamesOf(want).find((n) => {
        const holder = byName().get(nameKey(n));
        return holder !== undefined && holder !== user.user_id && !managedIds().has(holder);
      });
      if (changedInDuo && !adChanged) drift.push({ ...base, kind: 'names', detail: `renamed in Duo to ${describeNames(have)}`, policy: policy.drift.names });
      if (taken !== undefined) conflicts.push({ guid: base.guid, username: user.username, reason: `AD names it ${describeNames(want)}, but "${taken}" belongs to another Duo user` });
      else if (adChanged || policy.drift.names === 'ad-wins') actions.push({ ...base, kind: 'rename', from: have, to: want });
    }

    const wantFields = fieldsOf(adUser);
    const before: Record<string, string> = {};
    const after: Record<string, string> = {};
    for (const field of FIELD_NAMES) {
      const current = user[field] ?? '';
      if (current === wantFields[field]) continue;
      if (current !== m.applied[field] && wantFields[field] === m.applied[field]) {
        drift.push({ ...base, kind: 'fields', detail: `${field} changed in Duo to ${JSON.stringify(current)}`, policy: policy.drift.fields });
        if (policy.drift.fields === 'report') continue;
      }
      before[field] = current;
      after[field] = wantFields[field];
    }
    if (Object.keys(after).length > 0) actions.push({ ...base, kind: 'update', before, after });

    const wantGroups = new Set(adUser.groups.map(nameKey).filter((g) => mapped.has(g) && !policy.protectGroups.has(g)));
    const haveGroups = new Set(user.groups.map((g) => nameKey(g.name)).filter((g) => mapped.has(g) && !policy.protectGroups.has(g)));
    const appliedGroups = new Set(m.applied.groups);
    for (const group of wantGroups) if (!haveGroups.has(group)) actions.push({ ...base, kind: 'add_membership', group: groupName(policy, group) });
    for (const group of haveGroups) {
      if (wantGroups.has(group)) continue;
      if (!appliedGroups.has(group)) {
        drift.push({ ...base, kind: 'groups', detail: `added to ${groupName(policy, group)} in Duo, not in that group in AD`, policy: policy.drift.groups });
        if (policy.drift.groups === 'report') continue;
      }
      actions.push({ ...base, kind: 'remove_membership', group: groupName(policy, group) });
    }
  };

  // Managed users: reconciled, or deprovisioned when AD no longer has them.
  for (const [guid, m] of Object.entries(state.users)) {
    const user = duo.users.get(m.user_id);
    if (user === undefined) {
      gone.push({ guid, user_id: m.user_id, username: m.applied.username });
      continue;
    }
    manage(guid, user, m);
  }

  // AD users whose values validate refuses: never created, updated or renamed with them.
  for (const r of context.adRead.rejected ?? []) conflicts.push({ guid: r.guid, username: r.username, reason: `AD holds a value Duo must not get: ${r.reason}` });

  // AD users nobody manages yet: created, adopted, or a conflict to resolve.
  for (const adUser of ad.values()) {
    if (state.users[adUser.guid] !== undefined) continue;
    const names = [adUser.username, ...adUser.aliases];
    if (isProtected(names)) {
      untouched.push({ guid: adUser.guid, username: adUser.username, reason: 'protected by the config' });
      continue;
    }
    if (names.some((n) => sharedNames().has(nameKey(n)))) {
      conflicts.push({ guid: adUser.guid, username: adUser.username, reason: `another AD user has one of its names (${names.join(', ')}): fix AD or the mapping` });
      continue;
    }
    const holders = new Set(names.flatMap((n) => byName().get(nameKey(n)) ?? []));
    if (holders.size === 0) {
      if (adUser.enabled) {
        actions.push({ kind: 'create', guid: adUser.guid, username: adUser.username, user_id: null, names: namesFor(adUser), fields: fieldsOf(adUser), groups: adUser.groups.filter((g) => mapped.has(nameKey(g))) });
      }
      continue;
    }
    const [holderId] = holders;
    const holder = duo.users.get(holderId!)!;
    if (holders.size > 1) {
      conflicts.push({ guid: adUser.guid, username: adUser.username, reason: `its names belong to ${holders.size} different Duo users` });
    } else if (managedIds().has(holder.user_id)) {
      conflicts.push({ guid: adUser.guid, username: adUser.username, reason: `Duo user ${holder.username} is already synced with another AD user (${managedIds().get(holder.user_id)})` });
    } else if (holder.last_directory_sync != null && !policy.syncDeleted) {
      conflicts.push({ guid: adUser.guid, username: adUser.username, reason: `Duo user ${holder.username} is managed by a Duo directory sync (last_directory_sync is set)` });
    } else if (!policy.adopt) {
      conflicts.push({ guid: adUser.guid, username: adUser.username, reason: `Duo user ${holder.username} already exists and is not managed by this sync: review it and take it over with "sync --adopt"` });
    } else {
      actions.push({ kind: 'adopt', guid: adUser.guid, username: holder.username, user_id: holder.user_id, how: `by name (${names.filter((n) => byName().get(nameKey(n)) === holder.user_id).join(', ')})` });
      managedIds().set(holder.user_id, adUser.guid);
      manage(adUser.guid, holder, { applied: appliedFrom(holder, mapped) });
    }
  }

  const held = safeguards(context, actions, managed);
  const heldSet = new Set(held.actions);
  const toApply = actions.filter((a) => !heldSet.has(a));
  const basis: Record<string, string> = {};
  for (const action of actions) basis[action.guid] = fingerprint(ad.get(action.guid), action.user_id === null ? undefined : duo.users.get(action.user_id));
  const stateSha = stateFingerprint(state);
  const madeAt = now.toISOString();
  const planId = sha256(JSON.stringify([madeAt, stateSha, actions])).slice(0, 12);
  return {
    plan_id: planId,
    approve_id: held.actions.length === 0 ? null : state.blocked !== null && held.approved === null ? state.blocked.plan_id : planId,
    made_at: madeAt,
    host: state.host,
    source: context.adRead.identity,
    ad_users: ad.size,
    ad_unusable: context.adRead.unusable,
    duo_users: duo.users.size,
    managed,
    actions: toApply,
    held: held.actions,
    hold_reasons: held.reasons,
    conflicts,
    drift,
    gone,
    untouched,
    basis,
    state_sha256: stateSha,
    approved: held.approved,
    source_trusted: held.trusted,
  };
}

/** The state a plan was made against, without the run history that every run appends to. */
export function stateFingerprint(state: SyncState): string {
  return stateDigest(state, ['runs', 'last_journal']);
}

/**
 * Decided on the whole plan before any write. Destructive actions are held when the source looks
 * wrong (an incomplete or empty read, a shrink, another source, no state), when a kind passes its
 * threshold, or while an earlier hold is not approved. An approval releases exactly the actions
 * the approved plan held (unless this read is incomplete); a --max-* override raises one kind's
 * threshold for this run and lets that kind through an earlier hold.
 */
function safeguards(context: PlanContext, actions: readonly SyncAction[], managed: number): { actions: SyncAction[]; reasons: string[]; approved: string | null; trusted: boolean } {
  const { state, policy, adRead, duo, ad } = context;
  const destructive = actions.filter((a) => thresholdKindOf(a) !== null);

  const readProblems: string[] = [...adRead.problems.map((p) => `the AD read is incomplete: ${p}`)];
  if (duo.total !== null && duo.total !== duo.users.size) readProblems.push(`Duo's listing returned ${duo.users.size} users but says it holds ${duo.total}`);
  const sourceProblems: string[] = [...adRead.doubts];
  if (ad.size === 0) sourceProblems.push('AD returned no users');
  if (state.ad_users !== null && state.ad_users > 0 && ad.size < state.ad_users * (1 - policy.maxShrinkPercent / 100)) {
    sourceProblems.push(`AD returned ${ad.size} users, ${Math.round(100 - (100 * ad.size) / state.ad_users)}% fewer than the last run's ${state.ad_users} (max-shrink-percent ${policy.maxShrinkPercent})`);
  }
  if (state.source !== null && !sameSource(state.source, adRead.identity)) {
    sourceProblems.push(`the source differs from the last run's (${describeSource(state.source)} → ${describeSource(adRead.identity)})`);
  }
  if (context.firstRun) sourceProblems.push('no sync state yet (a first run, or the state was lost): nothing is taken away until approved');
  const trusted = readProblems.length === 0 && sourceProblems.length === 0;
  if (destructive.length === 0) return { actions: [], reasons: [], approved: null, trusted };

  const approvedKeys = new Set<string>();
  let approved: string | null = null;
  if (context.approve !== undefined && state.blocked !== null && state.blocked.plan_id === context.approve) {
    approved = context.approve;
    for (const h of state.blocked.held) approvedKeys.add(heldKey(h));
  }
  const heldActions = new Set<SyncAction>();
  const reasons: string[] = [];
  const hold = (list: readonly SyncAction[], reason: string): void => {
    if (list.length === 0) return;
    for (const a of list) heldActions.add(a);
    reasons.push(reason);
  };
  const isApproved = (a: SyncAction): boolean => approvedKeys.has(heldKey(heldActionOf(a)));

  if (readProblems.length > 0) {
    hold(destructive, readProblems.join('; '));
    return { actions: [...heldActions], reasons, approved: null, trusted };
  }

  const open = destructive.filter((a) => !isApproved(a));
  if (sourceProblems.length > 0) hold(open, sourceProblems.join('; '));
  for (const kind of THRESHOLD_KINDS) {
    const ofKind = open.filter((a) => thresholdKindOf(a) === kind);
    if (ofKind.length === 0) continue;
    const override = context.overrides?.[kind];
    const { count, percent } = policy.thresholds[kind];
    const share = managed === 0 ? 100 : (100 * ofKind.length) / managed;
    const breach = override !== undefined ? ofKind.length > override : ofKind.length > count && share > percent;
    if (breach) {
      hold(ofKind, override !== undefined
        ? `${ofKind.length} ${PLURAL[kind]} is more than --max-${FLAG[kind]} ${override}`
        : `${ofKind.length} ${PLURAL[kind]} (${share.toFixed(1)}% of ${managed} managed users) is more than ${count} and ${percent}%`);
    } else if (state.blocked !== null && override === undefined && approved === null) {
      hold(ofKind, `an earlier run's hold (plan ${state.blocked.plan_id}) is not approved: run "sync --apply --approve ${state.blocked.plan_id}"`);
    }
  }
  return { actions: [...heldActions], reasons: [...new Set(reasons)], approved, trusted };
}

const PLURAL: Record<ThresholdKind, string> = { disable: 'disables', trash: 'sends to the Trash', removal: 'membership removals', rename: 'renames' };
export const FLAG: Record<ThresholdKind, string> = { disable: 'disables', trash: 'trashes', removal: 'removals', rename: 'renames' };

export function heldActionOf(action: SyncAction): HeldAction {
  const detail = action.kind === 'remove_membership' ? action.group : action.kind === 'rename' ? describeNames(action.to) : 'reason' in action ? action.reason : '';
  return { kind: action.kind, guid: action.guid, user_id: action.user_id, username: action.username, detail };
}

function heldKey(h: HeldAction): string {
  return JSON.stringify([h.kind, h.guid, h.kind === 'remove_membership' || h.kind === 'rename' ? nameKey(h.detail) : '']);
}

export const FIELD_NAMES = ['realname', 'firstname', 'lastname', 'email'] as const;

function fieldsOf(user: AdUser): UserFields {
  return { realname: user.realname, firstname: user.firstname, lastname: user.lastname, email: user.email };
}

/** AD's names as Duo slots: alias1.. in the mapping's order. */
export function namesFor(user: AdUser): JournalNames {
  return { username: user.username, aliases: Object.fromEntries(user.aliases.map((a, i) => [`alias${i + 1}`, a])) };
}

function tenantNames(user: TenantUser): JournalNames {
  return { username: user.username, aliases: { ...user.aliases } };
}

function allNamesOf(names: JournalNames): string[] {
  return [names.username, ...Object.values(names.aliases)];
}

function allNames(user: TenantUser): string[] {
  return [user.username, ...Object.values(user.aliases)];
}


function describeNames(names: JournalNames): string {
  const aliases = Object.values(names.aliases);
  return aliases.length === 0 ? names.username : `${names.username} (aliases ${aliases.join(', ')})`;
}

/** What a just-adopted user is taken to have had applied: its values in Duo now. */
export function appliedFrom(user: TenantUser, mapped: ReadonlySet<string>): AppliedValues {
  return {
    username: user.username, aliases: { ...user.aliases }, realname: user.realname ?? '', firstname: user.firstname ?? '', lastname: user.lastname ?? '',
    email: user.email ?? '', status: user.status, groups: user.groups.map((g) => nameKey(g.name)).filter((g) => mapped.has(g)).sort(),
  };
}

function groupName(policy: SyncPolicy, key: string): string {
  return policy.mappedGroups.find((g) => nameKey(g) === key) ?? key;
}

function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

function duoNameIndex(users: ReadonlyMap<string, TenantUser>): Map<string, string> {
  const index = new Map<string, string>();
  for (const user of users.values()) for (const name of allNames(user)) index.set(nameKey(name), user.user_id);
  return index;
}

/** The AD names two or more AD users share (name key → their guids); a name of one user only is not kept. */
function sharedAdNames(ad: ReadonlyMap<string, AdUser>): Map<string, string[]> {
  const owner = new Map<string, string>();
  const shared = new Map<string, string[]>();
  for (const user of ad.values()) {
    for (const name of [user.username, ...user.aliases]) {
      const key = nameKey(name);
      const first = owner.get(key);
      if (first === undefined) owner.set(key, user.guid);
      else if (first !== user.guid) {
        const list = shared.get(key) ?? [first];
        if (!list.includes(user.guid)) list.push(user.guid);
        shared.set(key, list);
      }
    }
  }
  return shared;
}

function sameSource(a: SourceIdentity, b: SourceIdentity): boolean {
  return a.domain === b.domain && a.base.toLowerCase() === b.base.toLowerCase() && a.filter === b.filter;
}

function describeSource(s: SourceIdentity): string {
  return `${s.domain || '(no domain)'}${s.base ? ` base ${s.base}` : ''} filter ${s.filter}`;
}

/** What an AD user and its Duo user looked like when a plan was made. */
export function fingerprint(adUser: AdUser | undefined, duoUser: TenantUser | undefined): string {
  const duo = duoUser === undefined ? null : [duoUser.username, duoUser.aliases, duoUser.realname, duoUser.firstname, duoUser.lastname, duoUser.email, duoUser.status,
    duoUser.last_directory_sync, duoUser.groups.map((g) => nameKey(g.name)).sort()];
  return sha256(JSON.stringify([adUser ?? null, duo])).slice(0, 16);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
