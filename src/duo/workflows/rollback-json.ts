import type { RollbackPlan, RollbackResult } from './rollback.js';

import type { RollbackCheck } from './rollback-check.js';

import type { SkippedUndo } from './rollback-compare.js';
import type { DuoNames } from '../tenant/duo-names.js';


/** What `rollback --format json` prints: what undoing the run does (the preview), and once applied what it did. */
export interface RollbackJson {
  readonly journal: string;
  readonly kind: RollbackPlan['kind'];
  readonly host: string;
  readonly applied: boolean;
  /** Users disabled and sent to the Trash (those an earlier rollback already sent are left out). */
  readonly trash: readonly { readonly user_id: string; readonly username: string | null }[];
  readonly already_trashed: number;
  readonly untrash: readonly string[];
  readonly restore_names: readonly { readonly user_id: string; readonly from: DuoNames; readonly to: DuoNames }[];
  /** `from`: the values the run wrote, set back to `to` only where Duo still holds them. */
  readonly restore_fields: readonly { readonly user_id: string; readonly from: Readonly<Record<string, string>>; readonly to: Readonly<Record<string, string>> }[];
  readonly remove_memberships: readonly { readonly user_id: string; readonly group_id: string }[];
  readonly add_back_memberships: readonly { readonly user_id: string; readonly group_id: string }[];
  readonly delete_phones: readonly string[];
  readonly detach_phones: readonly { readonly user_id: string; readonly phone_id: string }[];
  readonly detach_tokens: readonly { readonly user_id: string; readonly token_id: string }[];
  /** Groups the run created: left in place. */
  readonly groups_created: readonly string[];
  /** Creates whose answer was lost, not settled yet (a preview without Duo). */
  readonly unsettled: number;
  readonly pending_deletion_days: number | null;
  /** Whether the values now were read from Duo; false: a preview without credentials, from later runs' journals only. */
  readonly compared_with_duo: boolean;
  /**
   * Undos not done because the value changed since the run (field, value the run wrote, value now, who:
   * a later run's journal or "someone in Duo"). Once applied: as decided just before the writes.
   */
  readonly skipped: readonly SkippedUndo[];
  /** Memberships already as before the run: nothing to do. */
  readonly already_as_before: RollbackCheck['already'];
  /** Users the run created or restored that later runs changed since: sent to the Trash all the same. */
  readonly changed_since: RollbackCheck['changedSince'];
  /** Usernames and group names by id, where Duo or the journal gave them. */
  readonly names: RollbackCheck['names'];
  readonly outcome: {
    readonly disabled: number; readonly trashed: number; readonly untrashed: number; readonly fields_restored: number;
    readonly names_restored: number; readonly names_missing: readonly string[]; readonly devices_done: number;
    /** Users whose undo failed, with Duo's answer. */
    readonly failed: readonly { readonly user_id: string; readonly error: string }[];
    /** Memberships, phones and tokens whose undo failed. */
    readonly failed_devices: readonly { readonly what: string; readonly error: string }[];
  } | null;
}

export function rollbackJson(
  journal: string,
  plan: RollbackPlan,
  check: RollbackCheck,
  options: { pendingTrash?: readonly string[]; pendingDeletionDays?: number | null; result?: RollbackResult | null } = {},
): RollbackJson {
  const pending = options.pendingTrash ?? plan.trash;
  const result = options.result ?? null;
  const { devices } = plan;
  return {
    journal, kind: plan.kind, host: plan.host, applied: result !== null,
    trash: pending.map((id) => ({ user_id: id, username: plan.usernames.get(id) ?? null })),
    already_trashed: plan.trash.length - pending.length,
    untrash: plan.untrash,
    restore_names: plan.restore.map((r) => ({ user_id: r.userId, from: r.last, to: r.original })),
    restore_fields: plan.fields.map((f) => ({ user_id: f.userId, from: f.after, to: f.before })),
    remove_memberships: devices.memberships, add_back_memberships: devices.removedMemberships,
    delete_phones: devices.phonesCreated, detach_phones: devices.phonesAttached, detach_tokens: devices.tokensAttached, groups_created: devices.groupsCreated,
    unsettled: plan.unsettled, pending_deletion_days: options.pendingDeletionDays ?? null,
    compared_with_duo: check.compared, skipped: result?.skipped ?? check.skipped, already_as_before: result?.already ?? check.already, changed_since: check.changedSince, names: check.names,
    outcome: result === null ? null : {
      disabled: result.disabled, trashed: result.trash?.trashed ?? 0, untrashed: result.untrashed, fields_restored: result.fieldsRestored,
      names_restored: result.names === null ? 0 : result.names.results.filter((r) => r.ok).length,
      names_missing: result.names?.missing ?? [], devices_done: result.devices.done,
      failed: [
        ...(result.trash?.failed ?? []).map((f) => ({ user_id: f.userId, error: f.error })),
        ...(result.names?.results ?? []).filter((r) => !r.ok).map((r) => ({ user_id: r.userId, error: r.error ?? 'failed' })),
      ],
      failed_devices: result.devices.failed,
    },
  };
}
