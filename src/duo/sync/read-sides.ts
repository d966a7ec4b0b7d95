import { readDirectoryUsers, newReadStats, userReferralsOf } from '../../ad/directory-users.js';
import type { DirectoryOptions } from '../../ad/export-options.js';
import { buildUserFilter } from '../../ad/user-filter.js';
import type { DuoClient } from '../api/client.js';
import { getUserOrNull, userPages } from '../api/users-api.js';
import { toTenantUser, type TenantUser } from '../tenant/tenant.js';
import { userValueErrors } from '../../validate/row-rules.js';
import type { AdRead, AdUser, DuoRead } from './sync-plan.js';

/**
 * Every selected AD user, disabled ones included (a sync must tell "disabled" from "gone"), by
 * objectGUID; and what may make the read incomplete. A user without an objectGUID or a username
 * cannot be anchored or named: counted, never guessed.
 */
export async function readAdUsers(options: DirectoryOptions, only?: readonly string[]): Promise<{ users: Map<string, AdUser>; read: AdRead }> {
  const stats = newReadStats();
  const users = new Map<string, AdUser>();
  const rejected: { guid: string; username: string; reason: string }[] = [];
  let unusable = 0;
  const present = new Set<string>();
  const domains = new Map<string, number>();
  let statusUnknown = 0;
  const disabled = new Set<string>();
  for await (const { user, groups } of readDirectoryUsers(options, stats, only)) {
    if (!user.statusKnown) statusUnknown++;
    // Disabling needs no name: a disabled user sync can't name or write to is still disabled in Duo.
    if (user.adGuid !== '' && user.status === 'disabled') disabled.add(user.adGuid);
    if (user.adGuid === '' || user.username === '' || users.has(user.adGuid)) {
      unusable++;
      // In AD all the same: a user without a username now is not a leaver.
      if (user.adGuid !== '') present.add(user.adGuid);
      continue;
    }
    // What validate refuses in a CSV (a NUL, a line break or a tab in a name, a malformed email) is
    // not written to Duo either: the user is a conflict, still present in AD (never a leaver).
    const errors = userValueErrors(user);
    if (errors.length > 0) {
      present.add(user.adGuid);
      const attribute = (column: string | null): string => `${column} (${attributeOf(column ?? '', options)})`;
      rejected.push({ guid: user.adGuid, username: printable(user.username), reason: printable(errors.map((e) => `${attribute(e.column)}: ${e.message} (${e.code})`).join('; ')) });
      continue;
    }
    const domain = domainOf(user.adDn);
    domains.set(domain, (domains.get(domain) ?? 0) + 1);
    users.set(user.adGuid, {
      guid: user.adGuid, dn: user.adDn, username: user.username, aliases: user.aliases, realname: user.realname, firstname: user.firstname,
      lastname: user.lastname, email: user.email, enabled: user.status !== 'disabled', groups,
    });
  }
  const problems: string[] = [];
  const referrals = userReferralsOf(stats);
  if (referrals > 0) problems.push(`${referrals} ${referrals === 1 ? 'referral' : 'referrals'} to other directories ${referrals === 1 ? 'was' : 'were'} not followed`);
  if (statusUnknown > 0) problems.push(`${statusUnknown} ${statusUnknown === 1 ? 'user has' : 'users have'} no userAccountControl, so whether ${statusUnknown === 1 ? 'it is' : 'they are'} disabled is unknown (the dump or search left the attribute out)`);
  const doubts = stats.emptyGroups.map((dn) => `the mapped group ${dn} has no member (missing, or a typo in its DN)`);
  const domain = [...domains].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  const base = options.source.kind === 'ldap' ? options.source.base : '';
  return { users, read: { identity: { domain, base, filter: buildUserFilter(options.selection) }, problems, doubts, unusable, unnamed: present, rejected, disabledUnnamed: new Set([...present].filter((g) => disabled.has(g))) } };
}

/** The AD attribute a Duo column's value came from, to name in a conflict. */
function attributeOf(column: string, options: DirectoryOptions): string {
  const { mapping } = options;
  const fixed: Record<string, string> = { username: mapping.usernameAttribute, email: 'mail', realname: 'displayName or givenName sn', firstname: 'givenName', lastname: 'sn', status: 'userAccountControl' };
  return fixed[column] ?? mapping.aliasAttributes.join(', ');
}

/** A name (or a message quoting a value) as it can be shown on one line: control characters escaped as \\u0000, the rest as it is. */
function printable(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The DC= suffix of a DN, lower-cased: corp.example for CN=x,OU=y,DC=corp,DC=example. */
function domainOf(dn: string): string {
  return [...dn.matchAll(/(?:^|,)\s*DC=((?:\\.|[^,\\])+)/gi)].map((m) => m[1]!.toLowerCase()).join('.');
}

/**
 * Every Duo user, 300 a call, and the total Duo says it holds (`metadata.total_objects`): a listing
 * that returns fewer users than that is incomplete, and no one is taken away on its word. Pages that
 * disagree on the total mean the tenant changed while it was listed (offsets shift: a user can be
 * skipped), which makes the listing incomplete too.
 */
export async function readDuoUsers(client: DuoClient): Promise<DuoRead> {
  const users = new Map<string, TenantUser>();
  let total: number | null = null;
  const totals = new Set<number>();
  for await (const page of userPages(client)) {
    for (const user of page.items) users.set(user.user_id, toTenantUser(user));
    if (page.total !== null) totals.add(page.total);
    total = page.total ?? total;
  }
  const problem = totals.size > 1 ? `the tenant changed while it was listed (its pages said ${[...totals].join(', then ')} users), so users may have been skipped` : null;
  return { users, total, ...(problem === null ? {} : { problem }) };
}

/** Managed users missing from a listing are looked up one by one up to this many; more, and Duo is listed again. */
const LOOKUPS = 100;

/**
 * A listing can skip a user and still add up (one user deleted and another created while it was
 * paged: the offsets shift by one). Before a managed user counts as gone, it is looked for again:
 * one by one by user_id, or by a second listing when many are missing. One that is still in Duo
 * means the listing was not to be trusted: the read is incomplete, and no one is forgotten.
 */
export async function confirmMissing(client: DuoClient, duo: DuoRead, managed: readonly string[]): Promise<DuoRead> {
  const missing = managed.filter((id) => !duo.users.has(id));
  if (missing.length === 0) return duo;
  let found: number;
  if (missing.length <= LOOKUPS) {
    const users = new Map(duo.users);
    for (const id of missing) {
      const user = await getUserOrNull(client, id);
      if (user !== null) users.set(user.user_id, toTenantUser(user));
    }
    found = users.size - duo.users.size;
    if (found === 0) return duo;
    duo = { ...duo, users };
  } else {
    const again = await readDuoUsers(client);
    found = missing.filter((id) => again.users.has(id)).length;
    if (found === 0) return duo;
  }
  return { ...duo, problem: duo.problem ?? `the listing left out ${found} managed ${found === 1 ? 'user' : 'users'} still in Duo (the tenant changed while it was listed)` };
}

