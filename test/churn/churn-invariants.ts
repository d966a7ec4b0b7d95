import { nameKey } from '../../src/names.js';
import { syncSummary } from '../../src/duo/sync/sync-summary.js';
import { guidOf } from './churn-ad.js';
import { destructiveKeys, TRASHED, type Change, type Snapshot } from './churn-duo.js';
import { isLive, type RunCheck, type World } from './churn-world.js';

/*
 * The sync issue's invariants (#26, "The proof"), one small function each. Each returns what it
 * found wrong, every message naming the user; the runner adds the day. They encode what sync
 * *must* do, so today's code is expected to break some of them.
 */

export type RunInvariant = (w: World, c: RunCheck) => string[];

const DAY_MS = 86_400_000;
const userDelete = /^\/admin\/v1\/users\/[A-Z0-9]+$/;

function deletes(requests: readonly { method: string; path: string; body: string }[]): string[] {
  const found: string[] = [];
  for (const r of requests) {
    if (r.method === 'DELETE' && userDelete.test(r.path)) found.push(r.path.split('/').pop()!);
    if (r.method === 'POST' && r.path === '/admin/v1/bulk') {
      const ops = JSON.parse(r.body).operations as { method: string; path: string }[] | string;
      for (const op of typeof ops === 'string' ? JSON.parse(ops) : ops) if (op.method === 'DELETE' && userDelete.test(op.path)) found.push(op.path.split('/').pop());
    }
  }
  return found;
}

/** Never a DELETE of a user (the Trash is the only way out), by sync or by a rollback. */
export function neverDeletesAUser(w: World, c: { changes: readonly Change[]; requests: readonly { method: string; path: string; body: string }[] }): string[] {
  return [
    ...deletes(c.requests).map((id) => `sent DELETE /admin/v1/users/${id} for ${w.describeUser(id)}`),
    ...c.changes.filter((x) => x.field === 'vanished').map((x) => `${x.from} (${x.user_id}) is gone from Duo`),
  ];
}

/**
 * Never two live Duo users for one AD person: a user bound to the person, or not bound to anyone
 * in AD and carrying its evidence (external_id = objectGUID, the same email, or one of its names).
 * Counted when this run created one of them: an admin's duplicates, or an AD rename onto a name an
 * unmanaged Duo user holds, are not sync's doing (the second is a conflict to report).
 */
export const oneDuoUserPerPerson: RunInvariant = (w, c) => {
  const inAd = new Set([...w.people.values()].map((p) => guidOf(p.id)));
  const boundToAd = new Map<string, string>();
  for (const [guid, id] of w.binding) if (inAd.has(guid)) boundToAd.set(id, guid);
  const found: string[] = [];
  for (const p of w.people.values()) {
    const guid = guidOf(p.id);
    const matches = [...c.after.values()].filter((u) => isLive(u) && (boundToAd.get(u.user_id) === guid || (!boundToAd.has(u.user_id) && (
      u.external_id === guid || (u.email !== '' && u.email.toLowerCase() === p.mail.toLowerCase()) || [u.username, ...u.aliases.split(' ')].some((n) => n !== '' && nameKey(n) === nameKey(p.sam))))));
    if (matches.length > 1 && matches.some((u) => c.created.has(u.user_id))) {
      found.push(`AD user ${p.sam} (guid ${guid}, mail ${p.mail}) has ${matches.length} live Duo users: ${matches.map((u) => `${u.username} (${u.user_id}, email ${u.email || '-'}${w.createdBy.has(u.user_id) ? ', created by sync' : ''})`).join(', ')}`);
    }
  }
  return found;
};

/** Never a create of a name or an email a live Duo user already holds. */
export const neverCreatesAHeldNameOrEmail: RunInvariant = (_w, c) => {
  const found: string[] = [];
  for (const id of c.created.keys()) {
    const made = c.after.get(id)!;
    const names = new Set([made.username, ...made.aliases.split(' ')].filter(Boolean).map(nameKey));
    for (const u of c.before.values()) {
      if (!isLive(u)) continue;
      const sameName = [u.username, ...u.aliases.split(' ')].filter(Boolean).some((n) => names.has(nameKey(n)));
      const sameEmail = made.email !== '' && u.email.toLowerCase() === made.email.toLowerCase();
      if (sameName || sameEmail) found.push(`created ${made.username} (${id}) although ${u.username} (${u.user_id}) holds its ${sameName ? 'name' : `email ${made.email}`}`);
    }
  }
  return found;
};

/** A Duo user sync does not own (not in the state, not created or adopted by it) is never changed. */
export const neverChangesAnUnownedUser: RunInvariant = (w, c) => {
  const owned = new Set([...c.stateBefore.values(), ...w.binding.values(), ...c.created.keys()]);
  for (const a of c.plan?.actions ?? []) if (a.kind === 'adopt') owned.add(a.user_id);
  const changed = new Set(c.changes.filter((x) => x.field !== 'created').map((x) => x.user_id));
  return [...changed].filter((id) => !owned.has(id)).map((id) =>
    `changed ${w.describeUser(id, c.before.get(id))}, which it does not own: ${c.changes.filter((x) => x.user_id === id).map((x) => `${x.field} ${JSON.stringify(x.from)} → ${JSON.stringify(x.to)}`).join(', ')}`);
};

