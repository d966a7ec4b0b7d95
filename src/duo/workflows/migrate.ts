import type { DuoUserRow } from '../../csv/duo-row.js';
import { nameKey } from '../../names.js';
import type { DuoClient } from '../api/client.js';
import { bindJournal, Journal, type JournalRecord } from '../journal/journal.js';
import { assertions, planRows, type Plan } from '../plan/decide.js';
import { loadLiveTenant } from '../tenant/tenant.js';
import { applyRenames, type Rename, type RenameResult } from './renames.js';

/** Collects row username → user_id of every user an earlier, interrupted migrate was renaming. */
export function migrateHints(): { hints: Map<string, string>; replay: (record: JournalRecord) => void } {
  const hints = new Map<string, string>();
  return {
    hints,
    replay: (r) => {
      if (r.t === 'intent' && r.op === 'rename' && !r.after.username.startsWith('duo-bridge-tmp-')) hints.set(nameKey(r.after.username), r.user_id);
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
  /** Shown the plan; returns false to stop before any write (the confirmation prompt). */
  readonly confirm: (plan: Plan) => Promise<boolean>;
  readonly onStep?: (done: number, total: number) => void;
}

export interface MigrateResult {
  readonly plan: Plan;
  readonly results: readonly RenameResult[];
  readonly confirmed: boolean;
}

/**
 * Renames the existing Duo users that the plan calls `migrate` in place (user_id, phones and
 * enrolment stay), journaled for resume and rollback. Re-planned from the live tenant on every run:
 * users already renamed show as unchanged, users an interrupted run left half-way are found again
 * through the journal. The journal file appears only once a rename is about to be sent.
 */
export async function migrateUsers(run: MigrateRun): Promise<MigrateResult> {
  const { hints, replay } = migrateHints();
  const journal = await Journal.open(run.journalPath, { replay });
  try {
    const plan = planRows(run.rows, await loadLiveTenant(run.client), { hints, syncDeleted: run.syncDeleted ?? false });
    const renames = migrationsOf(plan);
    if (!(await run.confirm(plan))) return { plan, results: [], confirmed: false };
    if (renames.length > 0) await bindJournal(journal, { kind: 'migrate', input: run.input, host: run.host, assertions: assertions(run) });
    const results = await applyRenames(run.client, journal, renames, (done) => run.onStep?.(done, renames.length));
    return { plan, results, confirmed: true };
  } finally {
    await journal.close();
  }
}
