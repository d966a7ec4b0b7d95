import { nameKey } from '../../names.js';

import { operationTarget, type BulkOperation } from '../api/bulk-api.js';

import type { FieldStep, Intent, JournalRecord, RenameStep } from './journal.js';
import type { DuoNames } from '../tenant/duo-names.js';

/**
 * What one write may have changed in Duo, in the terms a resume and a rollback reason about. Each
 * kind says, once, how a write whose answer is missing is settled and how it is undone:
 *
 * | effect     | unanswered: settled by                                   | ours when                              | undone by                         |
 * |------------|-----------------------------------------------------------|----------------------------------------|-----------------------------------|
 * | user       | reading the name; Duo's `created` inside the write's window | its user_id came back, or was claimed | disable, then send to the Trash   |
 * | aliases    | repeating it (idempotent)                                  | —                                      | goes with its user                |
 * | rename     | reading the user back                                      | —                                      | renaming back to the first names  |
 * | status     | reading the user back                                      | —                                      | (rollback's own step)             |
 * | fields     | reading the user back                                      | —                                      | writing the first values back (a rename's fields: none journaled) |
 * | membership | nothing: undone anyway, a 404 counts as done               | announced and not refused              | removing it (if the user stays); a removal: adding it back |
 * | group      | listing groups: that name found later is the run's         | its group_id came back, or was claimed | named, never deleted              |
 * | phone      | finding an unattached phone of that number                 | its phone_id came back, or was claimed | deleting the phone                |
 * | attach     | nothing: undone anyway, a 404 counts as done               | announced and not refused              | detaching (if user and phone stay)|
 * | token      | nothing: undone anyway, a 404 counts as done               | announced and not refused              | detaching (if the user stays)     |
 * | message    | never: an unanswered email or text counts as sent          | —                                      | cannot be                         |
 * | trash      | reading the user: "pending deletion" or gone               | —                                      | restoring it (sync); rollback's own step otherwise |
 * | restore    | reading the user                                           | announced and not refused              | back to the Trash                 |
 *
 * `WRITE_KINDS` maps every journaled intent to its effects. A new kind of write is one entry there,
 * its Intent (journal.ts) and its endpoint (api/); only a new kind of *effect* also needs its replay
 * (run-history.ts: announce, answer, withdraw) and its undo (workflows/rollback.ts).
 */
export type Effect =
  | { readonly kind: 'user'; readonly username: string; readonly user_id?: string }
  | { readonly kind: 'aliases'; readonly username: string }
  | { readonly kind: 'rename'; readonly user_id: string; readonly before: DuoNames; readonly after: DuoNames }
  | { readonly kind: 'status'; readonly user_id: string; readonly status: string }
  | { readonly kind: 'fields'; readonly user_id: string; readonly before: Readonly<Record<string, string>>; readonly after: Readonly<Record<string, string>> }
  | { readonly kind: 'membership'; readonly user_id: string; readonly group_id: string; readonly removed: boolean }
  | { readonly kind: 'group'; readonly name: string; readonly group_id?: string }
  | { readonly kind: 'phone'; readonly number: string; readonly extension: string; readonly phone_id?: string; readonly deleted?: boolean }
  | { readonly kind: 'attach'; readonly user_id: string; readonly phone_id: string; readonly removed: boolean }
  /** A hardware token attached to (or detached from) a user: duo-bridge never creates or deletes a token. */
  | { readonly kind: 'token'; readonly user_id: string; readonly token_id: string; readonly removed: boolean }
  | { readonly kind: 'message'; readonly key: string }
  | { readonly kind: 'trash'; readonly user_id: string }
  | { readonly kind: 'restore'; readonly user_id: string };

export type OutcomeRecord = Extract<JournalRecord, { t: 'outcome' }>;

type KindTable = { readonly [Op in Intent['op']]: (intent: Extract<Intent, { op: Op }>, answer: OutcomeRecord | null) => Effect[] };

/**
 * Every kind of write, and what it may have changed: with `answer` null or not ok, everything it
 * announced; with an ok answer, what that answer says (the ids Duo returned, the operations it
 * listed as failed left out).
 */
