import { DataError } from '../../errors.js';

import type { DuoClient } from '../api/client.js';

import { type DuoUser, TRASHED, USER_LIST_CHUNK, findUsersByNames, getUserOrNull, modifyUser, readUsersById, sendUsersToTrash } from '../api/users-api.js';

import { BulkMode } from '../writes/bulk-mode.js';

import type { WriteOutcome } from '../writes/guarded-write.js';

import { addUserToGroupOperation, MAX_BULK_OPERATIONS, modifyUserOperation, removeUserFromGroupOperation } from '../api/bulk-api.js';

import { addUserToGroup, removeUserFromGroup } from '../api/groups-api.js';

import { deletePhone, detachPhone } from '../api/phones-api.js';

import { detachToken } from '../api/tokens-api.js';

import { pendingDeletionDays } from '../api/settings-api.js';

import type { Journal, JournalKind } from '../journal/journal.js';
import type { RunHistory } from '../journal/run-history.js';

import { RunSession } from '../writes/run-session.js';

import { settleCreates } from '../writes/settle-creates.js';

import { applyRenames, type RenameResult } from '../writes/renames.js';

import { sendUserLists, writeFieldSteps } from '../writes/user-writes.js';

import { laterWrites } from './later-runs.js';

import { decideFields, decideMemberships, decideNames, decideRetrash, decideUntrash, type CurrentUsers, type LaterWrites, type SkippedUndo } from './rollback-compare.js';

import { checkRollback, type RollbackCheck } from './rollback-check.js';
import type { DuoNames } from '../tenant/duo-names.js';


export interface Restore {
  readonly userId: string;
  readonly original: DuoNames;
  /** Where the migrate left the user, as far as its journal says: where to look for it first. */
  readonly last: DuoNames;
}

/** What undoing a run means, as its journal (settled by reading Duo) says. */
export interface RollbackPlan {
  readonly kind: Extract<JournalKind, 'import' | 'migrate' | 'sync'>;
  /** The Duo host the run wrote to. */
  readonly host: string;
  /**
   * Users the run created or took out of the Trash: disabled, then sent (back) to the Trash; those
   * it created whatever happened to them since, those it took out only while as it left them.
   */
  readonly trash: readonly string[];
  /** The users of `trash` the run took out of the Trash (a sync's restore), with the status it left them in. */
  readonly restored: readonly { readonly userId: string; readonly status: string }[];
  /** Their usernames where the journal knows them (to read them back 100 a call). */
  readonly usernames: ReadonlyMap<string, string>;
  /** Users a migrate (or an import's --update) renamed: their names before the first rename. */
  readonly restore: readonly Restore[];
  /** Users the run (a sync) sent to the Trash: restored, and disabled as they were when trashed. */
  readonly untrash: readonly string[];
  /** Users whose fields (status included) the run changed: each field's value before the run, and the last it wrote. */
  readonly fields: readonly { readonly userId: string; readonly before: Readonly<Record<string, string>>; readonly after: Readonly<Record<string, string>> }[];
  readonly devices: DeviceUndo;
  /** What later duo-bridge runs (their journals in the same folder) wrote to this run's users since: see later-runs.ts. */
  readonly later: LaterWrites;
  /** Creates whose answer was lost and that reading Duo has not settled yet (a preview without Duo). */
  readonly unsettled: number;
}

/** What a run added besides users, to undo before its users go to the Trash. */
export interface DeviceUndo {
  /** Memberships it added to users it did not create (a trashed user's memberships go with it). */
  readonly memberships: readonly { readonly user_id: string; readonly group_id: string }[];
  /** Memberships it removed (a sync): added back. */
  readonly removedMemberships: readonly { readonly user_id: string; readonly group_id: string }[];
  /** Phones it created: deleted (which also takes them off their users). */
  readonly phonesCreated: readonly string[];
  /** Phones it attached that it did not create, to users it did not create: detached. */
  readonly phonesAttached: readonly { readonly user_id: string; readonly phone_id: string }[];
  /**
   * Hardware tokens it attached: detached from every user, those it created too (a trashed user
   * keeps its token, and can still sign in with it, until Duo purges the user).
   */
  readonly tokensAttached: readonly { readonly user_id: string; readonly token_id: string }[];
  /** Groups it created (--create-groups): left in place, named so the admin can delete them. */
  readonly groupsCreated: readonly string[];
}

