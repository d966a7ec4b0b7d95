import { DuoPermissionError, DuoRequestError } from '../../errors.js';
import type { DuoClient } from './client.js';
import type { NewDuoUser } from './users-api.js';

/** One user operation of POST /admin/v1/bulk: the single call's method, path and parameters. */
export interface BulkOperation {
  readonly method: 'POST' | 'DELETE';
  readonly path: string;
  readonly body: Readonly<Record<string, string>>;
}

/** The most operations one call may hold, as far as any source says (a summary of Duo's docs). */
export const MAX_BULK_OPERATIONS = 50;

/**
 * Sends operations in one call. `operations` travels as a JSON string of the list, as Duo's Ruby
 * client sends it (every parameter of our signed JSON bodies is a string). Returns, where Duo's
 * answer lists one result per operation, which operations it says failed; whether it does is
 * unconfirmed, so callers read the users back and use this only to doubt, never to believe.
 */
export async function sendBulk(client: DuoClient, operations: readonly BulkOperation[]): Promise<ReadonlySet<number>> {
  if (operations.length === 0 || operations.length > MAX_BULK_OPERATIONS) throw new RangeError(`a bulk call holds 1 to ${MAX_BULK_OPERATIONS} operations`);
  const { response } = await client.post('/admin/v1/bulk', { operations: JSON.stringify(operations) });
  const failed = new Set<number>();
  if (Array.isArray(response) && response.length === operations.length) {
    response.forEach((result: unknown, i) => {
      const status = (result as { status?: unknown; stat?: unknown } | null)?.status ?? (result as { stat?: unknown } | null)?.stat;
      if (typeof status === 'string' && status.toUpperCase() === 'FAIL') failed.add(i);
    });
  }
  return failed;
}

/**
 * Duo refused the endpoint itself, not one of our users: it does not exist for this account (404),
 * the application may not use it (403), or it rejects our list ("operations"). Then the run goes on
 * with single calls.
 */
export function isBulkRefusal(error: unknown): error is DuoRequestError | DuoPermissionError {
  if (error instanceof DuoPermissionError) return true;
  return error instanceof DuoRequestError && (error.status === 404 || error.status === 405 || error.detail === 'operations');
}

// The operations duo-bridge sends (each the bulk form of a single call, as Duo's Ruby client lists
// them), built here and read back here by operationTarget: no other file knows their paths.

export function createUserOperation(user: NewDuoUser, aliases: string): BulkOperation {
  return { method: 'POST', path: '/admin/v1/users', body: { ...user, ...(aliases === '' ? {} : { aliases }) } };
}

export function modifyUserOperation(userId: string, changes: Readonly<Record<string, string>>): BulkOperation {
  return { method: 'POST', path: `/admin/v1/users/${encodeURIComponent(userId)}`, body: { ...changes } };
}

export function addUserToGroupOperation(userId: string, groupId: string): BulkOperation {
  return { method: 'POST', path: `/admin/v1/users/${encodeURIComponent(userId)}/groups`, body: { group_id: groupId } };
}

export function removeUserFromGroupOperation(userId: string, groupId: string): BulkOperation {
  return { method: 'DELETE', path: `/admin/v1/users/${encodeURIComponent(userId)}/groups/${encodeURIComponent(groupId)}`, body: {} };
}

/** What a journaled bulk operation does (null: none of ours). */
export type OperationTarget =
  | { readonly kind: 'create_user'; readonly user: Readonly<Record<string, string>> }
  | { readonly kind: 'modify_user'; readonly user_id: string; readonly changes: Readonly<Record<string, string>> }
  | { readonly kind: 'add_membership' | 'remove_membership'; readonly user_id: string; readonly group_id: string };

export function operationTarget(operation: BulkOperation): OperationTarget | null {
  if (operation.method === 'POST' && operation.path === '/admin/v1/users') return { kind: 'create_user', user: operation.body };
  const [, userId, groups, groupId] = /^\/admin\/v1\/users\/([^/]+)(?:\/(groups)(?:\/([^/]+))?)?$/.exec(operation.path) ?? [];
  if (userId === undefined) return null;
  const user_id = decodeURIComponent(userId);
  if (groups === undefined) return operation.method === 'POST' ? { kind: 'modify_user', user_id, changes: operation.body } : null;
  if (operation.method === 'POST' && groupId === undefined && operation.body.group_id) return { kind: 'add_membership', user_id, group_id: operation.body.group_id };
  if (operation.method === 'DELETE' && groupId !== undefined) return { kind: 'remove_membership', user_id, group_id: decodeURIComponent(groupId) };
  return null;
}
