import { nameKey } from '../../names.js';
import { TRASHED } from '../api/users-api.js';
import { describeUser } from '../plan/match-person.js';
import { allNames, namesOf, sameNames } from '../tenant/duo-names.js';
import type { TenantUser } from '../tenant/tenant.js';
import { FIELD_NAMES, fieldsOf, groupName, namesFor } from './ad-values.js';
import { adNames, inAd, isProtected, type Base, type Ladder, type PlanScope } from './plan-scope.js';
import { describeNames, type AdUser } from './sync-model.js';

const DAY_MS = 86_400_000;

/** A managed user (or one adopted or re-anchored this run): left alone, deprovisioned, or brought in line with AD. */
export function manage(scope: PlanScope, guid: string, user: TenantUser, m: Ladder): void {
  const { ad, adRead, policy } = scope.context;
  const { actions, untouched } = scope.out;
  scope.managed++;
  const adUser = ad.get(guid);
  if (isProtected(scope, allNames(namesOf(user))) || (adUser && isProtected(scope, adNames(adUser)))) {
    untouched.push({ guid, username: user.username, reason: 'protected by the config' });
    return;
  }
  if (user.last_directory_sync != null && !policy.syncDeleted) {
    untouched.push({ guid, username: user.username, reason: 'a Duo directory sync manages it (last_directory_sync is set)' });
    return;
  }
  const base: Base = { guid, username: user.username, user_id: user.user_id };
  if (adUser === undefined && inAd(scope, guid) && adRead.disabledUnnamed?.has(guid) && user.status !== 'disabled' && user.status !== TRASHED) {
    actions.push({ ...base, kind: 'disable', reason: 'disabled in AD (its values can\'t be synced, but disabling needs none)', status: user.status });
    return;
  }
  if (adUser === undefined && scope.rejected.has(guid)) return; // a conflict (planSync): left as it is in Duo
  if (adUser === undefined && inAd(scope, guid)) {
    untouched.push({ guid, username: user.username, reason: 'in AD without a usable value in the username attribute: left as it is' });
    return;
  }
  if (adUser === undefined) return deprovision(scope, base, user, m);
  const status = reconcileStatus(scope, base, adUser, user, m);
  if (status === null) return;
  reconcileNames(scope, base, adUser, user, m);
  reconcileFields(scope, base, adUser, user, m);
  reconcileGroups(scope, base, adUser, user, m);
}

/** A leaver: disabled first, sent to the Trash after trash-after-days. */
function deprovision(scope: PlanScope, base: Base, user: TenantUser, m: Ladder): void {
  const { policy, now } = scope.context;
  if (user.status === TRASHED) return;
  if (user.status !== 'disabled') {
    // The sync had disabled it (or adopted it disabled) and someone enabled it since: theirs to explain.
    if (m.applied.status === 'disabled') {
      scope.out.drift.push({ ...base, kind: 'status', detail: `left AD and was disabled, but is ${user.status} in Duo now`, policy: policy.drift.status });
      if (policy.drift.status === 'report') return;
    }
    scope.out.actions.push({ ...base, kind: 'disable', reason: 'not in AD', status: user.status });
    return;
  }
  const recorded = Date.parse(m.missing_since ?? '');
  const since = Number.isNaN(recorded) ? now.getTime() : recorded;
  const days = (now.getTime() - since) / DAY_MS;
  if (days >= policy.trashAfterDays) scope.out.actions.push({ ...base, kind: 'trash', reason: `not in AD for ${Math.floor(days)} days (trash-after-days ${policy.trashAfterDays})` });
}

/**
 * Restores, disables and enables as AD's state says. Returns the status the user will have, or
 * null when it stays in the Trash (nothing else to reconcile).
 */
