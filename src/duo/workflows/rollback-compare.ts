import { type DuoUser, TRASHED } from '../api/users-api.js';

import type { FieldStep } from '../journal/journal.js';
import { IN_TRASH, MEMBER, NOT_IN_TRASH, NOT_MEMBER, splitWriteKey, writeKey, type Written } from '../journal/run-history.js';

import type { Rename } from '../writes/renames.js';
import { namesOf, sameNames, type DuoNames } from '../tenant/duo-names.js';


/**
 * Rollback's compare-and-set (contract §6): a value is set back only while it is still the value the
 * run wrote. Pure: the values come in (read from Duo just before the write, and from later runs'
 * journals), verdicts go out; rollback.ts does the reading and the writing.
 */

/** Who changed a value when no later run's journal in the journal's folder wrote what Duo holds now. */
export const SOMEONE_IN_DUO = 'someone in Duo';

/** What a later duo-bridge run (its journal in the same folder) last wrote to a thing of a user. */
export interface LaterWrite {
  readonly journal: string;
  readonly value: Written;
}

/** By writeKey (see run-history.ts). */
export type LaterWrites = ReadonlyMap<string, LaterWrite>;

/** write: set `before` back · already: Duo holds `before` (nothing to do) · by: changed since, by whom: skipped. */
export type Verdict = 'write' | 'already' | { readonly by: string };

/** An undo not done because the value changed since the run: listed with the value Duo holds now. */
export interface SkippedUndo {
  readonly user_id: string;
  /** Its username as read from Duo (null when Duo was not read). */
  readonly username: string | null;
  /** The thing: a field (status, email…), `names`, `group <group_id>` or `trash`. */
  readonly what: string;
  /** The value the run wrote there. */
  readonly wrote: string;
  /** The value there now (as read from Duo; without Duo, what the later run wrote). */
  readonly current: string;
  /** A later run's journal, or "someone in Duo". */
  readonly by: string;
}

export function sameValue(a: Written, b: Written): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return sameNames(a, b);
}

export function valueText(value: Written): string {
  if (typeof value === 'string') return value;
  const aliases = Object.values(value.aliases);
  return aliases.length === 0 ? value.username : `${value.username} (aliases ${aliases.join(', ')})`;
}

/**
 * The one compare rule. Already `before`: nothing to write (whoever put it back). Still what the
 * run wrote, and no later run wrote it since: set it back. Otherwise someone changed it since
 * (a later run that wrote the value there now, or someone in Duo): skipped. A later run that wrote
 * the very value this run wrote (run A disables, B enables, C disables) counts too: the value is C's.
 */
export function compareUndo(change: { before: Written; after: Written; current: Written; later?: LaterWrite | undefined }): Verdict {
  const { before, after, current, later } = change;
  if (sameValue(current, before)) return 'already';
  if (later === undefined && sameValue(current, after)) return 'write';
  return { by: later !== undefined && sameValue(later.value, current) ? later.journal : SOMEONE_IN_DUO };
}

/** Users as read from Duo just before the writes (null: deleted); null for all: not read (a preview without credentials). */
export type CurrentUsers = ReadonlyMap<string, DuoUser | null> | null;

/** Duo not read: what Duo holds is taken to be what the last run that wrote it wrote. */
function currentOr(users: CurrentUsers, later: LaterWrite | undefined, after: Written, read: (users: ReadonlyMap<string, DuoUser | null>) => Written): Written {
  return users === null ? later?.value ?? after : read(users);
}

function judge(skipped: SkippedUndo[], user: { id: string; read: DuoUser | null | undefined }, what: string, change: { before: Written; after: Written; current: Written; later: LaterWrite | undefined }): Verdict {
  const verdict = compareUndo(change);
  if (typeof verdict === 'object') {
    skipped.push({ user_id: user.id, username: user.read?.username ?? null, what, wrote: valueText(change.after), current: valueText(change.current), by: verdict.by });
  }
  return verdict;
}

const isTrashed = (user: DuoUser | null | undefined): boolean => user?.status === TRASHED;

/** Per field (status included): set back only where Duo still holds the run's value. */
export function decideFields(
  fields: readonly { readonly userId: string; readonly before: Readonly<Record<string, string>>; readonly after: Readonly<Record<string, string>> }[],
  users: CurrentUsers,
  later: LaterWrites,
): { steps: FieldStep[]; skipped: SkippedUndo[] } {
  const steps: FieldStep[] = [];
  const skipped: SkippedUndo[] = [];
  for (const { userId, before, after } of fields) {
    const user = users?.get(userId);
    // A user deleted or in the Trash since has no fields to set back (as before this rule).
    if (users !== null && (user == null || isTrashed(user))) continue;
    const step: FieldStep = { user_id: userId, before: {}, after: {} };
    for (const [field, value] of Object.entries(before)) {
      const wrote = after[field];
      if (wrote === undefined) continue;
      const key = writeKey(userId, field);
      const current = currentOr(users, later.get(key), wrote, () => String((user as unknown as Record<string, unknown>)[field] ?? ''));
      if (judge(skipped, { id: userId, read: user }, field, { before: value, after: wrote, current, later: later.get(key) }) !== 'write') continue;
      step.before[field] = current as string;
      step.after[field] = value;
    }
    if (Object.keys(step.after).length > 0) steps.push(step);
  }
  return { steps, skipped };
}