export const WRITE_KINDS: KindTable = {
  create: (intent, answer) => usersOf(intent.usernames, answer),
  bulk_create: (intent, answer) => usersOf(intent.usernames, answer),
  aliases: (intent) => [{ kind: 'aliases', username: intent.usernames[0] }],
  rename: (intent) => [
    { kind: 'rename', user_id: intent.user_id, before: intent.before, after: intent.after },
    ...renameFields(intent.user_id, intent.fields ?? {}),
  ],
  bulk: (intent, answer) => {
    const failed = new Set(answer?.status === 'ok' ? answer.failed_operations ?? [] : []);
    const renames = new Map((intent.renames ?? []).map((step) => [step.user_id, step]));
    const updates = new Map((intent.updates ?? []).map((step) => [step.user_id, step]));
    return intent.operations.flatMap((operation, i) => (failed.has(i) ? [] : operationEffects(operation, renames, updates, answer)));
  },
  group_create: (intent, answer) => [{ kind: 'group', name: intent.name, ...(answer?.group_id ? { group_id: answer.group_id } : {}) }],
  membership: (intent) => [{ kind: 'membership', user_id: intent.user_id, group_id: intent.group_id, removed: false }],
  membership_remove: (intent) => [{ kind: 'membership', user_id: intent.user_id, group_id: intent.group_id, removed: true }],
  phone_create: (intent, answer) => [{ kind: 'phone', number: intent.number, extension: intent.extension, ...(answer?.phone_id ? { phone_id: answer.phone_id } : {}) }],
  phone_attach: (intent) => [{ kind: 'attach', user_id: intent.user_id, phone_id: intent.phone_id, removed: false }],
  phone_detach: (intent) => [{ kind: 'attach', user_id: intent.user_id, phone_id: intent.phone_id, removed: true }],
  phone_delete: (intent) => [{ kind: 'phone', number: '', extension: '', phone_id: intent.phone_id, deleted: true }],
  token_attach: (intent) => [{ kind: 'token', user_id: intent.user_id, token_id: intent.token_id, removed: false }],
  token_detach: (intent) => [{ kind: 'token', user_id: intent.user_id, token_id: intent.token_id, removed: true }],
  enroll: (intent) => [{ kind: 'message', key: enrollmentKey(intent.username) }],
  sms_activation: (intent) => [{ kind: 'message', key: activationKey(intent.phone_id) }],
  trash: (intent) => intent.user_ids.map((user_id) => ({ kind: 'trash', user_id })),
  restore: (intent) => intent.user_ids.map((user_id) => ({ kind: 'restore', user_id })),
  status: (intent) => [{ kind: 'status', user_id: intent.user_id, status: intent.status }],
  update: (intent) => fieldEffects(intent),
};

function fieldEffects(step: FieldStep): Effect[] {
  const effects: Effect[] = [{ kind: 'fields', user_id: step.user_id, before: step.before, after: step.after }];
  if (step.after.status !== undefined) effects.push({ kind: 'status', user_id: step.user_id, status: step.after.status });
  return effects;
}

/**
 * Field values a rename also set (import --update, migrate): journaled without the values before,
 * so a rollback does not set them back, but a later run's rollback sees that this run wrote them.
 */
function renameFields(user_id: string, fields: Readonly<Record<string, string>>): Effect[] {
  if (Object.keys(fields).length === 0) return [];
  const effects: Effect[] = [{ kind: 'fields', user_id, before: {}, after: { ...fields } }];
  if (fields.status !== undefined) effects.push({ kind: 'status', user_id, status: fields.status });
  return effects;
}

export const enrollmentKey = (username: string): string => `enroll ${nameKey(username)}`;
export const activationKey = (phoneId: string): string => `sms ${phoneId}`;

/** The effects a journaled intent announces, given its answer (null: none yet). */
export function effectsOf(intent: Intent, answer: OutcomeRecord | null): Effect[] {
  return (WRITE_KINDS[intent.op] as (intent: Intent, answer: OutcomeRecord | null) => Effect[])(intent, answer);
}

function usersOf(usernames: readonly string[], answer: OutcomeRecord | null): Effect[] {
  const ids = new Map((answer?.status === 'ok' ? answer.created ?? [] : []).map((c) => [nameKey(c.username), c.user_id]));
  return usernames.map((username) => {
    const user_id = ids.get(nameKey(username));
    return { kind: 'user', username, ...(user_id ? { user_id } : {}) };
  });
}

function operationEffects(
  operation: BulkOperation,
  renames: ReadonlyMap<string, RenameStep>,
  updates: ReadonlyMap<string, FieldStep>,
  answer: OutcomeRecord | null,
): Effect[] {
  const target = operationTarget(operation);
  switch (target?.kind) {
    case 'add_membership':
    case 'remove_membership':
      return [{ kind: 'membership', user_id: target.user_id, group_id: target.group_id, removed: target.kind === 'remove_membership' }];
    case 'create_user':
      return usersOf([target.user.username ?? ''], answer);
    case 'modify_user': {
      const update = updates.get(target.user_id);
      if (update) return fieldEffects(update);
      const step = renames.get(target.user_id);
      const { username: _username, aliases: _aliases, ...fields } = target.changes;
      return [...(step ? [{ kind: 'rename' as const, ...step }] : []), ...renameFields(target.user_id, fields)];
    }
    default:
      return [];
  }
}
