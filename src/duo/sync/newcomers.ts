import { nameKey } from '../../names.js';
import { describeUser, matchPerson } from '../plan/match-person.js';
import type { TenantUser } from '../tenant/tenant.js';
import { adoptedValues, fieldsOf, namesFor, sharedAdEmails } from './ad-values.js';
import { adNames, inAd, isProtected, lazy, type PlanScope } from './plan-scope.js';
import { manage } from './reconcile.js';
import type { AdUser } from './sync-model.js';

/** What becomes of an AD user nobody manages yet. */
export type Newcomer =
  | { readonly kind: 'create' | 'none' }
  | { readonly kind: 'untouched' | 'conflict'; readonly reason: string }
  | { readonly kind: 'adopt'; readonly user: TenantUser; readonly how: string }
  | { readonly kind: 'reanchor'; readonly user: TenantUser; readonly from: string; readonly how: string };

/**
 * Every AD user nobody manages yet, decided by the one matcher (match-person.ts): created, adopted,
 * re-anchored (a re-created account of a managed person), a conflict, or left alone. Two AD users
 * that would take one Duo user are both conflicts.
 */
export function decideNewcomers(scope: PlanScope): Map<AdUser, Newcomer> {
  const { ad, state } = scope.context;
  const newcomers = new Map<AdUser, Newcomer>();
  const takenBy = new Map<string, AdUser[]>();
  // A protected account is never created: it shares nothing in Duo.
  const sharedEmails = lazy(() => sharedAdEmails([...ad.values()].filter((u) => !isProtected(scope, adNames(u)))));
  for (const adUser of ad.values()) {
    if (state.users[adUser.guid] !== undefined) continue;
    const decision = decideNewcomer(scope, adUser, sharedEmails);
    newcomers.set(adUser, decision);
    if (decision.kind === 'adopt' || decision.kind === 'reanchor') takenBy.set(decision.user.user_id, [...(takenBy.get(decision.user.user_id) ?? []), adUser]);
  }
  for (const [userId, takers] of takenBy) {
    if (takers.length < 2) continue;
    const user = scope.context.duo.users.get(userId)!;
    for (const adUser of takers) newcomers.set(adUser, { kind: 'conflict', reason: `${takers.length} AD users match Duo user ${describeUser(user)}: ${takers.map((c) => c.username).join(', ')}` });
  }
  return newcomers;
}

function decideNewcomer(scope: PlanScope, adUser: AdUser, sharedEmails: () => ReadonlyMap<string, string[]>): Newcomer {
  const { policy } = scope.context;
  const names = adNames(adUser);
  if (isProtected(scope, names)) return { kind: 'untouched', reason: 'protected by the config' };
  if (names.some((n) => scope.sharedNames().has(nameKey(n)))) return { kind: 'conflict', reason: `another AD user has one of its names (${names.join(', ')}): fix AD or the mapping` };
  const sharing = adUser.email === '' ? undefined : sharedEmails().get(nameKey(adUser.email));
  if (sharing !== undefined) {
    return { kind: 'conflict', reason: `${sharing.filter((n) => n !== adUser.username).join(', ')} in AD has the same email ${adUser.email}: ` +
      'Duo would take the two for one person (give each its own email in AD, or protect-user one of them)' };
  }
  const match = matchPerson({ username: adUser.username, aliases: adUser.aliases, email: adUser.email, guid: adUser.guid }, scope.index());
  if (match.conflict !== null) return { kind: 'conflict', reason: match.conflict };
  if (match.user === null) return { kind: adUser.enabled ? 'create' : 'none' };
  const holder = match.user;
  // Found by its email or objectGUID while another Duo user holds its username: which one is this
  // person is the admin's call (plan and migrate settle it with a rename chain; sync never guesses).
  const named = scope.index().withUsername(adUser.username);
  if (match.how === 'evidence' && named !== null && named.user_id !== holder.user_id) {
    return { kind: 'conflict', reason: `Duo user ${describeUser(holder)} is this person (${match.evidence}), but Duo user ${describeUser(named)} holds its username` };
  }
  const owner = scope.managedIds().get(holder.user_id);
  if (owner !== undefined) {
    if (inAd(scope, owner)) return { kind: 'conflict', reason: `Duo user ${describeUser(holder)} (${match.evidence}) is already synced with another AD user (${owner})` };
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

/** The newcomers' actions: creates, adoptions and re-anchors (reconciled at once as managed users). */
export function placeNewcomers(scope: PlanScope, newcomers: ReadonlyMap<AdUser, Newcomer>): void {
  const { actions, conflicts, untouched } = scope.out;
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
        actions.push({ kind: 'create', ...base, user_id: null, names: namesFor(adUser), fields: fieldsOf(adUser), groups: adUser.groups.filter((g) => scope.mapped.has(nameKey(g))) });
        break;
      case 'adopt':
        actions.push({ kind: 'adopt', guid: adUser.guid, username: decision.user.username, user_id: decision.user.user_id, how: decision.how });
        manage(scope, adUser.guid, decision.user, { applied: adoptedValues(decision.user, adUser, scope.mapped) });
        break;
      case 'reanchor': {
        actions.push({ kind: 'reanchor', guid: adUser.guid, username: decision.user.username, user_id: decision.user.user_id, from_guid: decision.from, how: decision.how });
        const { missing_since: _left, ...kept } = scope.context.state.users[decision.from]!;
        manage(scope, adUser.guid, decision.user, kept);
        break;
      }
    }
  }
}
