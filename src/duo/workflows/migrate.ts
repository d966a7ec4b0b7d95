import { readDuoUserRows, type DuoUserRow } from '../../csv/duo-row.js';
import { DataError } from '../../errors.js';
import { openInputFile } from '../../input-file.js';
import { nameKey } from '../../names.js';
import type { DuoClient } from '../api/client.js';
import type { ImportGate } from './import-gate.js';
import { bindJournal, Journal, type JournalRecord } from '../journal/journal.js';
import { planRows, type Plan } from '../plan/decide.js';
import { applyRenames, type Rename, type RenameResult } from './renames.js';
import { readLiveTenant, type TenantUser } from '../tenant/tenant.js';

/** The valid rows of a checked CSV, in memory: planning looks across all rows at once. */
export async function loadValidRows(input: string, gate: ImportGate, delimiter?: string): Promise<DuoUserRow[]> {
  if (gate.refused) throw new DataError('INPUT_INVALID', `${input} has ${gate.validation.errors} errors: fix them, or use --skip-invalid`);
  const rows: DuoUserRow[] = [];
  for await (const row of readDuoUserRows(await openInputFile(input), { delimiter })) if (!gate.invalidRows.has(row.row)) rows.push(row);
  return rows;
}

export async function loadLiveTenant(client: DuoClient): Promise<TenantUser[]> {
  const users: TenantUser[] = [];
  for await (const user of readLiveTenant(client)) users.push(user);
  return users;
}

/** Row username → user_id of every user an earlier, interrupted migrate was renaming. */
export function migrateHints(records: readonly JournalRecord[]): Map<string, string> {
  const hints = new Map<string, string>();
  for (const r of records) {
    if (r.t === 'intent' && r.op === 'rename' && !r.after.username.startsWith('duo-bridge-tmp-')) hints.set(nameKey(r.after.username), r.user_id);
  }
  return hints;
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
 * through the journal.
 */
export async function migrateUsers(run: MigrateRun): Promise<MigrateResult> {
  const journal = await Journal.open(run.journalPath);
  try {
    const plan = planRows(run.rows, await loadLiveTenant(run.client), migrateHints(journal.records));
    const renames = migrationsOf(plan);
    if (!(await run.confirm(plan))) return { plan, results: [], confirmed: false };
    if (renames.length > 0) await bindJournal(journal, { kind: 'migrate', input: run.input, host: run.host });
    const results = await applyRenames(run.client, journal, renames, (done) => run.onStep?.(done, renames.length));
    return { plan, results, confirmed: true };
  } finally {
    await journal.close();
  }
}
