import type { DuoUserRow } from '../../csv/duo-row.js';
import { nameKey } from '../../names.js';
import type { DuoClient } from '../api/client.js';
import type { RunHistory } from '../journal/run-history.js';
import { assertions, hasAdditions, planRows, userChanges, type Plan } from '../plan/decide.js';
import { Attacher, type AttachOptions } from '../writes/attach.js';
import { MAX_BULK_OPERATIONS } from '../api/bulk-api.js';
import { BulkMode } from '../writes/bulk-mode.js';
import { applyRenames, type Rename, type RenameResult } from '../writes/renames.js';
import { RunSession } from '../writes/run-session.js';
import { planJson, type PlanJson } from '../plan/plan-json.js';
import { runFileBase } from '../../input/run-files.js';
import { DecisionContext } from './decision-context.js';

/** Row username → user_id of every user an earlier, interrupted migrate was renaming, from its journal. */
export function migrateHints(history: RunHistory): Map<string, string> {
  const hints = new Map<string, string>();
  for (const [userId, names] of history.lastNames) if (!names.username.startsWith('duo-bridge-tmp-')) hints.set(nameKey(names.username), userId);
  return hints;
}

/** users.csv → users.migrate.jsonl beside it. */
export function migrateJournalPath(input: string): string {
  return `${runFileBase(input)}.migrate.jsonl`;
}

export function migrationsOf(plan: Plan): Rename[] {
  return plan.rows
    .filter((p) => p.action === 'migrate')
    .map((p) => ({ userId: p.user!.user_id, from: { username: p.user!.username, aliases: { ...p.user!.aliases } }, to: { username: p.target!.username, aliases: { ...p.target!.aliases } } }));
}

export interface MigrateRun {
  readonly input: string;
  /** The input's sha256, as its check took it (else the file is hashed when the journal is bound). */
  readonly sha256?: string;
  readonly rows: readonly DuoUserRow[];
  readonly client: DuoClient;
  readonly host: string;
  /** Default: `<name>.migrate.jsonl` beside the input (migrateJournalPath). */
  readonly journalPath?: string;
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
  /** The journal: a re-run resumes it, rollback undoes it (written only once a rename is about to be sent). */
  readonly journal: string;
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
  const journal = run.journalPath ?? migrateJournalPath(run.input);
  return RunSession.run(journal, { host: run.host, client: run.client }, async (session) => {
    const hints = migrateHints(session.history);
    const options: AttachOptions = { createGroups: run.attach?.createGroups ?? false, sharePhones: run.attach?.sharePhones ?? false, enroll: false, sendActivation: false };
    const context = new DecisionContext({ client: run.client }, { syncDeleted: run.syncDeleted, createGroups: options.createGroups, sharePhones: options.sharePhones }, true);
    await context.learn(run.rows);
    const { groups, phones, tokens } = context;
    const plan = planRows(run.rows, await context.tenant(), context.options({ hints }));
    const renames = migrationsOf(plan);
    // Users an interrupted run of this migrate already renamed plan as `update` when all they lack is
    // the row's memberships or phones: this run finishes them.
    const renamedEarlier = new Set(hints.values());
    const migrating = plan.rows.filter((p) => p.action === 'migrate' ||
      (p.action === 'update' && renamedEarlier.has(p.user!.user_id) && userChanges(p.row, p.user!) === null && hasAdditions(p.adds)));
    if (!(await run.confirm(plan))) return { journal, plan, results: [], confirmed: false, attachFailures: [] };
    if (migrating.length > 0) await session.bind({ kind: 'migrate', input: run.input, ...(run.sha256 === undefined ? {} : { sha256: run.sha256 }), assertions: assertions(run) });
    await groups?.settle(session);
    await phones?.settle(session);
    const bulk = new BulkMode(run.bulkSize ?? MAX_BULK_OPERATIONS, session.history.bulkRefused, run.onNotice);
    const results = await applyRenames(session, renames, (done) => run.onStep?.(done, renames.length), bulk);
    // The renamed users' memberships and phones: a row whose rename failed gets none.
    const renamed = new Set([...results.filter((r) => r.ok).map((r) => r.userId), ...renamedEarlier]);
    const items = migrating.filter((p) => renamed.has(p.user!.user_id) && hasAdditions(p.adds))
      .map((p) => ({ row: p.row, userId: p.user!.user_id, adds: p.adds, created: false, hasPhone: p.user!.phones.length > 0 }));
    const attacher = new Attacher(session, bulk, options, groups, phones, tokens);
    const attached = items.length > 0 ? await attacher.attach(items) : new Map();
    const attachFailures = items.flatMap((item) => {
      const error = attached.get(item.row)?.error;
      return error ? [{ userId: item.userId, error }] : [];
    });
    return { journal, plan, results, confirmed: true, attachFailures };
  });
}

/** What `migrate --format json` prints: its plan, then (once applied) what each rename did. */
export interface MigrateJson {
  readonly plan: PlanJson;
  readonly applied: boolean;
  readonly results: readonly RenameResult[];
  readonly attach_failures: readonly { readonly userId: string; readonly error: string }[];
}

export function migrateJson(result: MigrateResult): MigrateJson {
  return { plan: planJson(result.plan), applied: result.confirmed, results: result.results, attach_failures: result.attachFailures };
}
