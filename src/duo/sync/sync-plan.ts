import { createHash } from 'node:crypto';

import { nameKey } from '../../names.js';



import { append, describeUser, matchPerson, TenantIndex } from '../plan/match-person.js';

import type { TenantUser } from '../tenant/tenant.js';

import { decideHolds } from './safeguards.js';

import { describeNames, type AdUser, type Conflict, type Drift, type PlanContext, type SyncAction, type SyncPlan, type SyncPolicy, type UserFields } from './sync-model.js';

import { stateDigest, type AppliedValues, type ManagedUser, type SyncState } from './sync-state.js';
import { allNames, type DuoNames, namesOf, sameNames, slotted } from '../tenant/duo-names.js';
import { TRASHED } from '../api/users-api.js';


export * from './sync-model.js';
export { FLAG } from './safeguards.js';

const DAY_MS = 86_400_000;

type Ladder = Pick<ManagedUser, 'applied' | 'missing_since' | 'disabled_by_sync' | 'trashed_by_sync'>;

/** What becomes of an AD user nobody manages yet. */
type Newcomer =
  | { readonly kind: 'create' | 'none' }
  | { readonly kind: 'untouched' | 'conflict'; readonly reason: string }
  | { readonly kind: 'adopt'; readonly user: TenantUser; readonly how: string }
  | { readonly kind: 'reanchor'; readonly user: TenantUser; readonly from: string; readonly how: string };

/**
 * The whole sync, decided before the first write: what to create, change, take away and hold.
 * Pure: AD's users, Duo's users, the state and the policy in; the plan out. Who an AD user is in
 * Duo is decided by the same matcher as plan and import (names, email, objectGUID as external_id):
 * a Duo user that is this person by any evidence is adopted, re-anchored or a conflict, never a
 * second account.
 */