/** A user an admin disabled is never enabled by sync. */
export const neverEnablesWhatAnAdminDisabled: RunInvariant = (w, c) =>
  c.changes.filter((x) => x.field === 'status' && x.from === 'disabled' && x.to !== 'disabled' && x.to !== TRASHED && w.adminDisabled.has(x.user_id))
    .map((x) => `enabled ${w.describeUser(x.user_id, c.after.get(x.user_id))}, which an admin had disabled by hand`);

/**
 * After an exit 0 on complete reads, every owned user absent from AD or disabled there is
 * disabled (or in the Trash), unless the summary names real drift: a status someone other than
 * sync set since sync and Duo last agreed.
 */
export const exit0LeavesNoLeaverActive: RunInvariant = (w, c) => {
  if (c.result === null || c.result.exitCode !== 0 || c.dump.incomplete || !c.listingComplete) return [];
  const present = new Map(c.dump.people.map((p) => [guidOf(p.id), p]));
  const found: string[] = [];
  for (const [guid, id] of w.binding) {
    const person = present.get(guid);
    if (person !== undefined && !person.disabled) continue;
    // Without replication rights DirSync shows no deletion: an incremental run leaves a leaver to the next full read (--full-read-every).
    if (person === undefined && c.result.read.kind === 'changes') continue;
    const u = c.after.get(id);
    if (u === undefined || u.status === 'disabled' || u.status === TRASHED) continue;
    const named = c.result.plan.drift.some((d) => d.guid === guid && d.kind === 'status');
    if (named && w.genuineStatusDrift(id, u.status)) continue;
    // An incremental run names the drift of the users it read; an admin's older change is named by every full read.
    if (c.result.read.kind === 'changes' && w.genuineStatusDrift(id, u.status)) continue;
    found.push(`exit 0, but ${w.describeUser(id, u)} is ${u.status} in Duo while ${person === undefined ? 'absent from AD' : 'disabled in AD'}` +
      `${named ? ` (the summary calls it drift, but ${(w.writer.get(`${id} status`) ?? '').startsWith('rollback:') ? 'a rollback set that status: runs after a rollback converge to AD' : 'sync and Duo had agreed on that status since: it is an ordinary managed user'})` : ''}`);
  }
  return found;
};

/** After an exit 4, nothing destructive happened beyond what an approval in that run released. */
export const exit4HoldsEverythingDestructive: RunInvariant = (w, c) => {
  if (c.result?.exitCode !== 4) return [];
  const released = c.approved?.seen ?? new Set<string>();
  return destructiveKeys(c.changes).filter((k) => !k.startsWith('delete:') && !released.has(k))
    .map((k) => `exit 4 (held), yet ${k.split(':')[0]} of ${w.describeUser(k.split(':')[1]!, c.after.get(k.split(':')[1]!))}${k.split(':')[2] ? ` from ${k.split(':')[2]}` : ''} went through, which no approval in this run released`);
};

/**
 * --approve ID releases exactly what the admin saw under ID: an action some printed plan held under
 * ID, but not the one the admin reviewed, goes only if the run would do it without the approval.
 * (An action no plan ever held is judged as any run's would be: not here.)
 */
export const approvalReleasesWhatWasSeen: RunInvariant = (w, c) => {
  if (c.approved === null || c.allowedWithout === null) return [];
  const { id, seen, underId } = c.approved;
  return destructiveKeys(c.changes).filter((k) => underId.has(k) && !seen.has(k) && !c.allowedWithout!.has(k))
    .map((k) => `--approve ${id} released ${k.split(':')[0]} of ${w.describeUser(k.split(':')[1]!, c.after.get(k.split(':')[1]!))}, ` +
      `held under ${id} only after the plan the admin reviewed (${seen.size} held; ${underId.size} held under that id in all)`);
};

/** A complete read that shrank past max-shrink-percent since the last run's is no license to disable (approval or not). */
export const shrinkDisablesNothing: RunInvariant = (w, c) => {
  if (c.dump.incomplete || c.dump.people.length === 0 || w.baseline === null) return [];
  if (c.dump.people.length >= w.baseline * (1 - w.maxShrinkPercent / 100)) return [];
  // An incremental run can't see a shrink (a deletion waits for a full read): it may disable only a
  // user the directory still holds, disabled, as DirSync reported it.
  const disabledInAd = new Set(c.result?.read.kind === 'changes' ? c.dump.people.filter((p) => p.disabled).flatMap((p) => w.binding.get(guidOf(p.id)) ?? []) : []);
  return destructiveKeys(c.changes).filter((k) => (k.startsWith('disable:') && !disabledInAd.has(k.split(':')[1]!)) || k.startsWith('trash:'))
    .map((k) => `AD shrank from ${w.baseline} to ${c.dump.people.length} users (max-shrink-percent ${w.maxShrinkPercent}), yet ${k.split(':')[0]} of ${w.describeUser(k.split(':')[1]!, c.after.get(k.split(':')[1]!))} went through`);
};

