import type { DuoClient } from './client.js';

/**
 * How many days Duo keeps a user in the Trash before deleting it for good: the tenant setting
 * `pending_deletion_days` (7 is only Duo's default). Null when the answer does not say.
 */
export async function pendingDeletionDays(client: DuoClient): Promise<number | null> {
  const { response } = await client.get('/admin/v1/settings');
  const days = (response as { pending_deletion_days?: unknown } | null)?.pending_deletion_days;
  return typeof days === 'number' && Number.isFinite(days) ? days : typeof days === 'string' && /^\d+$/.test(days) ? Number(days) : null;
}
