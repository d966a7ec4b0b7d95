import { nameKey } from '../../names.js';
import { addUserToGroupOperation, createUserOperation, removeUserFromGroupOperation } from '../api/bulk-api.js';
import type { DuoClient } from '../api/client.js';
import { addUserToGroup, removeUserFromGroup } from '../api/groups-api.js';
import { type NewDuoUser, TRASHED, aliasesParam, createUser, findUsersByNames, getUserOrNull } from '../api/users-api.js';
import { DuoRequestError } from '../../errors.js';
import type { FieldStep } from '../journal/journal.js';
import { toTenantUser, type TenantUser } from '../tenant/tenant.js';
import type { BulkMode } from '../writes/bulk-mode.js';
import type { GroupDirectory } from '../writes/group-directory.js';
import { applyRenames } from '../writes/renames.js';
import type { RunSession } from '../writes/run-session.js';
import { sendUserLists, writeFieldSteps } from '../writes/user-writes.js';
import { FIELD_NAMES } from './ad-values.js';
import type { SyncAction } from './sync-model.js';
import { aliasPairs, namesOf, sameNames } from '../tenant/duo-names.js';

export interface ActionResult {
  readonly action: SyncAction;
  readonly ok: boolean;
  readonly error: string | null;
  /** The user's id after the run (a created user's new id). */
  readonly user_id: string | null;
}

export interface ApplyOutcome {
  readonly results: readonly ActionResult[];
  /** Every user the run acted on, as Duo shows it afterwards (null: no longer in Duo). */
  readonly after: ReadonlyMap<string, TenantUser | null>;
}

/**
 * Applies a plan's actions through the journal, the non-destructive ones first: groups, restores,
 * creates, field changes and re-enables, renames, memberships added; then removals, disables and
 * sends to the Trash. Bulk calls where Duo takes them; every answer is checked by reading the users
 * back afterwards, which is what each action's result says.
 */
export async function applySyncActions(
  session: RunSession,
  actions: readonly SyncAction[],
  groups: GroupDirectory,
  bulk: BulkMode,
): Promise<ApplyOutcome> {
  const { client } = session;
  const errors = new Map<SyncAction, string>();
  const of = <K extends SyncAction['kind']>(...kinds: K[]): Extract<SyncAction, { kind: K }>[] =>
    actions.filter((a): a is Extract<SyncAction, { kind: K }> => (kinds as string[]).includes(a.kind));

  // Groups the plan adds members to: created when missing.
  const groupIds = new Map<string, string>();
  for (const name of new Set([...of('add_membership', 'remove_membership').map((a) => a.group), ...of('create').flatMap((a) => a.groups)])) {
    const group = await groups.ensure(session, name);
    if (typeof group !== 'string') groupIds.set(nameKey(name), group.group_id);
  }

  await sendUserLists(session, 'restore', of('restore').map((a) => a.user_id));

  // Creates: bulk operations carry the aliases; the users are read back and claimed by their creation time.
  const creates = of('create');
  const newUser = (a: (typeof creates)[number]): NewDuoUser => ({ username: a.names.username, ...nonEmpty({ ...a.fields }) });
  const { unsent: singleCreates } = await bulk.send(session, creates, (a) => createUserOperation(newUser(a), aliasesParam(aliasPairs(a.names))));
  for (const a of singleCreates) {
    const write = await session.write({ op: 'create', usernames: [a.names.username] }, () => createUser(client, newUser(a), aliasesParam(aliasPairs(a.names))),
      (user) => ({ created: [{ username: a.names.username, user_id: user.user_id }] }));
    if (write.status === 'refused') errors.set(a, write.error.message);
  }
  const createdIds = new Map<SyncAction, string>();
  if (creates.length > 0) {
    const found = await findUsersByNames(client, creates.map((a) => a.names.username));
    for (const a of creates) {
      const user = found.find((u) => nameKey(u.username) === nameKey(a.names.username));
      if (user === undefined) continue;
      if (await session.claimUser(user)) createdIds.set(a, user.user_id);
      else errors.set(a, `a Duo user named ${user.username} exists that this run did not create`);
    }
  }
  for (const a of creates) {
    const userId = createdIds.get(a);
    if (userId === undefined) continue;
    await addMemberships(session, bulk, a.groups.map((g) => ({ user_id: userId, group_id: groupIds.get(nameKey(g)) ?? '' })).filter((m) => m.group_id !== ''));
  }

  // Field changes and re-enables, one modify per user.
  const fieldSteps = (list: readonly SyncAction[]): FieldStep[] => {
    const steps = new Map<string, FieldStep>();
    for (const a of list) {
      const step = steps.get(a.user_id!) ?? { user_id: a.user_id!, before: {}, after: {} };
      if (a.kind === 'update') {
        Object.assign(step.before, a.before);
        Object.assign(step.after, a.after);
      }
      if (a.kind === 'enable' || a.kind === 'disable') {
        // The status Duo showed, bypass included: what a rollback sets back.
        step.before.status = a.status;
        step.after.status = a.kind === 'enable' ? 'active' : 'disabled';
      }
      steps.set(a.user_id!, step);
    }
    return [...steps.values()];
  };
  await writeFieldSteps(session, bulk, fieldSteps(of('update', 'enable')));

  const renames = of('rename');
  for (const result of await applyRenames(session, renames.map((a) => ({ userId: a.user_id, from: a.from, to: a.to })), undefined, bulk)) {
    if (!result.ok) for (const a of renames) if (a.user_id === result.userId) errors.set(a, result.error ?? 'not renamed');
  }

  const membershipOf = (a: Extract<SyncAction, { kind: 'add_membership' | 'remove_membership' }>) => ({ user_id: a.user_id, group_id: groupIds.get(nameKey(a.group)) ?? '' });
  await addMemberships(session, bulk, of('add_membership').map(membershipOf).filter((m) => m.group_id !== ''));

  // What takes access away comes last: a run cut short has added before it removed.
  const removals = of('remove_membership').map(membershipOf).filter((m) => m.group_id !== '');
  const { unsent: singleRemovals } = await bulk.send(session, removals, (m) => removeUserFromGroupOperation(m.user_id, m.group_id));
  for (const m of singleRemovals) {
    await session.write({ op: 'membership_remove', ...m }, () => removeUserFromGroup(client, m.user_id, m.group_id).catch(notFoundIsDone));
  }
  await writeFieldSteps(session, bulk, fieldSteps(of('disable')));
  await sendUserLists(session, 'trash', of('trash').map((a) => a.user_id));

  const after = await readBack(client, actions, createdIds);
  const results = actions.map((action): ActionResult => {
    const userId = action.kind === 'create' ? createdIds.get(action) ?? null : action.user_id;
    const user = userId === null ? null : after.get(userId) ?? null;
    const error = errors.get(action) ?? verify(action, user);
    return { action, ok: error === null, error, user_id: userId };
  });
  return { results, after };
}

