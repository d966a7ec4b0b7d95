import { nameKey } from '../../names.js';
import type { DuoClient } from '../api/client.js';
import type { Journal, JournalNames } from '../journal/journal.js';
import { getUser, modifyUser, type DuoUser } from '../api/users-api.js';
import { guardedWrite } from '../journal/guarded-write.js';

/** One Duo user to move from its current names to new ones (and optionally new field values). */
export interface Rename {
  readonly userId: string;
  readonly from: JournalNames;
  readonly to: JournalNames;
  readonly fields?: Readonly<Record<string, string>>;
}

export interface RenameResult {
  readonly userId: string;
  readonly ok: boolean;
  readonly error: string | null;
}

const names = (n: JournalNames): string[] => [n.username, ...Object.values(n.aliases)];
const tempNames = (userId: string): JournalNames => ({ username: `duo-bridge-tmp-${userId.toLowerCase()}`, aliases: {} });
export const same = (a: JournalNames, b: JournalNames): boolean => {
  const key = (n: JournalNames): string => JSON.stringify([nameKey(n.username), Object.entries(n.aliases).map(([s, v]) => [s, nameKey(v)]).sort()]);
  return key(a) === key(b);
};

/**
 * Applies renames one modify call each, in an order that never asks Duo for a name still held by
 * someone else: a rename waits until the users holding its new names have moved away. When the
 * remaining renames wait on each other (a swap or a longer cycle), one of them first moves to a
 * temporary name, which frees its names, and gets its final names afterwards. Every step is
 * journaled as an intent (with the names before and after) and an outcome.
 */
export async function applyRenames(
  client: DuoClient,
  journal: Journal,
  renames: readonly Rename[],
  onStep: (done: number) => void = () => undefined,
): Promise<RenameResult[]> {
  const holders = new Map<string, string>();
  const current = new Map<string, JournalNames>();
  for (const r of renames) {
    current.set(r.userId, r.from);
    for (const name of names(r.from)) holders.set(nameKey(name), r.userId);
  }
  const results: RenameResult[] = [];
  let pending = [...renames];
  const free = (r: Rename): boolean => names(r.to).every((n) => (holders.get(nameKey(n)) ?? r.userId) === r.userId);

  const step = async (r: Rename, to: JournalNames, fields: Readonly<Record<string, string>>): Promise<string | null> => {
    const before = current.get(r.userId)!;
    const error = await renameOne(client, journal, r.userId, before, to, fields);
    if (error !== null) return error;
    for (const name of names(before)) if (holders.get(nameKey(name)) === r.userId) holders.delete(nameKey(name));
    for (const name of names(to)) holders.set(nameKey(name), r.userId);
    current.set(r.userId, to);
    return null;
  };

  while (pending.length > 0) {
    const ready = pending.find(free);
    if (ready === undefined) {
      // Everyone left waits for someone else: a cycle. Park one on a temporary name to break it.
      const parked = pending.find((r) => !same(current.get(r.userId)!, tempNames(r.userId)))!;
      const error = parked === undefined ? 'rename cycle could not be broken' : await step(parked, tempNames(parked.userId), {});
      if (error === null) continue;
      for (const r of pending) results.push({ userId: r.userId, ok: false, error: `not renamed: ${error}` });
      break;
    }
    pending = pending.filter((r) => r !== ready);
    const error = await step(ready, ready.to, ready.fields ?? {});
    results.push({ userId: ready.userId, ok: error === null, error });
    onStep(results.length);
    if (error !== null) {
      // Its names stay where they are: whoever waits for them cannot be renamed.
      const blocked = pending.filter((r) => names(r.to).some((n) => holders.get(nameKey(n)) === ready.userId));
      for (const r of blocked) results.push({ userId: r.userId, ok: false, error: `waits for a name of ${ready.from.username}, whose rename failed` });
      pending = pending.filter((r) => !blocked.includes(r));
    }
  }
  return results;
}

/** One modify call through the guarded write; a lost answer is settled by reading the user back. */
async function renameOne(
  client: DuoClient,
  journal: Journal,
  userId: string,
  before: JournalNames,
  after: JournalNames,
  fields: Readonly<Record<string, string>>,
): Promise<string | null> {
  const params: Record<string, string> = { ...fields };
  if (before.username !== after.username) params.username = after.username;
  const aliases = aliasChanges(before, after);
  if (aliases !== '') params.aliases = aliases;
  if (Object.keys(params).length === 0) return null;
  for (let attempt = 1; attempt <= 2; attempt++) {
    const write = await guardedWrite(journal, { op: 'rename', user_id: userId, before, after, ...(Object.keys(fields).length ? { fields: { ...fields } } : {}) },
      () => modifyUser(client, userId, params));
    if (write.status === 'ok') return null;
    if (write.status === 'refused') return write.error.message;
    if (same(namesOf(await getUser(client, userId)), after)) return null;
  }
  return 'Duo did not answer; re-run the same command to resume';
}

/** A Duo user's names as a rename step records them. */
export function namesOf(user: DuoUser): JournalNames {
  return { username: user.username, aliases: Object.fromEntries(Object.entries(user.aliases ?? {}).filter(([, v]) => typeof v === 'string' && v !== '')) };
}

/** `alias1=new&alias3=` — the slots to set, and the slots to clear (an empty value removes an alias). */
export function aliasChanges(before: JournalNames, after: JournalNames): string {
  const slots = new Set([...Object.keys(before.aliases), ...Object.keys(after.aliases)]);
  return [...slots]
    .sort()
    .filter((slot) => (before.aliases[slot] ?? '') !== (after.aliases[slot] ?? ''))
    .map((slot) => `${slot}=${encodeURIComponent(after.aliases[slot] ?? '')}`)
    .join('&');
}