export interface RollbackOptions {
  /** The journal of the run (import, migrate or sync) to undo. */
  readonly journal: string;
  readonly client: DuoClient;
  /** The tenant the client talks to: a journal of another host is refused. */
  readonly host: string;
  /** Operations per /admin/v1/bulk call (1–50); 0: single calls. */
  readonly bulkSize?: number;
  readonly onNotice?: (message: string) => void;
  /** Shown what will be undone (settled against Duo) and what an earlier rollback did; false stops before any write. */
  readonly confirm?: (preview: RollbackPreview) => Promise<boolean>;
}

export interface RollbackPreview {
  readonly plan: RollbackPlan;
  readonly check: RollbackCheck;
  /** Users of plan.trash not yet in the Trash according to this rollback's own journal. */
  readonly pendingTrash: readonly string[];
  /** The tenant keeps trashed users this many days before deleting them for good. */
  readonly pendingDeletionDays: number | null;
  /** This rollback's own journal. */
  readonly journal: string;
}

export interface RollbackResult {
  readonly preview: RollbackPreview;
  readonly devices: DeviceUndoResult;
  readonly disabled: number;
  readonly trash: TrashResult | null;
  readonly names: { readonly results: readonly RenameResult[]; readonly already: number; readonly missing: readonly string[] } | null;
  /** Users taken back out of the Trash (a sync's trash undone). */
  readonly untrashed: number;
  /** Users whose fields got their values from before the run. */
  readonly fieldsRestored: number;
  /** Undos skipped because the value changed since the run, decided on the users as read just before the writes. */
  readonly skipped: readonly SkippedUndo[];
  /** Memberships found already as before the run. */
  readonly already: RollbackCheck['already'];
}

/**
 * What rolling back `path` would do, nothing written (`rollback` without --apply): the journal's
 * plan, compared with Duo when its client is given (else with later runs' journals only), and how
 * long the tenant's Trash keeps users. Duo's creates whose answer was lost stay unsettled (`plan.unsettled`).
 */
export async function previewRollback(path: string, duo: { readonly client: DuoClient; readonly host: string } | null): Promise<RollbackPreview> {
  const plan = await readRollbackPlan(path, duo?.host);
  return {
    plan,
    check: await checkRollback(plan, duo?.client ?? null),
    pendingTrash: plan.trash,
    pendingDeletionDays: duo !== null && plan.trash.length > 0 ? await pendingDeletionDays(duo.client) : null,
    journal: rollbackJournalPath(path),
  };
}

/** The journal a rollback of `journal` keeps: a second run resumes it instead of repeating it. */
export function rollbackJournalPath(journal: string): string {
  return `${journal.replace(/\.jsonl$/, '')}.rollback.jsonl`;
}

/**
 * What undoing a journal means, read from the journal alone (no Duo): the preview a rollback shows
 * without --apply. Creates whose answer was lost are counted in `unsettled`; rollbackRun settles them.
 */
export async function readRollbackPlan(path: string, host?: string): Promise<RollbackPlan> {
  const source = await RunSession.open(path, { mustExist: true, host });
  let plan: Omit<RollbackPlan, 'later'>;
  try {
    plan = planOf(path, source);
  } finally {
    await source.close();
  }
  return withLaterWrites(path, source.journal, plan);
}

async function withLaterWrites(path: string, journal: Journal, plan: Omit<RollbackPlan, 'later'>): Promise<RollbackPlan> {
  const users = new Set([
    ...plan.trash, ...plan.restore.map((r) => r.userId), ...plan.untrash, ...plan.fields.map((f) => f.userId),
    ...plan.devices.memberships.map((m) => m.user_id), ...plan.devices.removedMemberships.map((m) => m.user_id),
  ]);
  return { ...plan, later: await laterWrites(path, journal.startRecord!, users, [rollbackJournalPath(path)]) };
}