export function planSync(context: PlanContext): SyncPlan {
  const { ad, adRead, duo, state, policy, now } = context;
  const actions: SyncAction[] = [];
  const conflicts: Conflict[] = [];
  const drift: Drift[] = [];
  const gone: SyncPlan['gone'][number][] = [];
  const untouched: SyncPlan['untouched'][number][] = [];
  const notices: string[] = [];
  const synced = duo.syncedGroups ?? new Set<string>();
  for (const g of policy.mappedGroups) {
    if (synced.has(nameKey(g))) notices.push(`Duo group "${g}" is managed by a Duo directory sync, whose next sync would undo any change: duo-bridge never changes its memberships (map another group)`);
  }
  const mapped = new Set(policy.mappedGroups.map(nameKey).filter((g) => !synced.has(g)));
  // Built on first use: a run where nothing is new or renamed (the scheduled run, most days) never pays for them.
  const index = lazy(() => new TenantIndex(duo.users.values()));
  const sharedNames = lazy(() => sharedAdNames(ad));
  const managedIds = lazy(() => new Map(Object.entries(state.users).map(([guid, m]) => [m.user_id, guid])));
  const isProtected = (names: readonly string[]): boolean => names.some((n) => policy.protectUsers.has(nameKey(n)));
  const rejected = new Set((adRead.rejected ?? []).map((r) => r.guid));
  const inAd = (guid: string): boolean => ad.has(guid) || adRead.unnamed?.has(guid) === true || rejected.has(guid);
  const duoComplete = (duo.total === null || duo.total === duo.users.size) && duo.problem === undefined;
  const readComplete = adRead.problems.length === 0 && duoComplete;

  let managed = 0;
  const manage = (guid: string, user: TenantUser, m: Ladder): void => {
    managed++;
    const adUser = ad.get(guid);
    if (isProtected(allNames(namesOf(user))) || (adUser && isProtected([adUser.username, ...adUser.aliases]))) {
      untouched.push({ guid, username: user.username, reason: 'protected by the config' });
      return;
    }
    if (user.last_directory_sync != null && !policy.syncDeleted) {
      untouched.push({ guid, username: user.username, reason: 'a Duo directory sync manages it (last_directory_sync is set)' });
      return;
    }
    const base = { guid, username: user.username, user_id: user.user_id };
    if (adUser === undefined && inAd(guid) && adRead.disabledUnnamed?.has(guid) && user.status !== 'disabled' && user.status !== TRASHED) {
      actions.push({ ...base, kind: 'disable', reason: 'disabled in AD (its values can\'t be synced, but disabling needs none)', status: user.status });
      return;
    }
    if (adUser === undefined && rejected.has(guid)) return; // a conflict (below): left as it is in Duo
    if (adUser === undefined && inAd(guid)) {
      untouched.push({ guid, username: user.username, reason: 'in AD without a usable value in the username attribute: left as it is' });
      return;
    }
    if (adUser === undefined) return deprovision(base, user, m);
    reconcile(base, adUser, user, m);
  };

  const deprovision = (base: { guid: string; username: string; user_id: string }, user: TenantUser, m: Ladder): void => {
    if (user.status === TRASHED) return;
    if (user.status !== 'disabled') {
      // The sync had disabled it (or adopted it disabled) and someone enabled it since: theirs to explain.
      if (m.applied.status === 'disabled') {
        drift.push({ ...base, kind: 'status', detail: `left AD and was disabled, but is ${user.status} in Duo now`, policy: policy.drift.status });
        if (policy.drift.status === 'report') return;
      }
      actions.push({ ...base, kind: 'disable', reason: 'not in AD', status: user.status });
      return;
    }
    const recorded = Date.parse(m.missing_since ?? '');
    const since = Number.isNaN(recorded) ? now.getTime() : recorded;
    const days = (now.getTime() - since) / DAY_MS;
    if (days >= policy.trashAfterDays) actions.push({ ...base, kind: 'trash', reason: `not in AD for ${Math.floor(days)} days (trash-after-days ${policy.trashAfterDays})` });
  };

  const reconcile = (base: { guid: string; username: string; user_id: string }, adUser: AdUser, user: TenantUser, m: Ladder): void => {
    let status = user.status;
    if (status === TRASHED) {
      if (!adUser.enabled) return;
      if (m.trashed_by_sync === undefined) {
        drift.push({ ...base, kind: 'status', detail: 'is in AD and enabled, but someone sent it to the Trash in Duo', policy: policy.drift.status });
        if (policy.drift.status === 'report') return;
      }
      actions.push({ ...base, kind: 'restore' });
      // Duo may bring a restored user back active (an assumption the read-back settles): the sync
      // lifts only its own disable (enabled below); someone else's disable is put back at once.
      if (m.disabled_by_sync === undefined) actions.push({ ...base, kind: 'disable', reason: 'restored from the Trash: it was disabled by someone else before, and stays so', status: 'active' });
      status = 'disabled';
    }
    if (!adUser.enabled && status !== 'disabled') {
      if (m.applied.status === 'disabled') {
        drift.push({ ...base, kind: 'status', detail: `disabled in AD, but ${status} in Duo: someone changed it there`, policy: policy.drift.status });
        if (policy.drift.status === 'ad-wins') actions.push({ ...base, kind: 'disable', reason: 'disabled in AD', status });
      } else actions.push({ ...base, kind: 'disable', reason: 'disabled in AD', status });
    }
    if (adUser.enabled && status === 'disabled') {
      // Only the disable the sync itself set is its to lift: an admin's disable stands whatever the drift policy.
      if (m.disabled_by_sync !== undefined) actions.push({ ...base, kind: 'enable', reason: 'enabled in AD again', status });
      else drift.push({ ...base, kind: 'status', detail: 'enabled in AD, but disabled in Duo by someone else (a sync never enables a user it did not disable)', policy: 'report' });
    }

    // Names: AD's username attribute (or an alias attribute) changed, or someone renamed the user in Duo.
    const want = namesFor(adUser);
    const have = namesOf(user);
    if (!sameNames(want, have)) {
      const applied = { username: m.applied.username, aliases: { ...m.applied.aliases } };
      const changedInDuo = !sameNames(have, applied);
      const adChanged = !sameNames(want, applied);
      const taken = allNames(want).find((n) => {
        const holder = index().byName.get(nameKey(n));
        return holder !== undefined && holder.user_id !== user.user_id && !managedIds().has(holder.user_id);
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
      if (field === 'email' && wantFields.email !== '' && nameKey(current) !== nameKey(wantFields.email)) {
        const other = [...(index().byEmail.get(nameKey(wantFields.email)) ?? []), index().byName.get(nameKey(wantFields.email))].find((u) => u !== undefined && u.user_id !== user.user_id);
        if (other !== undefined) {
          conflicts.push({ guid: base.guid, username: user.username, reason: `AD gives it the email ${wantFields.email}, which Duo user ${describeUser(other)} has: two Duo users with one email would be one person` });
          continue;
        }
      }
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
        drift.push({ ...base, kind: 'groups', detail: `in ${groupName(policy, group)} in Duo, not in that group in AD`, policy: policy.drift.groups });
        if (policy.drift.groups === 'report') continue;
      }
      actions.push({ ...base, kind: 'remove_membership', group: groupName(policy, group) });
    }
  };

  // AD users whose values validate refuses: never created, updated or renamed with them.
  for (const r of adRead.rejected ?? []) conflicts.push({ guid: r.guid, username: r.username, reason: `AD holds a value Duo must not get: ${r.reason}` });

  // AD users nobody manages yet, decided first: a re-anchored Duo user is reconciled as its new AD self.
  const newcomers = new Map<AdUser, Newcomer>();
  const takenBy = new Map<string, AdUser[]>();
  // A protected account is never created: it shares nothing in Duo.
  const sharedEmails = lazy(() => sharedAdEmails([...ad.values()].filter((u) => !isProtected([u.username, ...u.aliases]))));
  for (const adUser of ad.values()) {
    if (state.users[adUser.guid] !== undefined) continue;
    const decision = decideNewcomer(adUser);
    newcomers.set(adUser, decision);
    if (decision.kind === 'adopt' || decision.kind === 'reanchor') takenBy.set(decision.user.user_id, [...(takenBy.get(decision.user.user_id) ?? []), adUser]);
  }
  for (const [userId, takers] of takenBy) {
    if (takers.length < 2) continue;
    const user = duo.users.get(userId)!;
    for (const adUser of takers) newcomers.set(adUser, { kind: 'conflict', reason: `${takers.length} AD users match Duo user ${describeUser(user)}: ${takers.map((c) => c.username).join(', ')}` });
  }
  const reanchored = new Set([...newcomers.values()].flatMap((n) => (n.kind === 'reanchor' ? [n.from] : [])));

  function decideNewcomer(adUser: AdUser): Newcomer {
    const names = [adUser.username, ...adUser.aliases];
    if (isProtected(names)) return { kind: 'untouched', reason: 'protected by the config' };
    if (names.some((n) => sharedNames().has(nameKey(n)))) return { kind: 'conflict', reason: `another AD user has one of its names (${names.join(', ')}): fix AD or the mapping` };
    const sharing = adUser.email === '' ? undefined : sharedEmails().get(nameKey(adUser.email));
    if (sharing !== undefined) {
      return { kind: 'conflict', reason: `${sharing.filter((n) => n !== adUser.username).join(', ')} in AD has the same email ${adUser.email}: ` +
        'Duo would take the two for one person (give each its own email in AD, or protect-user one of them)' };
    }
    const match = matchPerson({ username: adUser.username, aliases: adUser.aliases, email: adUser.email, guid: adUser.guid }, index());
    if (match.conflict !== null) return { kind: 'conflict', reason: match.conflict };
    if (match.user === null) return { kind: adUser.enabled ? 'create' : 'none' };
    const holder = match.user;
    // Found by its email or objectGUID while another Duo user holds its username: which one is this
    // person is the admin's call (plan and migrate settle it with a rename chain; sync never guesses).
    const named = index().withUsername(adUser.username);
    if (match.how === 'evidence' && named !== null && named.user_id !== holder.user_id) {
      return { kind: 'conflict', reason: `Duo user ${describeUser(holder)} is this person (${match.evidence}), but Duo user ${describeUser(named)} holds its username` };
    }
    const owner = managedIds().get(holder.user_id);
    if (owner !== undefined) {
      if (inAd(owner)) return { kind: 'conflict', reason: `Duo user ${describeUser(holder)} (${match.evidence}) is already synced with another AD user (${owner})` };
      if (!policy.adopt) {
        return { kind: 'conflict', reason: `Duo user ${describeUser(holder)} (${match.evidence}) is synced with AD user ${owner}, which is no longer in AD: ` +
          'if this is the same person\'s re-created account, run "sync --adopt" to re-anchor it' };
      }
      // A re-created account is the same person: a new hire given a leaver's freed sAMAccountName is not.
      if (match.how === 'username' && adUser.email !== '' && (holder.email ?? '') !== '' && nameKey(adUser.email) !== nameKey(holder.email ?? '')) {
        return { kind: 'conflict', reason: `Duo user ${describeUser(holder)} has its username, but was AD user ${owner} with another email (${holder.email}): ` +
          'a new person given a freed name is not re-anchored to the old account (free the name in Duo, or give the AD account the old email if it is the same person)' };
      }
      return { kind: 'reanchor', user: holder, from: owner, how: match.evidence };
    }
    if (holder.last_directory_sync != null && !policy.syncDeleted) return { kind: 'conflict', reason: `Duo user ${describeUser(holder)} (${match.evidence}) is managed by a Duo directory sync (last_directory_sync is set)` };
    if (!policy.adopt) return { kind: 'conflict', reason: `Duo user ${describeUser(holder)} (${match.evidence}) already exists and is not managed by this sync: review it and take it over with "sync --adopt"` };
    return { kind: 'adopt', user: holder, how: match.evidence };
  }

  // Managed users: reconciled, or deprovisioned when AD no longer has them.
  for (const [guid, m] of Object.entries(state.users)) {
    if (reanchored.has(guid)) continue;
    const user = duo.users.get(m.user_id);
    if (user !== undefined) manage(guid, user, m);
    // Forgetting an owned user is destructive: only a complete read of both sides may.
    else if (readComplete) gone.push({ guid, user_id: m.user_id, username: m.applied.username });
    else untouched.push({ guid, username: m.applied.username, reason: 'not in an incomplete read: kept as managed' });
  }

  for (const [adUser, decision] of newcomers) {
    const base = { guid: adUser.guid, username: adUser.username };
    switch (decision.kind) {
      case 'none':
        break;
      case 'untouched':
        untouched.push({ ...base, reason: decision.reason });
        break;
      case 'conflict':
        conflicts.push({ ...base, reason: decision.reason });
        break;
      case 'create':
        actions.push({ kind: 'create', ...base, user_id: null, names: namesFor(adUser), fields: fieldsOf(adUser), groups: adUser.groups.filter((g) => mapped.has(nameKey(g))) });
        break;
      case 'adopt':
        actions.push({ kind: 'adopt', guid: adUser.guid, username: decision.user.username, user_id: decision.user.user_id, how: decision.how });
        manage(adUser.guid, decision.user, { applied: adoptedValues(decision.user, adUser, mapped) });
        break;
      case 'reanchor': {
        actions.push({ kind: 'reanchor', guid: adUser.guid, username: decision.user.username, user_id: decision.user.user_id, from_guid: decision.from, how: decision.how });
        const { missing_since: _left, ...kept } = state.users[decision.from]!;
        manage(adUser.guid, decision.user, kept);
        break;
      }
    }
  }

  const holds = decideHolds(context, actions, managed);
  const heldSet = new Set(holds.held);
  const toApply = releaseNames(actions.filter((a) => !heldSet.has(a)), index, conflicts);
  const basis: Record<string, string> = {};
  for (const action of actions) basis[action.guid] = fingerprint(ad.get(action.guid), action.user_id === null ? undefined : duo.users.get(action.user_id));
  const stateSha = stateFingerprint(state);
  const madeAt = now.toISOString();
  return {
    plan_id: sha256(JSON.stringify([madeAt, stateSha, toApply, holds.held])).slice(0, 12),
    approve_id: holds.approveId,
    made_at: madeAt,
    host: state.host,
    source: adRead.identity,
    ad_users: ad.size,
    ad_unusable: adRead.unusable,
    duo_users: duo.users.size,
    managed,
    actions: toApply,
    held: holds.held,
    hold_reasons: holds.reasons,
    conflicts,
    drift,
    gone,
    untouched,
    notices: [...(context.notes ?? []), ...holds.notices, ...notices],
    basis,
    state_sha256: stateSha,
    approved: holds.approved,
    read_complete: holds.readComplete,
    source_trusted: holds.trusted,
    baseline: holds.baseline,
  };
}

/**
 * A rename may take a name another Duo user holds only when that user is itself renamed away from
 * it in this run (a swap, a chain): one whose rename is held, or that keeps the name, blocks it,
 * and it waits as a conflict rather than leave a user parked on a temporary name.
 */
function releaseNames(actions: SyncAction[], index: () => TenantIndex, conflicts: Conflict[]): SyncAction[] {
  let kept = actions;
  for (let changed = true; changed; ) {
    changed = false;
    const moving = new Map<string, Set<string>>();
    for (const a of kept) if (a.kind === 'rename') moving.set(a.user_id, new Set(allNames(a.to).map(nameKey)));
    for (const a of kept) {
      if (a.kind !== 'rename') continue;
      const blocked = allNames(a.to).find((n) => {
        const holder = index().byName.get(nameKey(n));
        if (holder === undefined || holder.user_id === a.user_id) return false;
        const keeps = moving.get(holder.user_id);
        return keeps === undefined || keeps.has(nameKey(n));
      });
      if (blocked === undefined) continue;
      const holder = index().byName.get(nameKey(blocked))!;
      conflicts.push({ guid: a.guid, username: a.username, reason: `AD names it ${describeNames(a.to)}, but "${blocked}" is still held by Duo user ${describeUser(holder)}, which this run does not rename away from it` });
      kept = kept.filter((k) => k !== a);
      changed = true;
      break;
    }
  }
  return kept;
}

/** The state a plan was made against, without the run history that every run appends to. */
export function stateFingerprint(state: SyncState): string {
  return stateDigest(state, ['runs', 'last_journal']);
}

export const FIELD_NAMES = ['realname', 'firstname', 'lastname', 'email'] as const;

function fieldsOf(user: AdUser): UserFields {
  return { realname: user.realname, firstname: user.firstname, lastname: user.lastname, email: user.email };
}

/** AD's names as Duo slots: alias1.. in the mapping's order. */
export function namesFor(user: AdUser): DuoNames {
  return { username: user.username, aliases: slotted(user.aliases) };
}



/**
 * What a just-adopted user is taken to have had applied: its values in Duo now, which is what
 * drift is measured from. Its memberships are recorded as found, not as added: only those AD also
 * wants count as the sync's, so one an admin added by hand stays drift (and `--drift-groups report` keeps it).
 */
export function adoptedValues(user: TenantUser, adUser: AdUser | undefined, mapped: ReadonlySet<string>): AppliedValues {
  const wanted = new Set(adUser?.groups.map(nameKey) ?? []);
  return {
    username: user.username, aliases: { ...user.aliases }, realname: user.realname ?? '', firstname: user.firstname ?? '', lastname: user.lastname ?? '',
    email: user.email ?? '', status: user.status, groups: user.groups.map((g) => nameKey(g.name)).filter((g) => mapped.has(g) && wanted.has(g)).sort(),
  };
}

function groupName(policy: SyncPolicy, key: string): string {
  return policy.mappedGroups.find((g) => nameKey(g) === key) ?? key;
}

function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}


/** The AD names two or more AD users share (name key → their guids); a name of one user only is not kept. */
/** The emails two or more AD users share (email key → their usernames); an email of one user only is not kept. */
function sharedAdEmails(ad: readonly AdUser[]): Map<string, string[]> {
  const holders = new Map<string, string[]>();
  for (const user of ad) if (user.email !== '') append(holders, nameKey(user.email), user.username);
  for (const [key, names] of holders) if (names.length < 2) holders.delete(key);
  return holders;
}

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


/** What an AD user and its Duo user looked like when a plan was made. */
export function fingerprint(adUser: AdUser | undefined, duoUser: TenantUser | undefined): string {
  const duo = duoUser === undefined ? null : [duoUser.username, duoUser.aliases, duoUser.realname, duoUser.firstname, duoUser.lastname, duoUser.email, duoUser.status,
    duoUser.last_directory_sync, duoUser.groups.map((g) => nameKey(g.name)).sort()];
  return sha256(JSON.stringify([adUser ?? null, duo])).slice(0, 16);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
