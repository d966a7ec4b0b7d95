import type { PlanAction } from '../duo/plan/decide.js';
import type { PlanJson, PlanJsonRow } from '../duo/plan/plan-json.js';
import type { MigrateJson } from '../duo/workflows/migrate.js';
import type { Report, ReportRow, Risk } from './report-model.js';
import { runFacts, type RunInfo } from './run-facts.js';

const RISK: Partial<Record<PlanAction, Risk>> = { conflict: 'conflict', migrate: 'destructive' };

/** `plan --report`: every row of `plan --format json`. */
export async function planReport(json: PlanJson, run: RunInfo, source: string): Promise<Report> {
  return {
    title: 'Plan',
    facts: await runFacts(run, [['planned against', source]]),
    counts: countsOf(json),
    warnings: conflictWarnings(json),
    rows: () => json.rows.map((row) => planRow(row, null)),
  };
}

/** `migrate --report`: the plan, with the outcome of each rename once applied. */
export async function migrateReport(json: MigrateJson, run: RunInfo): Promise<Report> {
  const failures = new Map<string, string>();
  for (const r of json.results) if (!r.ok) failures.set(r.userId, r.error ?? 'failed');
  for (const f of json.attach_failures) failures.set(f.userId, `renamed, but ${f.error}`);
  const renamed = json.results.filter((r) => r.ok).length;
  const outcome: [string, string][] = json.applied
    ? [['outcome', `${renamed} users renamed, ${json.results.length - renamed} failed`]]
    : [['outcome', 'preview: nothing was changed (add --apply to rename)']];
  return {
    title: json.applied ? 'Migrate run' : 'Migrate plan',
    facts: await runFacts(run, outcome),
    counts: countsOf(json.plan),
    warnings: conflictWarnings(json.plan),
    rows: () => json.plan.rows.map((row) => planRow(row, row.duo_user_id === null ? null : failures.get(row.duo_user_id) ?? null)),
  };
}

function conflictWarnings(json: PlanJson): string[] {
  return json.summary.conflict > 0 ? [`${json.summary.conflict} rows conflict with users already in Duo: nothing is done to them until the CSV or Duo is fixed`] : [];
}

function countsOf(json: PlanJson): Report['counts'] {
  return (Object.entries(json.summary) as [PlanAction, number][])
    .filter(([action, count]) => count > 0 || action !== 'restore')
    .map(([action, count]) => ({ action, count, risk: RISK[action] ?? null }));
}

function planRow(row: PlanJsonRow, failure: string | null): ReportRow {
  return {
    action: row.action,
    user: row.username === '' ? '(blank)' : row.username,
    userId: row.duo_user_id ?? '',
    changes: [
      ...row.changes,
      ...row.add_groups.map((group) => ({ field: 'group', before: '', after: group })),
      ...row.add_phones.map((phone) => ({ field: 'phone', before: '', after: phone })),
      ...row.add_tokens.map((token) => ({ field: 'hardware token', before: '', after: token })),
    ],
    reason: failure === null ? row.reason : `failed: ${failure}`,
    where: String(row.line),
    risk: failure !== null ? 'failed' : RISK[row.action] ?? null,
  };
}