/** The kind of run a journal records, if it is one rollback undoes. */
function rolledBackKind(path: string, journal: Journal): RollbackPlan['kind'] {
  const start = journal.startRecord;
  if (start === null) throw new DataError('JOURNAL_EMPTY', `journal ${path} records no change to Duo: nothing to roll back`);
  if (start.kind === 'rollback') throw new DataError('JOURNAL_KIND', `journal ${path} is a ${start.kind} journal, which cannot be rolled back`);
  return start.kind;
}

function planOf(path: string, source: RunSession): Omit<RollbackPlan, 'later'> {
  const { journal, history } = source;
  const kind = rolledBackKind(path, journal);
  const created = new Set(history.createdUserIds());
  const trash = [...new Set([...created, ...history.restored])];
  const gone = new Set(trash);
  const phones = new Set(history.createdPhoneIds());
  return {
    kind,
    host: journal.startRecord!.host,
    trash,
    restored: [...history.restored].filter((id) => !created.has(id)).map((userId) => ({ userId, status: restoredStatus(history, userId) })),
    usernames: history.createdUsernames(),
    restore: [...history.originalNames].map(([userId, original]) => ({ userId, original, last: history.lastNames.get(userId) ?? original })),
    untrash: [...new Set([...history.trashed, ...history.uncertainTrash])].filter((id) => !gone.has(id)),
    fields: [...history.originalFields].filter(([userId]) => !gone.has(userId)).map(([userId, before]) => ({ userId, before, after: lastFields(history, userId, before) })),
    devices: {
      memberships: history.addedMemberships().filter((m) => !gone.has(m.user_id)),
      removedMemberships: history.removedMembershipsBefore().filter((m) => !gone.has(m.user_id)),
      phonesCreated: [...phones],
      phonesAttached: history.attachedPhones().filter((a) => !gone.has(a.user_id) && !phones.has(a.phone_id)),
      tokensAttached: history.attachedTokens(),
      groupsCreated: [...history.groupsCreated.values()],
    },
    unsettled: history.uncertainUserNames().length + history.uncertainPhoneKeys().length + history.uncertainGroupNames().length,
  };
}

/**
 * The status a restored user was left in: the last the run gave it, else what Duo's bulk_restore
 * sets (active: an unconfirmed assumption, see the simulator's; were it wrong, the user reads as
 * changed since and stays out of the Trash — skipped and listed, never trashed unasked).
 */
function restoredStatus(history: RunHistory, userId: string): string {
  const status = history.lastWritten(userId, 'status');
  return typeof status === 'string' ? status : 'active';
}

/** The value the run last wrote to each field it changed (a field Duo refused every time is left out: nothing to undo). */
function lastFields(history: RunHistory, userId: string, before: Readonly<Record<string, string>>): Record<string, string> {
  const after: Record<string, string> = {};
  for (const field of Object.keys(before)) {
    const value = history.lastWritten(userId, field);
    if (typeof value === 'string') after[field] = value;
  }
  return after;
}

/**
 * Undoes a run (import, migrate or sync) from its journal. First, exactly as a resume would, every create
 * whose answer was lost is settled by reading Duo (a user is the run's only if Duo created it inside
 * that write's window), and what is learned is journaled in the run's own journal. Then, through this
 * rollback's own journal (a re-run resumes it): memberships and phones the run added are taken off,
 * the users it created (or restored) are disabled — a user in the Trash can still sign in until Duo
 * purges it — and sent to the Trash, and renamed users get their first names back. A user that no
 * longer exists is reported and skipped. Every undo of a value (names, fields, status, memberships,
 * the Trash) is a compare-and-set: done only while Duo, read just before the write, still holds what
 * the run wrote and no later run wrote it since; otherwise it is skipped and listed (`skipped`).
 * Users the run created still go to the Trash whatever happened to them since (`changedSince`); users
 * it took out of the Trash go back only while as it left them.
 */
