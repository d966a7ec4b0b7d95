import type { DuoUserRow } from '../../csv/duo-row.js';
import { nameKey } from '../../names.js';
import type { DuoClient } from '../api/client.js';
import { findUsersByNames } from '../api/users-api.js';
import { toTenantUser, type TenantUser } from '../tenant/tenant.js';
import { allNames, namesOf } from '../tenant/duo-names.js';

/**
 * The Duo users holding any name of the rows (username, aliases, and the email, which is the
 * username of users an email-username sync created), by lower-cased name. These are all the users
 * the decision engine needs to classify the rows; the cost is one lookup per 100 names.
 */
export async function lookupBatch(client: DuoClient, rows: readonly DuoUserRow[], include: { aliases?: boolean } = {}): Promise<Map<string, TenantUser>> {
  const names = new Map<string, string>();
  for (const row of rows) {
    const candidates = include.aliases === false ? [row.username] : candidateNames(row);
    for (const name of candidates) if (name !== '') names.set(nameKey(name), name);
  }
  const owners = new Map<string, TenantUser>();
  for (const user of await findUsersByNames(client, [...names.values()])) {
    const tenantUser = toTenantUser(user);
    for (const name of allNames(namesOf(user))) owners.set(nameKey(name), tenantUser);
  }
  return owners;
}

/** The names under which a Duo user may already stand for a row: its username, aliases and email. */
export function candidateNames(row: DuoUserRow): string[] {
  return [row.username, ...row.aliases.map(([, alias]) => alias), row.email].filter((name) => name !== '');
}

/** Each user once. */
export function usersOf(owners: ReadonlyMap<string, TenantUser>): TenantUser[] {
  return [...new Map([...owners.values()].map((u) => [u.user_id, u])).values()];
}
