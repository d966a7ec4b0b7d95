import type { DuoClient } from '../api/client.js';
import { listGroups } from '../api/groups-api.js';
import { readUsersById, type DuoUser } from '../api/users-api.js';
import { changedSince, decideFields, decideMemberships, decideNames, decideRetrash, decideUntrash, type SkippedUndo } from './rollback-compare.js';
import type { RollbackPlan } from './rollback.js';

/** What the compare says before anything is written: shown in the preview, decided again just before each write. */
export interface RollbackCheck {
  /** Whether Duo was read; false: only later runs' journals were (a preview without credentials). */
  readonly compared: boolean;
  /** Undos whose value changed since the run: skipped, with the value there now and who changed it. */
  readonly skipped: readonly SkippedUndo[];
  /** Memberships already as before the run: nothing to do. */
  readonly already: readonly { readonly user_id: string; readonly what: string; readonly current: string }[];
  /** Users the run created that a later run changed since: still sent to the Trash. */
  readonly changedSince: readonly { readonly user_id: string; readonly what: string; readonly by: string }[];
  /** The users' and groups' names as Duo (or the journal) has them, by id: what a page shows beside each id. */
  readonly names: { readonly users: Readonly<Record<string, string>>; readonly groups: Readonly<Record<string, string>> };
}

/**
 * The compare of every undo against Duo as it is now (or, without a client, against what later
 * runs' journals say): what the preview shows. rollbackRun decides again just before each write.
 */
export async function checkRollback(plan: RollbackPlan, client: DuoClient | null): Promise<RollbackCheck> {
  const { devices, later } = plan;
  const ids = [
    ...plan.fields.map((f) => f.userId), ...plan.restore.map((r) => r.userId), ...plan.untrash, ...plan.restored.map((r) => r.userId),
    ...devices.memberships.map((m) => m.user_id), ...devices.removedMemberships.map((m) => m.user_id),
  ];
  const users = client === null ? null : await readUsersById(client, ids, plan.restore.flatMap((r) => [r.last.username, r.original.username]));
  const memberships = decideMemberships(devices.memberships, devices.removedMemberships, users, later);
  return {
    compared: users !== null,
    skipped: [
      ...decideUntrash(plan.untrash, users, later).skipped, ...decideRetrash(plan.restored, users, later).skipped, ...memberships.skipped,
      ...decideNames(plan.restore, users, later).skipped, ...decideFields(plan.fields, users, later).skipped,
    ],
    already: memberships.already,
    changedSince: changedSince(plan.trash.filter((id) => !plan.restored.some((r) => r.userId === id)), later),
    names: await namesOf(plan, users, client),
  };
}

/** Each user's username and each group's name that Duo showed or the journal kept (an id nobody names stays an id). */
async function namesOf(plan: RollbackPlan, users: ReadonlyMap<string, DuoUser | null> | null, client: DuoClient | null): Promise<RollbackCheck['names']> {
  const names: Record<string, string> = Object.fromEntries(plan.usernames);
  for (const r of plan.restore) names[r.userId] ??= r.original.username;
  const groups: Record<string, string> = {};
  for (const [id, user] of users ?? []) {
    if (user === null) continue;
    names[id] = user.username;
    for (const g of (user.groups ?? []) as { group_id?: unknown; name?: unknown }[]) if (typeof g.group_id === 'string' && typeof g.name === 'string') groups[g.group_id] = g.name;
  }
  // A membership the run removed is not on its user any more: its group is named from the groups listing (a few calls).
  const unnamed = [...plan.devices.memberships, ...plan.devices.removedMemberships].some((m) => groups[m.group_id] === undefined);
  if (client !== null && unnamed) for await (const g of listGroups(client)) groups[g.group_id] ??= g.name;
  return { users: names, groups };
}