export async function rollbackRun(options: RollbackOptions): Promise<RollbackResult | null> {
  const { client, host } = options;
  const source = await RunSession.open(options.journal, { mustExist: true, host, client });
  let planned: Omit<RollbackPlan, 'later'>;
  try {
    rolledBackKind(options.journal, source.journal);
    await settleCreates(source);
    planned = planOf(options.journal, source);
  } finally {
    await source.close();
  }
  const plan = await withLaterWrites(options.journal, source.journal, planned);

  return RunSession.run(rollbackJournalPath(options.journal), { host, client }, async (session) => {
    const rolledBack = session.history;
    const preview: RollbackPreview = {
      plan,
      check: await checkRollback(plan, client),
      pendingTrash: plan.trash.filter((id) => !rolledBack.trashed.has(id)),
      pendingDeletionDays: plan.trash.length > 0 ? await pendingDeletionDays(client) : null,
      journal: session.path,
    };
    if (options.confirm && !(await options.confirm(preview))) return null;
    await session.bind({ kind: 'rollback', input: options.journal });
    const bulk = new BulkMode(options.bulkSize ?? MAX_BULK_OPERATIONS, rolledBack.bulkRefused, options.onNotice);
    // Each stage reads its users just before it writes, and sets back only what still holds the run's
    // value (rollback-compare.ts): a preview read minutes ago, before the question, decides nothing.
    // Out of the Trash first: the memberships and fields restored below are theirs too.
    const untrash = await untrashUsers(session, plan);
    const read = await readUsersById(client, [...plan.devices.memberships, ...plan.devices.removedMemberships].map((m) => m.user_id));
    const memberships = decideMemberships(plan.devices.memberships, plan.devices.removedMemberships, read, plan.later);
    const devices = await undoDevices(session, { ...plan.devices, memberships: memberships.remove, removedMemberships: memberships.addBack }, bulk);
    // Users the run took out of the Trash go back only while as it left them (this rollback's own earlier work aside).
    const restored = plan.restored.filter((r) => !rolledBack.trashed.has(r.userId) && rolledBack.statuses.get(r.userId) !== 'disabled');
    const retrash = decideRetrash(restored, await readUsersById(client, restored.map((r) => r.userId)), plan.later);
    const kept = new Set(retrash.skipped.map((s) => s.user_id));
    const trashing = plan.trash.filter((id) => !kept.has(id));
    const disabled = await disableUsers(session, trashing.map((user_id) => ({ user_id, username: plan.usernames.get(user_id) })), bulk);
    const trash = trashing.length > 0 ? await trashUsers(session, trashing) : null;
    const names = plan.restore.length > 0 ? await restoreNames(session, plan.restore, bulk, plan.later) : null;
    const fields = await restoreFields(session, plan, [...new Set([...untrash.done, ...rolledBack.restored])].filter((id) => plan.untrash.includes(id)), bulk);
    // What this rollback itself put back on an earlier run of it is no news.
    const already = memberships.already.filter((m) => rolledBack.lastWritten(m.user_id, m.what) === undefined);
    const skipped = [...untrash.skipped, ...retrash.skipped, ...memberships.skipped, ...(names?.skipped ?? []), ...fields.skipped];
    return { preview, devices, disabled, trash, names, untrashed: untrash.done.length, fieldsRestored: fields.restored, skipped, already };
  });
}

/**
 * Takes the users the run sent to the Trash back out (bulk_restore, 100 a call), only those still
 * there; users this rollback restored already are passed over.
 */
async function untrashUsers(session: RunSession, plan: RollbackPlan): Promise<{ done: string[]; skipped: SkippedUndo[] }> {
  const ids = plan.untrash.filter((id) => !session.history.restored.has(id));
  const { todo, skipped } = decideUntrash(ids, await readUsersById(session.client, ids), plan.later);
  await sendUserLists(session, 'restore', todo);
  return { done: todo, skipped };
}

/**
 * Writes back each user's fields as they were before the run, each only while it still holds the
 * run's value (modify operations in bulk, single calls for the rest).
 */
