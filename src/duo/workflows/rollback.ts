import { DataError, DuoRequestError } from '../../errors.js';
import type { DuoClient } from '../api/client.js';
import { findUsersByNames, getUser } from '../api/users-api.js';
import type { BulkMode } from './bulk-mode.js';
import { guardedWrite, type WriteOutcome } from '../journal/guarded-write.js';
import { isBulkRefusal, sendBulk } from '../api/bulk-api.js';
import { membershipOf, removeUserFromGroup, removeUserFromGroupOperation } from '../api/groups-api.js';
import { deletePhone, detachPhone } from '../api/phones-api.js';
import { Journal, renameSteps, type Intent, type JournalNames, type JournalRecord } from '../journal/journal.js';
import { applyRenames, namesOf, same, type Rename, type RenameResult } from './renames.js';

export interface Restore {
  readonly userId: string;
  readonly original: JournalNames;
  /** Where the migrate left the user, as far as its journal says: where to look for it first. */
  readonly last: JournalNames;
}

export type RollbackPlan =
  | { readonly kind: 'import'; readonly trash: readonly string[]; readonly devices: DeviceUndo }
  | { readonly kind: 'migrate'; readonly restore: readonly Restore[]; readonly devices: DeviceUndo };

/** What an import added besides users, to undo before its users go to the Trash. */
export interface DeviceUndo {
  /** Memberships it added to users it did not create (a trashed user's memberships go with it). */
  readonly memberships: readonly { readonly user_id: string; readonly group_id: string }[];
  /** Phones it created: deleted (which also takes them off their users). */
  readonly phonesCreated: readonly string[];
  /** Phones it attached that it did not create, to users it did not create: detached. */
  readonly phonesAttached: readonly { readonly user_id: string; readonly phone_id: string }[];
  /** Groups it created (--create-groups): left in place, named so the admin can delete them. */
  readonly groupsCreated: readonly string[];
}

/**
 * What undoing a journal means: for an import, every user it created, whether Duo's answer said
 * so or the import learned it by reading Duo (to Duo's Trash, restorable); for a migrate, every
 * renamed user's names before its first rename. The journal must exist (a typo is not an empty run).
 */
