import { nameKey } from '../../names.js';
import { DataError } from '../../errors.js';
import type { DuoClient } from '../api/client.js';
import { Journal, type JournalNames, type JournalRecord } from '../journal/journal.js';
import { applyRenames, type Rename, type RenameResult } from './renames.js';
import type { DuoUser } from '../api/users-api.js';

export type RollbackPlan =
  | { readonly kind: 'import'; readonly trash: readonly string[] }
  | { readonly kind: 'migrate'; readonly restore: readonly { readonly userId: string; readonly original: JournalNames }[] };

/**
 * What undoing a journal means: for an import, the users it created (to Duo's Trash, restorable);
 * for a migrate, every renamed user's names before its first rename.
 */
export function rollbackPlan(journal: Journal): RollbackPlan {
  const start = journal.records.find((r) => r.t === 'start');
  if (start === undefined) throw new DataError('JOURNAL_EMPTY', `journal ${journal.path} records no change to Duo: nothing to roll back`);
  if (start.kind === 'import') return { kind: 'import', trash: createdUsers(journal.records) };
  if (start.kind === 'migrate') {
    const original = new Map<string, JournalNames>();
    for (const r of journal.records) if (r.t === 'intent' && r.op === 'rename' && !original.has(r.user_id)) original.set(r.user_id, r.before);
    return { kind: 'migrate', restore: [...original].map(([userId, names]) => ({ userId, original: names })) };
  }
  throw new DataError('JOURNAL_KIND', `journal ${journal.path} is a ${start.kind} journal, which cannot be rolled back`);
}

/** Users an import created: confirmed by Duo's answer, or found after an unanswered create. */
function createdUsers(records: readonly JournalRecord[]): string[] {
  const ids = new Set<string>();
  for (const r of records) {
    if (r.t === 'outcome' && r.ok) for (const c of r.created ?? []) ids.add(c.user_id);
    if (r.t === 'row' && r.result === 'created' && r.user_id) ids.add(r.user_id);
  }
  return [...ids];
}

const TRASH_CHUNK = 100;

/** Sends users to Duo's Trash, 100 per call; they can be restored there for 7 days. */
export async function trashUsers(client: DuoClient, journal: Journal, userIds: readonly string[]): Promise<number> {
  let trashed = 0;
  for (let i = 0; i < userIds.length; i += TRASH_CHUNK) {
    const chunk = userIds.slice(i, i + TRASH_CHUNK);
    const id = journal.newId();
    await journal.append({ t: 'intent', id, op: 'trash', user_ids: chunk });
    await client.post('/admin/v1/users/bulk_send_to_trash', { user_id_list: JSON.stringify(chunk) });
    await journal.append({ t: 'outcome', id, ok: true });
    trashed += chunk.length;
  }
  return trashed;
}

/** Renames users back to their original names, in a safe order; users already there are skipped. */
export async function restoreNames(
  client: DuoClient,
  journal: Journal,
  restore: readonly { readonly userId: string; readonly original: JournalNames }[],
): Promise<RenameResult[]> {
  const renames: Rename[] = [];
  for (const { userId, original } of restore) {
    const { response } = await client.get(`/admin/v1/users/${encodeURIComponent(userId)}`);
    const user = response as DuoUser;
    const now: JournalNames = { username: user.username, aliases: Object.fromEntries(Object.entries(user.aliases ?? {}).filter(([, v]) => v)) };
    if (JSON.stringify(normal(now)) !== JSON.stringify(normal(original))) renames.push({ userId, from: now, to: original });
  }
  return applyRenames(client, journal, renames);
}

function normal(names: JournalNames): unknown {
  return [nameKey(names.username), Object.entries(names.aliases).map(([slot, v]) => [slot, nameKey(v)]).sort()];
}
