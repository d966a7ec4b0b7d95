import { DataError, DuoRequestError } from '../../errors.js';
import type { DuoClient } from '../api/client.js';
import { findUsersByNames, getUser } from '../api/users-api.js';
import type { BulkMode } from './bulk-mode.js';
import { guardedWrite } from '../journal/guarded-write.js';
import { Journal, renameSteps, type Intent, type JournalNames, type JournalRecord } from '../journal/journal.js';
import { applyRenames, namesOf, same, type Rename, type RenameResult } from './renames.js';

export interface Restore {
  readonly userId: string;
  readonly original: JournalNames;
  /** Where the migrate left the user, as far as its journal says: where to look for it first. */
  readonly last: JournalNames;
}

export type RollbackPlan =
  | { readonly kind: 'import'; readonly trash: readonly string[] }
  | { readonly kind: 'migrate'; readonly restore: readonly Restore[] };

/**
 * What undoing a journal means: for an import, every user it created, whether Duo's answer said
 * so or the import learned it by reading Duo (to Duo's Trash, restorable); for a migrate, every
 * renamed user's names before its first rename. The journal must exist (a typo is not an empty run).
 */
export async function readRollbackPlan(path: string): Promise<RollbackPlan> {
  const created = new Set<string>();
  const original = new Map<string, JournalNames>();
  const last = new Map<string, JournalNames>();
  const source = await Journal.open(path, {
    mustExist: true,
    replay: (r) => {
      if (r.t === 'outcome' && r.status === 'ok') for (const c of r.created ?? []) created.add(c.user_id);
      if (r.t === 'claim') created.add(r.user_id);
      if (r.t === 'row' && r.result === 'created' && r.user_id) created.add(r.user_id);
      for (const step of renameSteps(r)) {
        if (!original.has(step.user_id)) original.set(step.user_id, step.before);
        last.set(step.user_id, step.after);
      }
    },
  });
  const start = source.startRecord;
  await source.close();
  if (start === null) throw new DataError('JOURNAL_EMPTY', `journal ${path} records no change to Duo: nothing to roll back`);
  if (start.kind === 'import') return { kind: 'import', trash: [...created] };
  if (start.kind === 'migrate') return { kind: 'migrate', restore: [...original].map(([userId, names]) => ({ userId, original: names, last: last.get(userId) ?? names })) };
  throw new DataError('JOURNAL_KIND', `journal ${path} is a ${start.kind} journal, which cannot be rolled back`);
}

/** What an earlier, interrupted run of the same rollback already did: read from its own journal. */
export class RollbackProgress {
  readonly trashed = new Set<string>();
  /** Sent to the Trash without an answer: only reading Duo tells. */
  readonly uncertain = new Set<string>();
  private readonly intents = new Map<number, Intent>();

  readonly replay = (record: JournalRecord): void => {
    if (record.t === 'intent') this.intents.set(record.id, record);
    if (record.t !== 'outcome') return;
    const intent = this.intents.get(record.id);
    if (intent?.op !== 'trash') return;
    for (const id of intent.user_ids) {
      if (record.status === 'ok') {
        this.trashed.add(id);
        this.uncertain.delete(id);
      } else if (record.status === 'unknown') this.uncertain.add(id);
    }
  };
}

export interface TrashResult {
  readonly trashed: number;
  /** In the Trash (or gone) before this run: an earlier rollback did it. */
  readonly already: number;
  readonly failed: readonly { readonly userId: string; readonly error: string }[];
}

const TRASH_CHUNK = 100;

/**
 * Sends users to Duo's Trash, 100 per call, through the guarded write. Users an earlier run of the
 * same rollback trashed are not sent again; an unanswered call is settled by reading the users back.
 */
export async function trashUsers(client: DuoClient, journal: Journal, userIds: readonly string[], progress: RollbackProgress): Promise<TrashResult> {
  const done = new Set(progress.trashed);
  for (const id of progress.uncertain) if (await isTrashed(client, id)) done.add(id);
  const todo = userIds.filter((id) => !done.has(id));
  let trashed = 0;
  const failed: { userId: string; error: string }[] = [];
  for (let i = 0; i < todo.length; i += TRASH_CHUNK) {
    const chunk = todo.slice(i, i + TRASH_CHUNK);
    const write = await guardedWrite(journal, { op: 'trash', user_ids: chunk },
      () => client.post('/admin/v1/users/bulk_send_to_trash', { user_id_list: JSON.stringify(chunk) }));
    if (write.status === 'ok') {
      trashed += chunk.length;
      continue;
    }
    for (const id of chunk) {
      if (write.status === 'unknown' && (await isTrashed(client, id))) trashed++;
      else failed.push({ userId: id, error: write.status === 'refused' ? write.error.message : 'Duo did not answer; re-run the same rollback to resume' });
    }
  }
  return { trashed, already: userIds.length - todo.length, failed };
}

/** Duo lists a trashed user with status "pending deletion"; one deleted for good is not found. */
async function isTrashed(client: DuoClient, userId: string): Promise<boolean> {
  try {
    return (await getUser(client, userId)).status === 'pending deletion';
  } catch (error) {
    if (error instanceof DuoRequestError && error.status === 404) return true;
    throw error;
  }
}

/**
 * Renames users back to their original names, in a safe order; users already there are skipped.
 * Their current names are read 100 names per call, looking where the migrate left them and where
 * they started; a user found under neither is read on its own.
 */
export async function restoreNames(
  client: DuoClient,
  journal: Journal,
  restore: readonly Restore[],
  bulk?: BulkMode,
): Promise<{ results: RenameResult[]; already: number }> {
  const found = new Map((await findUsersByNames(client, restore.flatMap((r) => [r.last.username, r.original.username]))).map((u) => [u.user_id, u]));
  const renames: Rename[] = [];
  for (const { userId, original } of restore) {
    const now = namesOf(found.get(userId) ?? (await getUser(client, userId)));
    if (!same(now, original)) renames.push({ userId, from: now, to: original });
  }
  return { results: await applyRenames(client, journal, renames, undefined, bulk), already: restore.length - renames.length };
}