/** An incomplete read of either side (a referral in the dump, a short Duo listing) does nothing destructive and forgets no one. */
export const incompleteReadIsHarmless: RunInvariant = (w, c) => {
  if (!c.dump.incomplete && c.listingComplete) return [];
  const why = c.dump.incomplete ? 'the AD dump had a referral (# refldap://)' : 'the Duo listing was short of total_objects';
  const found = destructiveKeys(c.changes).map((k) => `${why}, yet ${k.split(':')[0]} of ${w.describeUser(k.split(':')[1]!, c.after.get(k.split(':')[1]!))} went through`);
  for (const [guid, id] of c.stateBefore) {
    const now = c.stateAfter.get(guid);
    if (now !== id) found.push(`${why}, yet the state ${now === undefined ? 'forgot' : `re-bound (to ${now})`} ${w.describeUser(id, c.before.get(id))}`);
  }
  return found;
};

/** ... and says so: an incomplete read is never "in sync" (exit 0 with nothing held). Assumes today's API: an exit code or a hold reason. */
export const incompleteReadIsReported: RunInvariant = (_w, c) => {
  if (c.result === null || (!c.dump.incomplete && c.listingComplete)) return [];
  if (c.result.exitCode !== 0 || c.result.plan.hold_reasons.length > 0) return [];
  return [`${c.dump.incomplete ? 'the AD dump had a referral (# refldap://)' : 'the Duo listing was short of total_objects'}, yet the run exited 0 and said nothing of it`];
};

/** An --apply run whose destructive part was held says it applied with a hold (contract §6). */
export const heldApplyReportsApply: RunInvariant = (w, c) => {
  if (c.result === null || c.result.exitCode !== 4) return [];
  const summary = syncSummary(c.result, { host: 'churn', statePath: w.statePath, calls: 0, writes: 0, seconds: 0 });
  return summary.mode === 'apply' && summary.held > 0 ? [] : [`an --apply run held ${summary.held} actions and exited 4, but its summary says "mode": "${summary.mode}"`];
};

/** A user goes to the Trash only after trash-after-days out of AD. */
export const trashOnlyAfterGrace: RunInvariant = (w, c) => {
  const found: string[] = [];
  for (const k of destructiveKeys(c.changes).filter((x) => x.startsWith('trash:'))) {
    const id = k.split(':')[1]!;
    const guid = w.guidOfUser(id);
    const since = guid === undefined ? undefined : w.missingSince.get(guid);
    const days = since === undefined ? null : (c.at.getTime() - since) / DAY_MS;
    if (days === null || days < w.trashAfterDays) {
      found.push(`sent ${w.describeUser(id, c.before.get(id))} to the Trash ${days === null ? 'while it is in AD' : `after ${days.toFixed(1)} days out of AD`} (trash-after-days ${w.trashAfterDays})`);
    }
  }
  return found;
};

export const RUN_INVARIANTS: Readonly<Record<string, RunInvariant>> = {
  neverDeletesAUser: (w, c) => neverDeletesAUser(w, c),
  neverCreatesAHeldNameOrEmail,
  oneDuoUserPerPerson,
  neverChangesAnUnownedUser,
  neverEnablesWhatAnAdminDisabled,
  incompleteReadIsHarmless,
  incompleteReadIsReported,
  shrinkDisablesNothing,
  exit4HoldsEverythingDestructive,
  approvalReleasesWhatWasSeen,
  heldApplyReportsApply,
  trashOnlyAfterGrace,
  exit0LeavesNoLeaverActive,
};

/**
 * A rollback sets a value back only while it is still the value the run wrote: every value it
 * changes on a user the run did not create was last written by that run.
 */
export function rollbackComparesBeforeWrite(w: World, journal: string, changes: readonly Change[], before: Snapshot): string[] {
  const found: string[] = [];
  for (const x of changes) {
    if (x.field === 'created' || x.field === 'vanished' || x.field === 'groups') continue;
    if (w.createdBy.get(x.user_id) === journal) continue;
    const by = w.valueOwner.get(`${x.user_id} ${x.field}`) ?? w.writer.get(`${x.user_id} ${x.field}`);
    if (by !== `sync:${journal}`) {
      found.push(`rolling back ${journal.split('/').pop()} set ${x.field} of ${w.describeUser(x.user_id, before.get(x.user_id))} from ${JSON.stringify(x.from)} to ${JSON.stringify(x.to)}, ` +
        `but that value was last written by ${by === undefined ? 'nobody since the start' : by.startsWith('sync:') ? `a later sync run (${by.split('/').pop()})` : by.startsWith('rollback:') ? 'another rollback' : 'an admin in Duo'}, not by that run`);
    }
  }
  return found;
}