async function restoreFields(session: RunSession, plan: RollbackPlan, untrashed: readonly string[], bulk: BulkMode): Promise<{ restored: number; skipped: SkippedUndo[] }> {
  const users: CurrentUsers & Map<string, DuoUser | null> = await readUsersById(session.client, [...plan.fields.map((f) => f.userId), ...untrashed]);
  const { steps, skipped } = decideFields(plan.fields, users, plan.later);
  // A sync trashes only users it disabled: those taken back out come back disabled, as they were.
  for (const id of untrashed) {
    const user = users.get(id);
    if (plan.fields.some((f) => f.userId === id && 'status' in f.before) || user == null || user.status === 'disabled' || user.status === TRASHED) continue;
    const step = steps.find((s) => s.user_id === id) ?? { user_id: id, before: {}, after: {} };
    if (!steps.includes(step)) steps.push(step);
    step.before.status = user.status ?? '';
    step.after.status = 'disabled';
  }
  await writeFieldSteps(session, bulk, steps);
  return { restored: steps.length, skipped };
}

export interface DeviceUndoResult {
  readonly done: number;
  readonly failed: readonly { readonly what: string; readonly error: string }[];
}

/**
 * Takes off what a run added: memberships removed (bulk operations where Duo takes them, then
 * single calls for what remains), phones and hardware tokens it attached detached, phones it created deleted. Each
 * through the guarded write; "not found" counts as done, so a resumed rollback simply repeats.
 */
export async function undoDevices(session: RunSession, undo: DeviceUndo, bulk: BulkMode): Promise<DeviceUndoResult> {
  const { client } = session;
  let done = 0;
  const failed: { what: string; error: string }[] = [];
  const tally = (what: string, write: WriteOutcome<unknown>): void => {
    if (write.status === 'ok' || (write.status === 'refused' && write.error.status === 404)) done++;
    else failed.push({ what, error: write.status === 'refused' ? write.error.message : 'Duo did not answer; re-run the same rollback to resume' });
  };
  const { sent, unsent } = await bulk.send(session, undo.memberships, (m) => removeUserFromGroupOperation(m.user_id, m.group_id));
  // Whatever the bulk answers said, each user is read back: a membership still there gets a single call.
  const left = await stillMembers(client, sent);
  done += sent.length - left.length;
  for (const m of [...left, ...unsent]) {
    tally(`membership of ${m.user_id} in group ${m.group_id}`, await session.write({ op: 'membership_remove', user_id: m.user_id, group_id: m.group_id },
      () => removeUserFromGroup(client, m.user_id, m.group_id)));
  }
  const { sent: readded, unsent: notReadded } = await bulk.send(session, undo.removedMemberships, (m) => addUserToGroupOperation(m.user_id, m.group_id));
  done += readded.length;
  for (const m of notReadded) {
    tally(`membership of ${m.user_id} in group ${m.group_id}`, await session.write({ op: 'membership', user_id: m.user_id, group_id: m.group_id },
      () => addUserToGroup(client, m.user_id, m.group_id)));
  }
  for (const a of undo.phonesAttached) {
    tally(`phone ${a.phone_id} of ${a.user_id}`, await session.write({ op: 'phone_detach', user_id: a.user_id, phone_id: a.phone_id },
      () => detachPhone(client, a.user_id, a.phone_id)));
  }
  for (const a of undo.tokensAttached) {
    tally(`hardware token ${a.token_id} of ${a.user_id}`, await session.write({ op: 'token_detach', user_id: a.user_id, token_id: a.token_id },
      () => detachToken(client, a.user_id, a.token_id)));
  }
  for (const phoneId of undo.phonesCreated) {
    tally(`phone ${phoneId}`, await session.write({ op: 'phone_delete', phone_id: phoneId }, () => deletePhone(client, phoneId)));
  }
  return { done, failed };
}

