import type { BulkOperation } from './bulk-api.js';
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

/** The bulk form of addUserToGroup (an operation Duo's Ruby client lists for /admin/v1/bulk). */
export function addUserToGroupOperation(userId: string, groupId: string): BulkOperation {
  return { method: 'POST', path: `/admin/v1/users/${encodeURIComponent(userId)}/groups`, body: { group_id: groupId } };
}

export function removeUserFromGroupOperation(userId: string, groupId: string): BulkOperation {
  return { method: 'DELETE', path: `/admin/v1/users/${encodeURIComponent(userId)}/groups/${encodeURIComponent(groupId)}`, body: {} };
}

/** The membership a bulk operation adds, if it adds one. */
export function membershipOf(operation: BulkOperation): { user_id: string; group_id: string } | null {
  const match = /^\/admin\/v1\/users\/([^/]+)\/groups$/.exec(operation.path);
  return operation.method === 'POST' && match && operation.body.group_id ? { user_id: decodeURIComponent(match[1]!), group_id: operation.body.group_id } : null;
}