export async function readRollbackPlan(path: string): Promise<RollbackPlan> {
  const created = new Set<string>();
  const original = new Map<string, JournalNames>();
  const last = new Map<string, JournalNames>();
  const devices = new DeviceJournal();
  const source = await Journal.open(path, {
    mustExist: true,
    replay: (r) => {
      devices.replay(r);
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
  if (start.kind === 'import') return { kind: 'import', trash: [...created], devices: devices.undo(created) };
  if (start.kind === 'migrate') {
    return { kind: 'migrate', restore: [...original].map(([userId, names]) => ({ userId, original: names, last: last.get(userId) ?? names })), devices: devices.undo(new Set()) };
  }
  throw new DataError('JOURNAL_KIND', `journal ${path} is a ${start.kind} journal, which cannot be rolled back`);
}

/**
 * The memberships and phones an import's journal announces, less those Duo certainly refused. One
 * that may not have been applied (its answer was lost) is undone anyway: removing a membership or
 * phone that is not there is answered 404, which counts as done.
 */
class DeviceJournal {
  private readonly intents = new Map<number, Intent>();
  private readonly memberships = new Map<string, { user_id: string; group_id: string }>();
  private readonly attached = new Map<string, { user_id: string; phone_id: string }>();
  private readonly phones = new Set<string>();
  private readonly groups = new Set<string>();

  readonly replay = (r: JournalRecord): void => {
    if (r.t === 'intent') this.intents.set(r.id, r);
    else if (r.t === 'claim_phone') this.phones.add(r.phone_id);
    else if (r.t === 'claim_group') this.groups.add(r.name);
    else if (r.t === 'outcome') {
      const intent = this.intents.get(r.id);
      this.intents.delete(r.id);
      if (intent === undefined || r.status === 'refused') return;
      if (intent.op === 'membership') this.memberships.set(`${intent.user_id} ${intent.group_id}`, { user_id: intent.user_id, group_id: intent.group_id });
      if (intent.op === 'bulk') {
        const failed = new Set(r.failed_operations ?? []);
        intent.operations.forEach((operation, i) => {
          const added = failed.has(i) ? null : membershipOf(operation);
          if (added) this.memberships.set(`${added.user_id} ${added.group_id}`, added);
        });
      }
      if (intent.op === 'phone_attach') this.attached.set(`${intent.user_id} ${intent.phone_id}`, { user_id: intent.user_id, phone_id: intent.phone_id });
      if (intent.op === 'phone_create' && r.status === 'ok' && r.phone_id) this.phones.add(r.phone_id);
      if (intent.op === 'group_create' && r.status === 'ok') this.groups.add(intent.name);
    }
  };

  undo(createdUsers: ReadonlySet<string>): DeviceUndo {
    return {
      memberships: [...this.memberships.values()].filter((m) => !createdUsers.has(m.user_id)),
      phonesCreated: [...this.phones],
      phonesAttached: [...this.attached.values()].filter((a) => !createdUsers.has(a.user_id) && !this.phones.has(a.phone_id)),
      groupsCreated: [...this.groups],
    };
  }
}

export interface DeviceUndoResult {
  readonly done: number;
  readonly failed: readonly { readonly what: string; readonly error: string }[];
}

/**
 * Takes off what a run (import or migrate) added: memberships removed (bulk operations where Duo takes them, then
 * single calls for what remains), phones it attached detached, phones it created deleted. Each
 * through the guarded write; "not found" counts as done, so a resumed rollback simply repeats.
 */
export async function undoDevices(client: DuoClient, journal: Journal, undo: DeviceUndo, bulk: BulkMode): Promise<DeviceUndoResult> {
  let done = 0;
  const failed: { what: string; error: string }[] = [];
  const settle = (what: string, write: WriteOutcome<unknown>): void => {
    if (write.status === 'ok' || (write.status === 'refused' && write.error.status === 404)) done++;
    else failed.push({ what, error: write.status === 'refused' ? write.error.message : 'Duo did not answer; re-run the same rollback to resume' });
  };
  let unsent = [...undo.memberships];
  const sent: (typeof unsent)[number][] = [];
  while (unsent.length > 0 && bulk.size > 0) {
    const chunk = unsent.slice(0, bulk.size);
    const operations = chunk.map((m) => removeUserFromGroupOperation(m.user_id, m.group_id));
    try {
      await guardedWrite(journal, { op: 'bulk', operations }, () => sendBulk(client, operations));
    } catch (error) {
      if (!isBulkRefusal(error) || !(await bulk.refusedBy(error, journal))) throw error;
      break;
    }
    unsent = unsent.slice(chunk.length);
    sent.push(...chunk);
  }
  // Whatever the bulk answers said, each user is read back: a membership still there gets a single call.
  const left = await stillMembers(client, sent);
  done += sent.length - left.length;
  for (const m of [...left, ...unsent]) {
    settle(`membership of ${m.user_id} in group ${m.group_id}`, await guardedWrite(journal, { op: 'membership_remove', user_id: m.user_id, group_id: m.group_id },
      () => removeUserFromGroup(client, m.user_id, m.group_id)));
  }
  for (const a of undo.phonesAttached) {
    settle(`phone ${a.phone_id} of ${a.user_id}`, await guardedWrite(journal, { op: 'phone_detach', user_id: a.user_id, phone_id: a.phone_id },
      () => detachPhone(client, a.user_id, a.phone_id)));
  }
  for (const phoneId of undo.phonesCreated) {
    settle(`phone ${phoneId}`, await guardedWrite(journal, { op: 'phone_delete', phone_id: phoneId }, () => deletePhone(client, phoneId)));
  }
  return { done, failed };
}

async function stillMembers<T extends { user_id: string; group_id: string }>(client: DuoClient, memberships: readonly T[]): Promise<T[]> {
  const groupsOf = new Map<string, Set<string>>();
  for (const userId of new Set(memberships.map((m) => m.user_id))) {
    try {
      groupsOf.set(userId, new Set(((await getUser(client, userId)).groups as { group_id?: string }[] | undefined ?? []).map((g) => g.group_id ?? '')));
    } catch (error) {
      if (!(error instanceof DuoRequestError && error.status === 404)) throw error;
    }
  }
  return memberships.filter((m) => groupsOf.get(m.user_id)?.has(m.group_id));
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
