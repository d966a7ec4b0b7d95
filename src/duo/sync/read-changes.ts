import type { ChangedObject } from '../../ad/dirsync.js';
import { lookUpDns } from '../../ad/directory-users.js';
import { normalDn } from '../../ad/dn.js';
import type { DirectoryOptions } from '../../ad/export-options.js';
import { nameKey } from '../../names.js';
import type { DuoClient } from '../api/client.js';
import { findUsersByEmail, findUsersByIds, findUsersByNames, getUserOrNull } from '../api/users-api.js';
import { allNames, namesOf, sameNames } from '../tenant/duo-names.js';
import { toTenantUser, type TenantUser } from '../tenant/tenant.js';
import { namesFor } from './ad-values.js';
import { readAdUsers } from './read-sides.js';
import type { AdRead, AdUser, DuoRead } from './sync-model.js';
import type { SyncState } from './sync-state.js';

/** More changed objects (or users to read again) than this, and a full read is the cheaper one. */
export const CHANGES_LIMIT = 1000;

export type ChangedUsers =
  /** The changed users are all managed ones still selected: both sides read for them alone. */
  | { readonly kind: 'changes'; readonly ad: Map<string, AdUser>; readonly adRead: AdRead; readonly duo: DuoRead; readonly only: ReadonlySet<string> }
  /** What only a full read decides: a newcomer (matched against the whole tenant), a user leaving the selection, a nested group. */
  | { readonly kind: 'full'; readonly why: string };

/**
 * Reads again, in full, the users DirSync named (changed entries, members a group gained or lost,
 * and the users the last run failed to write, `retry`: their DNs), with the selection's own filter and base
 * (`root`: the naming context DirSync read, where groups are looked up); then
 * Duo's users for them, by user_id, and the Duo users holding the names and emails AD now gives
 * them (what a rename or an email change must not take from someone else).
 */
