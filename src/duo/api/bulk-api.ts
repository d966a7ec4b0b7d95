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

export function createUserOperation(user: NewDuoUser, aliases: string): BulkOperation {
  return { method: 'POST', path: '/admin/v1/users', body: { ...user, ...(aliases === '' ? {} : { aliases }) } };
}

export function modifyUserOperation(userId: string, changes: Readonly<Record<string, string>>): BulkOperation {
  return { method: 'POST', path: `/admin/v1/users/${encodeURIComponent(userId)}`, body: { ...changes } };
}
