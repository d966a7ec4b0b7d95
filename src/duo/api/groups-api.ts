import type { DuoClient } from './client.js';
import { pagedList } from './paging.js';

/** The parts of Duo's group object that duo-bridge reads. */
export interface DuoGroup {
  readonly group_id: string;
  readonly name: string;
  readonly desc?: string | null;
  readonly status?: string;
}

/** Duo lists groups up to 500 a page (the Python client's paging). */
const GROUP_PAGE = 500;

/** Every group of the tenant, following Duo's paging. */
export function listGroups(client: DuoClient): AsyncGenerator<DuoGroup> {
  return pagedList<DuoGroup>(client, '/admin/v1/groups', (offset) => ({ limit: String(GROUP_PAGE), offset: String(offset) }));
}

export async function createGroup(client: DuoClient, name: string): Promise<DuoGroup> {
  const { response } = await client.post('/admin/v1/groups', { name, desc: 'created by duo-bridge' });
  return response as DuoGroup;
}

/**
 * A group that a directory sync manages: its next sync overwrites the membership, so duo-bridge never
 * changes it. Duo's Admin Panel names such groups `NAME (from AD sync "SYNC")` (also Azure/OpenLDAP
 * syncs); whether the API's `name` carries the suffix is unconfirmed, see the fake's assumptions.
 */
export function isSyncedGroup(group: DuoGroup): boolean {
  return /\(from [^()]*sync\b[^()]*\)\s*$/i.test(group.name);
}

export function addUserToGroup(client: DuoClient, userId: string, groupId: string): Promise<unknown> {
  return client.post(`/admin/v1/users/${encodeURIComponent(userId)}/groups`, { group_id: groupId });
}

export function removeUserFromGroup(client: DuoClient, userId: string, groupId: string): Promise<unknown> {
  return client.delete(`/admin/v1/users/${encodeURIComponent(userId)}/groups/${encodeURIComponent(groupId)}`);
}
