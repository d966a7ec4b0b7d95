import { nameKey } from '../../names.js';

import { modifyUserOperation } from '../api/bulk-api.js';

import { findUsersByNames, getUser, modifyUser } from '../api/users-api.js';

import { BulkMode } from './bulk-mode.js';

import type { RunSession } from './run-session.js';
import { allNames, namesOf, sameNames, type DuoNames } from '../tenant/duo-names.js';


/** One Duo user to move from its current names to new ones (and optionally new field values). */
export interface Rename {
  readonly userId: string;
  readonly from: DuoNames;
  readonly to: DuoNames;
  readonly fields?: Readonly<Record<string, string>>;
}

export interface RenameResult {
  readonly userId: string;
  readonly ok: boolean;
  readonly error: string | null;
}

const tempNames = (userId: string): DuoNames => ({ username: `duo-bridge-tmp-${userId.toLowerCase()}`, aliases: {} });

/**
 * Applies renames in an order that never asks Duo for a name still held by someone else: a rename
 * waits until the users holding its new names have moved away. When the remaining renames wait on
 * each other (a swap or a longer cycle), one of them first moves to a temporary name, which frees
 * its names, and gets its final names afterwards. Every step is journaled as an intent (with the
 * names before and after) and an outcome.
 *
 * With a bulk mode, each wave of renames whose new names are all free goes out as modify operations
 * in /admin/v1/bulk calls. A wave never holds two renames that depend on each other (a name one
 * gives up is taken only in a later wave), so nothing rests on Duo applying a call's operations in
 * order. The users are read back after each call; one not renamed is tried again with a single call.
 */
export async function applyRenames(
  session: RunSession,
  renames: readonly Rename[],
  onStep: (done: number) => void = () => undefined,
  bulk: BulkMode = new BulkMode(0, null),
): Promise<RenameResult[]> {
  const holders = new Map<string, string>();
  const current = new Map<string, DuoNames>();
  for (const r of renames) {
    current.set(r.userId, r.from);
    for (const name of allNames(r.from)) holders.set(nameKey(name), r.userId);
  }
  const results: RenameResult[] = [];
  let pending = [...renames];
  const free = (r: Rename): boolean => allNames(r.to).every((n) => (holders.get(nameKey(n)) ?? r.userId) === r.userId);

  const moved = (r: Rename, to: DuoNames): void => {
    const before = current.get(r.userId)!;
    for (const name of allNames(before)) if (holders.get(nameKey(name)) === r.userId) holders.delete(nameKey(name));
    for (const name of allNames(to)) holders.set(nameKey(name), r.userId);
    current.set(r.userId, to);
  };
  const step = async (r: Rename, to: DuoNames, fields: Readonly<Record<string, string>>): Promise<string | null> => {
    const error = await renameOne(session, r.userId, current.get(r.userId)!, to, fields);
    if (error === null) moved(r, to);
    return error;
  };

  while (pending.length > 0) {
    const first = bulk.size > 0 ? undefined : pending.find(free);
    const wave = bulk.size > 0 ? pending.filter(free) : first === undefined ? [] : [first];
    if (wave.length === 0) {
      // Everyone left waits for someone else: a cycle. Park one on a temporary name to break it.
      const parked = pending.find((r) => !sameNames(current.get(r.userId)!, tempNames(r.userId)))!;
      const error = parked === undefined ? 'rename cycle could not be broken' : await step(parked, tempNames(parked.userId), {});
      if (error === null) continue;
      for (const r of pending) results.push({ userId: r.userId, ok: false, error: `not renamed: ${error}` });
      break;
    }
    const inWave = new Set(wave);
    pending = pending.filter((r) => !inWave.has(r));
    const errors = bulk.size > 0 ? await renameInBulk(session, wave, current, bulk) : new Map<Rename, string | null>();
    for (const r of wave) {
      let error = errors.get(r);
      if (error === undefined) error = await step(r, r.to, r.fields ?? {});
      else if (error === null) moved(r, r.to);
      results.push({ userId: r.userId, ok: error === null, error });
      onStep(results.length);
      if (error !== null) {
        // Its names stay where they are: whoever waits for them cannot be renamed.
        const blocked = pending.filter((p) => allNames(p.to).some((n) => holders.get(nameKey(n)) === r.userId));
        for (const b of blocked) results.push({ userId: b.userId, ok: false, error: `waits for a name of ${r.from.username}, whose rename failed` });
        pending = pending.filter((p) => !blocked.includes(p));
      }
    }
  }
  return unpark(renames, results, current, step);
}

