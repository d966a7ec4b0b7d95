import { readDirectoryUsers, newReadStats } from '../../ad/directory-users.js';
import type { DirectoryOptions } from '../../ad/export-options.js';
import { buildUserFilter } from '../../ad/user-filter.js';
import type { DuoClient } from '../api/client.js';
import { userPages } from '../api/users-api.js';
import { toTenantUser, type TenantUser } from '../tenant/tenant.js';
import type { AdRead, AdUser, DuoRead } from './sync-plan.js';

/**
 * Every selected AD user, disabled ones included (a sync must tell "disabled" from "gone"), by
 * objectGUID; and what may make the read incomplete. A user without an objectGUID or a username
 * cannot be anchored or named: counted, never guessed.
 */
export async function readAdUsers(options: DirectoryOptions): Promise<{ users: Map<string, AdUser>; read: AdRead }> {
  const stats = newReadStats();
  const users = new Map<string, AdUser>();
  let unusable = 0;
  const present = new Set<string>();
  const domains = new Map<string, number>();
  for await (const { user, groups } of readDirectoryUsers(options, stats)) {
    if (user.adGuid === '' || user.username === '' || users.has(user.adGuid)) {
      unusable++;
      // In AD all the same: a user without a username now is not a leaver.
      if (user.adGuid !== '') present.add(user.adGuid);
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
  if ((stats.ldap.userReferrals ?? 0) > 0) problems.push(`${stats.ldap.userReferrals} referrals to other directories were not followed`);
  const doubts = stats.emptyGroups.map((dn) => `the mapped group ${dn} has no member (missing, or a typo in its DN)`);
  const domain = [...domains].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  const base = options.source.kind === 'ldap' ? options.source.base : '';
  return { users, read: { identity: { domain, base, filter: buildUserFilter(options.selection) }, problems, doubts, unusable, unnamed: present } };
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
