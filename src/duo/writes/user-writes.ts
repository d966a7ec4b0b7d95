import { modifyUserOperation } from '../api/bulk-api.js';
import { modifyUser, restoreUsers, sendUsersToTrash, USER_LIST_CHUNK } from '../api/users-api.js';
import type { FieldStep } from '../journal/journal.js';
import type { BulkMode } from './bulk-mode.js';
import type { RunSession } from './run-session.js';

/**
 * Field changes (status included), one modify per user: in /admin/v1/bulk calls while Duo takes
 * them, each journaled with the values before (what a rollback writes back), single calls for the rest.
 */
export async function writeFieldSteps(session: RunSession, bulk: BulkMode, steps: readonly FieldStep[]): Promise<void> {
  const { unsent } = await bulk.send(session, steps, (s) => modifyUserOperation(s.user_id, s.after), (chunk) => ({ updates: [...chunk] }));
  for (const step of unsent) await session.write({ op: 'update', ...step }, () => modifyUser(session.client, step.user_id, step.after));
}

/** Users to the Trash or out of it, 100 a call, each call journaled; whether it took is read back by the caller. */
export async function sendUserLists(session: RunSession, op: 'trash' | 'restore', userIds: readonly string[]): Promise<void> {
  const send = op === 'trash' ? sendUsersToTrash : restoreUsers;
  for (let i = 0; i < userIds.length; i += USER_LIST_CHUNK) {
    const chunk = userIds.slice(i, i + USER_LIST_CHUNK);
    await session.write({ op, user_ids: chunk }, () => send(session.client, chunk));
  }
}