export async function readChangedUsers(
  client: DuoClient, directory: DirectoryOptions, state: SyncState, changed: readonly ChangedObject[], retry: readonly string[], root: string,
): Promise<ChangedUsers> {
  if (state.source === null) return { kind: 'full', why: 'no complete read has set the source yet' };
  const guids = new Set(changed.map((c) => c.guid));
  // Users are read again by DN (DirSync gives the current one); found, they are told apart by objectGUID.
  const dns = [...new Map([...changed.flatMap((c) => [c.dn, ...c.members]), ...retry].map((dn) => [normalDn(dn), dn])).values()];
  if (dns.length > CHANGES_LIMIT) return { kind: 'full', why: `${dns.length} changed users and members is more than ${CHANGES_LIMIT}: a full read is cheaper` };

  const { users: ad, read } = await readAdUsers(directory, dns);
  const present = new Set([...ad.keys(), ...(read.unnamed ?? [])]);
  const joiner = [...present].find((g) => state.users[g] === undefined);
  if (joiner !== undefined) {
    const name = ad.get(joiner)?.username ?? joiner;
    return { kind: 'full', why: `AD user ${name} is new to the sync (a joiner, or one to match with Duo's users): matched against the whole tenant` };
  }
  const leaver = [...guids].find((g) => state.users[g] !== undefined && !present.has(g));
  if (leaver !== undefined) return { kind: 'full', why: `managed user ${state.users[leaver]!.applied.username} is no longer selected in AD (moved out of the base, or the filter no longer matches it)` };
  const unit = changed.find((c) => /^\s*ou\s*=/i.test(c.dn));
  if (unit !== undefined) return { kind: 'full', why: `the OU ${unit.dn} was created, renamed or moved: the DNs of the users under it changed, not the users` };
  // A group's members the selection did not return, and the mapped groups, looked up under the whole
  // naming context: a member not found was deleted (a nested group's members lose it), a managed user
  // among them left the selection (a selecting group lost it), a group among them is nested (its
  // members' memberships changed), a mapped group missing was renamed or deleted.
  const readDns = new Set([...ad.values()].map((u) => normalDn(u.dn)));
  const members = [...new Set(changed.flatMap((c) => c.members).map(normalDn))].filter((dn) => !readDns.has(dn));
  const mapped = [...directory.duoGroups.map((g) => g.dn), ...directory.selection.groups];
  const found = await lookUpDns(directory, [...members, ...mapped], root);
  if (found === null) return changedSides(client, state, ad, read, present);
  const foundDns = new Set(found.map((f) => normalDn(f.dn)));
  const gone = mapped.find((dn) => !foundDns.has(normalDn(dn)));
  if (gone !== undefined) return { kind: 'full', why: `the mapped group ${gone} was not found (renamed or deleted?): a full read decides` };
  const lost = members.find((dn) => !foundDns.has(dn));
  if (lost !== undefined) return { kind: 'full', why: `a group's member ${lost} was not found (deleted?): a full read decides what its members lose` };
  const memberSet = new Set(members);
  // Present but not among the users read (no username, refused by the rules): still selected.
  const left = found.find((f) => memberSet.has(normalDn(f.dn)) && !f.group && state.users[f.guid] !== undefined && !present.has(f.guid));
  if (left !== undefined) return { kind: 'full', why: `managed user ${state.users[left.guid]!.applied.username} left a group, and with it the selection` };
  const nested = found.filter((f) => memberSet.has(normalDn(f.dn)) && f.group).length;
  if (nested > 0) return { kind: 'full', why: `a group's member that is itself a group changed (${nested}): its members' memberships are read in full` };
  // A mapped group emptied is what its safeguard holds: a full read sees it.
  const mappedSet = new Set(mapped.map(normalDn));
  const emptied = changed.filter((c) => c.members.length > 0 && mappedSet.has(normalDn(c.dn))).map((c) => c.dn);
  const empty = emptied.length === 0 ? [] : await lookUpDns(directory, emptied, root, '(!(member=*))');
  if (empty !== null && empty.length > 0) return { kind: 'full', why: `the mapped group ${empty[0]!.dn} has no member left: a full read decides (and holds it as a safeguard)` };

  return changedSides(client, state, ad, read, present);
}

/** The changed users' Duo side: by user_id, and the holders of the names and emails AD now gives them. */
async function changedSides(client: DuoClient, state: SyncState, ad: Map<string, AdUser>, read: AdRead, present: ReadonlySet<string>): Promise<ChangedUsers> {
  const only = new Set([...present].filter((g) => state.users[g] !== undefined));
  const users = new Map<string, TenantUser>();
  const ids = [...only].map((g) => state.users[g]!.user_id);
  for (const user of await findUsersByIds(client, ids)) users.set(user.user_id, toTenantUser(user));
  // A user the list did not answer for (in the Trash, say) is asked for alone before it counts as not found.
  for (const id of ids.filter((i) => !users.has(i))) {
    const user = await getUserOrNull(client, id);
    if (user !== null) users.set(user.user_id, toTenantUser(user));
  }
  const names = new Set<string>();
  const emails = new Set<string>();
  for (const guid of only) {
    const adUser = ad.get(guid);
    const duoUser = users.get(state.users[guid]!.user_id);
    if (adUser === undefined || duoUser === undefined) continue;
    if (!sameNames(namesFor(adUser), namesOf(duoUser))) for (const n of allNames(namesFor(adUser))) names.add(n);
    if (adUser.email !== '' && nameKey(adUser.email) !== nameKey(duoUser.email ?? '')) {
      emails.add(adUser.email);
      names.add(adUser.email);
    }
  }
  for (const user of await findUsersByNames(client, [...names])) users.set(user.user_id, toTenantUser(user));
  for (const email of emails) for (const user of await findUsersByEmail(client, email)) users.set(user.user_id, toTenantUser(user));
  // The source is the one the mark was written for (sourceKey): a few users don't tell a domain.
  return { kind: 'changes', ad, adRead: { ...read, identity: state.source! }, duo: { users, total: null }, only };
}
