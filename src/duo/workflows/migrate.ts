import type { DuoUserRow } from '../../csv/duo-row.js';
import { nameKey } from '../../names.js';
import type { DuoClient } from '../api/client.js';
import { bindJournal, Journal, renameSteps, type JournalRecord } from '../journal/journal.js';
import { assertions, hasAdditions, planRows, type Plan } from '../plan/decide.js';
import { AttachState } from './attach-state.js';
import { Attacher, type AttachOptions } from './attach.js';
import { GroupDirectory } from './group-directory.js';
import { PhoneBook } from './phone-book.js';
import { loadLiveTenant } from '../tenant/tenant.js';
import { MAX_BULK_OPERATIONS } from '../api/bulk-api.js';
import { BulkMode, bulkRefusal } from './bulk-mode.js';
import { applyRenames, type Rename, type RenameResult } from './renames.js';

/** Collects row username → user_id of every user an earlier, interrupted migrate was renaming. */
export function migrateHints(): { hints: Map<string, string>; replay: (record: JournalRecord) => void } {
  const hints = new Map<string, string>();
  return {
    hints,
    replay: (r) => {
      for (const step of renameSteps(r)) if (!step.after.username.startsWith('duo-bridge-tmp-')) hints.set(nameKey(step.after.username), step.user_id);
    },
  };
}

export function migrationsOf(plan: Plan): Rename[] {
  return plan.rows
    .filter((p) => p.action === 'migrate')
    .map((p) => ({ userId: p.user!.user_id, from: { username: p.user!.username, aliases: { ...p.user!.aliases } }, to: { username: p.target!.username, aliases: { ...p.target!.aliases } } }));
}

export interface MigrateRun {
  readonly input: string;
  readonly rows: readonly DuoUserRow[];
  readonly client: DuoClient;
  readonly host: string;
  readonly journalPath: string;
  /** The admin asserts the old directory sync is deleted (see DecideOptions.syncDeleted). */
  readonly syncDeleted?: boolean;
  /** Modify operations per /admin/v1/bulk call (1–50); 0: one call per rename. */
  readonly bulkSize?: number;
  /** Said once, when Duo refuses the bulk endpoint. */
  readonly onNotice?: (message: string) => void;
  /** Groups and phones the renamed users get from their rows (--create-groups, --share-phones). */
  readonly attach?: Partial<Pick<AttachOptions, 'createGroups' | 'sharePhones'>>;
  /** Shown the plan; returns false to stop before any write (the confirmation prompt). */
  readonly confirm: (plan: Plan) => Promise<boolean>;
  readonly onStep?: (done: number, total: number) => void;
}

export interface MigrateResult {
  readonly plan: Plan;
  readonly results: readonly RenameResult[];
  readonly confirmed: boolean;
  /** Renamed users whose row's memberships or phones could not all be added, and why. */
  readonly attachFailures: readonly { readonly userId: string; readonly error: string }[];
}

/**
 * Renames the existing Duo users that the plan calls `migrate` in place (user_id, phones and
 * enrolment stay), journaled for resume and rollback. Re-planned from the live tenant on every run:
 * users already renamed show as unchanged, users an interrupted run left half-way are found again
 * through the journal. The journal file appears only once a rename is about to be sent.
 */
export async function migrateUsers(run: MigrateRun): Promise<MigrateResult> {
  const { hints, replay } = migrateHints();
  const refusal = bulkRefusal();
  const attachState = new AttachState();
  const journal = await Journal.open(run.journalPath, { replay: (r) => (replay(r), attachState.replay(r), refusal.replay(r)) });
  try {
    const options: AttachOptions = { createGroups: run.attach?.createGroups ?? false, sharePhones: run.attach?.sharePhones ?? false, enroll: false, sendActivation: false };
    const groups = run.rows.some((row) => row.groups.length > 0) ? await GroupDirectory.load(run.client) : null;
    const phones = run.rows.some((row) => row.phones.length > 0) ? await PhoneBook.load(run.client) : null;
    const plan = planRows(run.rows, await loadLiveTenant(run.client), {
      hints, syncDeleted: run.syncDeleted ?? false, groups: groups?.groups, createGroups: options.createGroups, phoneOwners: phones?.owners, sharePhones: options.sharePhones,
    });
    const renames = migrationsOf(plan);
    const migrating = plan.rows.filter((p) => p.action === 'migrate');
    if (!(await run.confirm(plan))) return { plan, results: [], confirmed: false, attachFailures: [] };
    if (migrating.length > 0) await bindJournal(journal, { kind: 'migrate', input: run.input, host: run.host, assertions: assertions(run) });
    await groups?.settle(journal, attachState);
    await phones?.settle(journal, attachState);
    const bulk = new BulkMode(run.bulkSize ?? MAX_BULK_OPERATIONS, refusal.reason(), run.onNotice);
    const results = await applyRenames(run.client, journal, renames, (done) => run.onStep?.(done, renames.length), bulk);
    // The renamed users' memberships and phones: a row whose rename failed gets none.
    const renamed = new Set(results.filter((r) => r.ok).map((r) => r.userId));
    const items = migrating.filter((p) => renamed.has(p.user!.user_id) && hasAdditions(p.adds))
      .map((p) => ({ row: p.row, userId: p.user!.user_id, adds: p.adds, created: false, hasPhone: p.user!.phones.length > 0 }));
    const attacher = new Attacher(run.client, journal, bulk, attachState, options, groups, phones);
    const attached = items.length > 0 ? await attacher.attach(items) : new Map();
    const attachFailures = items.flatMap((item) => {
      const error = attached.get(item.row)?.error;
      return error ? [{ userId: item.userId, error }] : [];
    });
    return { plan, results, confirmed: true, attachFailures };
  } finally {
    await journal.close();
  }
}