function nonEmpty(fields: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== ''));
}


async function addMemberships(session: RunSession, bulk: BulkMode, memberships: readonly { user_id: string; group_id: string }[]): Promise<void> {
  const { unsent } = await bulk.send(session, memberships, (m) => addUserToGroupOperation(m.user_id, m.group_id));
  for (const m of unsent) await session.write({ op: 'membership', ...m }, () => addUserToGroup(session.client, m.user_id, m.group_id));
}


function notFoundIsDone(error: unknown): null {
  if (error instanceof DuoRequestError && error.status === 404) return null;
  throw error;
}

/** The users the run acted on, read back: 100 names a call by the names they should have now, then one by one for the rest. */
async function readBack(client: DuoClient, actions: readonly SyncAction[], createdIds: ReadonlyMap<SyncAction, string>): Promise<Map<string, TenantUser | null>> {
  const names = new Map<string, string>();
  for (const a of actions) {
    const id = a.kind === 'create' ? createdIds.get(a) : a.user_id;
    if (id === undefined || id === null) continue;
    names.set(id, a.kind === 'rename' ? a.to.username : a.kind === 'create' ? a.names.username : names.get(id) ?? a.username);
  }
  const after = new Map<string, TenantUser | null>();
  for (const user of await findUsersByNames(client, [...new Set(names.values())])) if (names.has(user.user_id)) after.set(user.user_id, toTenantUser(user));
  for (const id of names.keys()) {
    if (after.has(id)) continue;
    const user = await getUserOrNull(client, id);
    after.set(id, user === null ? null : toTenantUser(user));
  }
  return after;
}

/** Whether Duo now shows what the action meant; null when it does. */
function verify(action: SyncAction, user: TenantUser | null): string | null {
  if (action.kind === 'adopt' || action.kind === 'reanchor') return null;
  if (user === null) return action.kind === 'trash' ? null : 'the user is not in Duo';
  const groups = new Set(user.groups.map((g) => nameKey(g.name)));
  switch (action.kind) {
    case 'create':
      return sameNames(namesOf(user), action.names) ? null : 'created with other names';
    case 'restore':
      return user.status !== TRASHED ? null : 'still in the Trash';
    case 'enable':
      return user.status === 'active' ? null : `status is ${user.status}`;
    case 'disable':
      return user.status === 'disabled' ? null : `status is ${user.status}`;
    case 'trash':
      return user.status === TRASHED ? null : `status is ${user.status}`;
    case 'update': {
      const wrong = FIELD_NAMES.filter((f) => f in action.after && (user[f] ?? '') !== action.after[f]);
      return wrong.length === 0 ? null : `${wrong.join(', ')} not changed`;
    }
    case 'rename':
      return sameNames(namesOf(user), action.to) ? null : 'not renamed';
    case 'add_membership':
      return groups.has(nameKey(action.group)) ? null : `not in ${action.group}`;
    case 'remove_membership':
      return groups.has(nameKey(action.group)) ? `still in ${action.group}` : null;
  }
}