function reconcileStatus(scope: PlanScope, base: Base, adUser: AdUser, user: TenantUser, m: Ladder): string | null {
  const { policy } = scope.context;
  const { actions, drift } = scope.out;
  let status = user.status;
  if (status === TRASHED) {
    if (!adUser.enabled) return null;
    if (m.trashed_by_sync === undefined) {
      drift.push({ ...base, kind: 'status', detail: 'is in AD and enabled, but someone sent it to the Trash in Duo', policy: policy.drift.status });
      if (policy.drift.status === 'report') return null;
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
  return status;
}

/** Names: AD's username attribute (or an alias attribute) changed, or someone renamed the user in Duo. */
function reconcileNames(scope: PlanScope, base: Base, adUser: AdUser, user: TenantUser, m: Ladder): void {
  const { policy } = scope.context;
  const want = namesFor(adUser);
  const have = namesOf(user);
  if (sameNames(want, have)) return;
  const applied = { username: m.applied.username, aliases: { ...m.applied.aliases } };
  const changedInDuo = !sameNames(have, applied);
  const adChanged = !sameNames(want, applied);
  const taken = allNames(want).find((n) => {
    const holder = scope.index().byName.get(nameKey(n));
    return holder !== undefined && holder.user_id !== user.user_id && !scope.managedIds().has(holder.user_id);
  });
  if (changedInDuo && !adChanged) scope.out.drift.push({ ...base, kind: 'names', detail: `renamed in Duo to ${describeNames(have)}`, policy: policy.drift.names });
  if (taken !== undefined) scope.out.conflicts.push({ guid: base.guid, username: user.username, reason: `AD names it ${describeNames(want)}, but "${taken}" belongs to another Duo user` });
  else if (adChanged || policy.drift.names === 'ad-wins') scope.out.actions.push({ ...base, kind: 'rename', from: have, to: want });
}

/** The synced fields; an email another Duo user has is a conflict (two users with one email would be one person). */
function reconcileFields(scope: PlanScope, base: Base, adUser: AdUser, user: TenantUser, m: Ladder): void {
  const { policy } = scope.context;
  const wantFields = fieldsOf(adUser);
  const before: Record<string, string> = {};
  const after: Record<string, string> = {};
  for (const field of FIELD_NAMES) {
    const current = user[field] ?? '';
    if (current === wantFields[field]) continue;
    if (field === 'email' && wantFields.email !== '' && nameKey(current) !== nameKey(wantFields.email)) {
      const index = scope.index();
      const other = [...(index.byEmail.get(nameKey(wantFields.email)) ?? []), index.byName.get(nameKey(wantFields.email))].find((u) => u !== undefined && u.user_id !== user.user_id);
      if (other !== undefined) {
        scope.out.conflicts.push({ guid: base.guid, username: user.username, reason: `AD gives it the email ${wantFields.email}, which Duo user ${describeUser(other)} has: two Duo users with one email would be one person` });
        continue;
      }
    }
    if (current !== m.applied[field] && wantFields[field] === m.applied[field]) {
      scope.out.drift.push({ ...base, kind: 'fields', detail: `${field} changed in Duo to ${JSON.stringify(current)}`, policy: policy.drift.fields });
      if (policy.drift.fields === 'report') continue;
    }
    before[field] = current;
    after[field] = wantFields[field];
  }
  if (Object.keys(after).length > 0) scope.out.actions.push({ ...base, kind: 'update', before, after });
}

/** Memberships of the mapped groups: added as AD has them; one AD lacks removed only when the sync added it (or ad-wins). */
function reconcileGroups(scope: PlanScope, base: Base, adUser: AdUser, user: TenantUser, m: Ladder): void {
  const { policy } = scope.context;
  const synced = (g: string): boolean => scope.mapped.has(g) && !policy.protectGroups.has(g);
  const wantGroups = new Set(adUser.groups.map(nameKey).filter(synced));
  const haveGroups = new Set(user.groups.map((g) => nameKey(g.name)).filter(synced));
  const appliedGroups = new Set(m.applied.groups);
  for (const group of wantGroups) if (!haveGroups.has(group)) scope.out.actions.push({ ...base, kind: 'add_membership', group: groupName(policy, group) });
  for (const group of haveGroups) {
    if (wantGroups.has(group)) continue;
    if (!appliedGroups.has(group)) {
      scope.out.drift.push({ ...base, kind: 'groups', detail: `in ${groupName(policy, group)} in Duo, not in that group in AD`, policy: policy.drift.groups });
      if (policy.drift.groups === 'report') continue;
    }
    scope.out.actions.push({ ...base, kind: 'remove_membership', group: groupName(policy, group) });
  }
}