/**
 * A user parked on its temporary name whose rename then failed is never left there: it goes back
 * to the names it had (free: nobody took them, or its rename would not have waited), and its
 * result says it was parked. Only when even that fails does it stay parked, and the result says so.
 */
async function unpark(
  renames: readonly Rename[],
  results: RenameResult[],
  current: ReadonlyMap<string, DuoNames>,
  step: (r: Rename, to: DuoNames, fields: Readonly<Record<string, string>>) => Promise<string | null>,
): Promise<RenameResult[]> {
  const out: RenameResult[] = [];
  for (const result of results) {
    const r = renames.find((x) => x.userId === result.userId);
    if (result.ok || r === undefined || !sameNames(current.get(r.userId)!, tempNames(r.userId))) {
      out.push(result);
      continue;
    }
    const parked = tempNames(r.userId).username;
    const back = await step(r, r.from, {});
    out.push({ ...result, error: back === null
      ? `${result.error} (it had been parked on ${parked} and is back on ${r.from.username})`
      : `${result.error}; it is left parked on ${parked} (moving it back failed: ${back}): rename it back to ${r.from.username} in Duo, or re-run` });
  }
  return out;
}

/**
 * One wave in /admin/v1/bulk calls, then read back by the new usernames: a user now holding
 * exactly its new names is done (null); the others are left out of the map, for a single call.
 */
async function renameInBulk(
  session: RunSession,
  wave: readonly Rename[],
  current: ReadonlyMap<string, DuoNames>,
  bulk: BulkMode,
): Promise<Map<Rename, string | null>> {
  const done = new Map<Rename, string | null>();
  const toSend = wave.filter((r) => {
    if (Object.keys(modifyParams(current.get(r.userId)!, r.to, r.fields ?? {})).length > 0) return true;
    done.set(r, null);
    return false;
  });
  for (let i = 0; i < toSend.length && bulk.size > 0; ) {
    const chunk = toSend.slice(i, i + bulk.size);
    i += chunk.length;
    const operations = chunk.map((r) => modifyUserOperation(r.userId, modifyParams(current.get(r.userId)!, r.to, r.fields ?? {})));
    const steps = chunk.map((r) => ({ user_id: r.userId, before: current.get(r.userId)!, after: r.to }));
    if ((await bulk.sendOne(session, { op: 'bulk', operations, renames: steps })) === null) break;
    const found = new Map((await findUsersByNames(session.client, chunk.map((r) => r.to.username))).map((u) => [u.user_id, u]));
    for (const r of chunk) {
      const user = found.get(r.userId);
      if (user !== undefined && sameNames(namesOf(user), r.to)) done.set(r, null);
    }
  }
  return done;
}

/** The modify call's parameters for a move from `before` to `after`: changed fields, username, alias slots. */
function modifyParams(before: DuoNames, after: DuoNames, fields: Readonly<Record<string, string>>): Record<string, string> {
  const params: Record<string, string> = { ...fields };
  if (before.username !== after.username) params.username = after.username;
  const aliases = aliasChanges(before, after);
  if (aliases !== '') params.aliases = aliases;
  return params;
}

/** One modify call through the guarded write; a lost answer is settled by reading the user back. */
async function renameOne(
  session: RunSession,
  userId: string,
  before: DuoNames,
  after: DuoNames,
  fields: Readonly<Record<string, string>>,
): Promise<string | null> {
  const params = modifyParams(before, after, fields);
  if (Object.keys(params).length === 0) return null;
  for (let attempt = 1; attempt <= 2; attempt++) {
    const write = await session.write({ op: 'rename', user_id: userId, before, after, ...(Object.keys(fields).length ? { fields: { ...fields } } : {}) },
      () => modifyUser(session.client, userId, params));
    if (write.status === 'ok') return null;
    if (write.status === 'refused') return write.error.message;
    if (sameNames(namesOf(await getUser(session.client, userId)), after)) return null;
  }
  return 'Duo did not answer; re-run the same command to resume';
}


/** `alias1=new&alias3=` — the slots to set, and the slots to clear (an empty value removes an alias). */
export function aliasChanges(before: DuoNames, after: DuoNames): string {
  const slots = new Set([...Object.keys(before.aliases), ...Object.keys(after.aliases)]);
  return [...slots]
    .sort()
    .filter((slot) => (before.aliases[slot] ?? '') !== (after.aliases[slot] ?? ''))
    .map((slot) => `${slot}=${encodeURIComponent(after.aliases[slot] ?? '')}`)
    .join('&');
}