async function stillMembers<T extends { user_id: string; group_id: string }>(client: DuoClient, memberships: readonly T[]): Promise<T[]> {
  const groupsOf = new Map<string, Set<string>>();
  for (const userId of new Set(memberships.map((m) => m.user_id))) {
    const user = await getUserOrNull(client, userId);
    if (user !== null) groupsOf.set(userId, new Set(((user.groups ?? []) as { group_id?: string }[]).map((g) => g.group_id ?? '')));
  }
  return memberships.filter((m) => groupsOf.get(m.user_id)?.has(m.group_id));
}

/**
 * Sets the users `disabled` before they go to the Trash: Duo keeps a trashed user able to sign in,
 * with its memberships, until it purges it. In bulk (modify operations); then the users are read
 * back (100 names a call where the journal knows them) and one still enabled gets a single call.
 * Users this rollback already disabled or trashed are skipped.
 */
async function disableUsers(session: RunSession, users: readonly TrashUser[], bulk: BulkMode): Promise<number> {
  const { client, history: rolledBack } = session;
  const todo = users.filter((u) => rolledBack.statuses.get(u.user_id) !== 'disabled' && !rolledBack.trashed.has(u.user_id));
  await bulk.send(session, todo, (u) => modifyUserOperation(u.user_id, { status: 'disabled' }));
  const read = new Map((await findUsersByNames(client, todo.flatMap((u) => (u.username ? [u.username] : [])))).map((u) => [u.user_id, u]));
  let disabled = 0;
  for (const { user_id } of todo) {
    const user = read.get(user_id) ?? (await getUserOrNull(client, user_id));
    if (user === null || user.status === TRASHED) continue;
    if (user.status === 'disabled') {
      disabled++;
      continue;
    }
    const write = await session.write({ op: 'status', user_id, status: 'disabled' }, () => modifyUser(client, user_id, { status: 'disabled' }));
    if (write.status === 'ok') disabled++;
  }
  return disabled;
}

interface TrashUser {
  readonly user_id: string;
  readonly username: string | undefined;
}

export interface TrashResult {
  readonly trashed: number;
  /** In the Trash (or gone) before this run: an earlier rollback did it. */
  readonly already: number;
  readonly failed: readonly { readonly userId: string; readonly error: string }[];
}

/**
 * Sends users to Duo's Trash, 100 per call, through the guarded write. Users an earlier run of the
 * same rollback trashed are not sent again; an unanswered call is settled by reading the users back.
 */
async function trashUsers(session: RunSession, userIds: readonly string[]): Promise<TrashResult> {
  const { client, history: rolledBack } = session;
  const done = new Set(rolledBack.trashed);
  for (const id of rolledBack.uncertainTrash) if (await isTrashed(client, id)) done.add(id);
  const todo = userIds.filter((id) => !done.has(id));
  let trashed = 0;
  const failed: { userId: string; error: string }[] = [];
  for (let i = 0; i < todo.length; i += USER_LIST_CHUNK) {
    const chunk = todo.slice(i, i + USER_LIST_CHUNK);
    const write = await session.write({ op: 'trash', user_ids: chunk }, () => sendUsersToTrash(client, chunk));
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
  const user = await getUserOrNull(client, userId);
  return user === null || user.status === TRASHED;
}


/**
 * Renames users back to their original names, in a safe order, only those that still have the names
 * the run gave them (the others are `skipped`, with their names now); users already there are passed
 * over, and users that no longer exist (deleted since) are reported in `missing`. Their current names are
 * read 100 names per call, looking where the migrate left them and where they started; a user
 * found under neither is read on its own.
 */
export async function restoreNames(
  session: RunSession,
  restore: readonly Restore[],
  bulk?: BulkMode,
  later: LaterWrites = new Map(),
): Promise<{ results: RenameResult[]; already: number; missing: string[]; skipped: SkippedUndo[] }> {
  const users = await readUsersById(session.client, restore.map((r) => r.userId), restore.flatMap((r) => [r.last.username, r.original.username]));
  const { renames, skipped, already, missing } = decideNames(restore, users, later);
  const results = await applyRenames(session, renames, undefined, bulk);
  return { results, already, missing, skipped };
}
