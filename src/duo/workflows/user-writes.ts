import { modifyUserOperation } from '../api/bulk-api.js';
import type { DuoClient } from '../api/client.js';
import { modifyUser } from '../api/users-api.js';
import { guardedWrite } from '../journal/guarded-write.js';
import type { FieldStep, Journal } from '../journal/journal.js';
import type { BulkMode } from './bulk-mode.js';

/** The user_id_list endpoints take at most this many users a call. */
export const USER_LIST_CHUNK = 100;

/**
 * Field changes (status included), one modify per user: in /admin/v1/bulk calls while Duo takes
 * them, each journaled with the values before (what a rollback writes back), single calls for the rest.
 */
export async function writeFieldSteps(client: DuoClient, journal: Journal, bulk: BulkMode, steps: readonly FieldStep[]): Promise<void> {
  const { unsent } = await bulk.send(client, journal, steps, (s) => modifyUserOperation(s.user_id, s.after), (chunk) => ({ updates: [...chunk] }));
  for (const step of unsent) await guardedWrite(journal, { op: 'update', ...step }, () => modifyUser(client, step.user_id, step.after));
}

/** Users to the Trash or out of it, 100 a call, each call journaled; whether it took is read back by the caller. */
export async function sendUserLists(client: DuoClient, journal: Journal, op: 'trash' | 'restore', userIds: readonly string[]): Promise<void> {
  const path = op === 'trash' ? '/admin/v1/users/bulk_send_to_trash' : '/admin/v1/users/bulk_restore';
  for (let i = 0; i < userIds.length; i += USER_LIST_CHUNK) {
    const chunk = userIds.slice(i, i + USER_LIST_CHUNK);
    await guardedWrite(journal, { op, user_ids: chunk }, () => client.post(path, { user_id_list: JSON.stringify(chunk) }));
  }
}