/** Renames back only while the user still has the names the run gave it. */
export function decideNames(
  restore: readonly { readonly userId: string; readonly original: DuoNames; readonly last: DuoNames }[],
  users: CurrentUsers,
  later: LaterWrites,
): { renames: Rename[]; skipped: SkippedUndo[]; already: number; missing: string[] } {
  const renames: Rename[] = [];
  const skipped: SkippedUndo[] = [];
  const missing: string[] = [];
  let already = 0;
  for (const { userId, original, last } of restore) {
    const user = users?.get(userId);
    if (users !== null && user == null) {
      missing.push(userId);
      continue;
    }
    const key = writeKey(userId, 'names');
    const current = currentOr(users, later.get(key), last, () => namesOf(user!)) as DuoNames;
    const verdict = judge(skipped, { id: userId, read: user }, 'names', { before: original, after: last, current, later: later.get(key) });
    if (verdict === 'write') renames.push({ userId, from: current, to: original });
    else if (verdict === 'already') already++;
  }
  return { renames, skipped, already, missing };
}

/** Out of the Trash only while the user is still there (a sync's trash undone). */
export function decideUntrash(userIds: readonly string[], users: CurrentUsers, later: LaterWrites): { todo: string[]; skipped: SkippedUndo[] } {
  const todo: string[] = [];
  const skipped: SkippedUndo[] = [];
  for (const id of userIds) {
    const key = writeKey(id, 'trash');
    const user = users?.get(id);
    if (users !== null && user == null) {
      skipped.push({ user_id: id, username: null, what: 'trash', wrote: IN_TRASH, current: 'deleted for good', by: 'Duo (the Trash period ended)' });
      continue;
    }
    const current = currentOr(users, later.get(key), IN_TRASH, () => (isTrashed(user) ? IN_TRASH : NOT_IN_TRASH));
    if (judge(skipped, { id, read: user }, 'trash', { before: NOT_IN_TRASH, after: IN_TRASH, current, later: later.get(key) }) === 'write') todo.push(id);
  }
  return { todo, skipped };
}

/**
 * A user the run took out of the Trash goes back only while it is as the run left it: out of the
 * Trash with the status the run left (an admin who disabled it since has taken it over). One
 * already back in the Trash, or deleted for good, needs nothing.
 */
export function decideRetrash(restored: readonly { readonly userId: string; readonly status: string }[], users: CurrentUsers, later: LaterWrites): { todo: string[]; skipped: SkippedUndo[] } {
  const todo: string[] = [];
  const skipped: SkippedUndo[] = [];
  for (const { userId, status } of restored) {
    const user = users?.get(userId);
    if (users !== null && user == null) continue;
    const key = writeKey(userId, 'status');
    const current = currentOr(users, later.get(key), status, () => user!.status ?? '');
    if (judge(skipped, { id: userId, read: user }, 'status', { before: TRASHED, after: status, current, later: later.get(key) }) === 'write') todo.push(userId);
  }
  return { todo, skipped };
}

type Membership = { readonly user_id: string; readonly group_id: string };

/**
 * A membership the run added is removed only while present, one it removed added back only while
 * absent. Either is idempotent in Duo, but one a later run re-made is that run's and stays; one
 * already as before is said (`already`), not skipped.
 */
export function decideMemberships(
  added: readonly Membership[],
  removed: readonly Membership[],
  users: CurrentUsers,
  later: LaterWrites,
): { remove: Membership[]; addBack: Membership[]; skipped: SkippedUndo[]; already: { user_id: string; what: string; current: string }[] } {
  const skipped: SkippedUndo[] = [];
  const already: { user_id: string; what: string; current: string }[] = [];
  const groupsOf = (id: string): Set<string> | null => {
    const user = users?.get(id);
    return user == null ? null : new Set(((user.groups ?? []) as { group_id?: string }[]).map((g) => g.group_id ?? ''));
  };
  const decide = (list: readonly Membership[], after: string, before: string): Membership[] => list.filter((m) => {
    const what = `group ${m.group_id}`;
    const key = writeKey(m.user_id, what);
    // A user deleted since takes its memberships with it: nothing to undo.
    if (users !== null && users.get(m.user_id) == null) return false;
    const current = currentOr(users, later.get(key), after, () => (groupsOf(m.user_id)!.has(m.group_id) ? MEMBER : NOT_MEMBER));
    const verdict = judge(skipped, { id: m.user_id, read: users?.get(m.user_id) }, what, { before, after, current, later: later.get(key) });
    if (verdict === 'already') already.push({ user_id: m.user_id, what, current: current as string });
    return verdict === 'write';
  });
  return { remove: decide(added, MEMBER, NOT_MEMBER), addBack: decide(removed, NOT_MEMBER, MEMBER), skipped, already };
}

/**
 * Users the run created that a later run changed since. They still go to the Trash: they exist
 * because of the run, and undoing it means they should not; what changed is listed.
 */
export function changedSince(userIds: readonly string[], later: LaterWrites): { user_id: string; what: string; by: string }[] {
  const ids = new Set(userIds);
  const changed: { user_id: string; what: string; by: string }[] = [];
  for (const [key, write] of later) {
    const { userId, what } = splitWriteKey(key);
    if (ids.has(userId)) changed.push({ user_id: userId, what, by: write.journal });
  }
  return changed;
}
