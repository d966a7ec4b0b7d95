import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { unescapeFormula } from '../csv/formula.js';
import type { PlanAction } from '../duo/plan/decide.js';
import type { ImportSummary } from '../duo/workflows/importer.js';
import type { Report, ReportRow } from './report-model.js';
import { runFacts, type RunInfo } from './run-facts.js';

/** What an import report is made of: the run's summary, its preview (a fresh run), and its results file, read back row by row. */
export interface ImportRun {
  readonly summary: ImportSummary;
  readonly preview: Readonly<Record<PlanAction, number>> | null;
  readonly results: string;
  readonly journal: string;
}

const RESULT_ORDER = ['created', 'updated', 'restored', 'exists', 'skipped', 'failed'] as const;
const NOT_VALUES = new Set(['line', 'username', 'result', 'duo_user_id', 'error', 'note']);

/** `import --apply --report`: the preview's counts, then every row of `<name>.results.csv` with its outcome. */
export async function importReport(run: ImportRun, info: RunInfo): Promise<Report> {
  const { summary } = run;
  return {
    title: summary.resumed ? 'Import run (resumed)' : 'Import run',
    facts: await runFacts(info, [
      ['plan before the run', run.preview === null ? 'not made (a resumed run: its plan was shown when it started)' : Object.entries(run.preview).map(([a, n]) => `${a} ${n}`).join(' · ')],
      ['outcome', `created ${summary.created}, updated ${summary.updated}, restored ${summary.restored}, exists ${summary.exists}, failed ${summary.failed}, skipped ${summary.skipped}`],
      ['Duo calls', `${summary.calls} (${summary.writes} writes), ${summary.rateLimited} answered 429`],
      ['results file', run.results],
      ['journal (rollback undoes it)', run.journal],
    ]),
    counts: RESULT_ORDER.map((action) => ({ action, count: summary[action], risk: action === 'failed' ? 'failed' as const : null })).filter((c) => c.count > 0),
    warnings: [
      ...(summary.failed > 0 ? [`${summary.failed} rows failed: see the rows marked failed, fix them and run the import again (it resumes).`] : []),
      ...(summary.skipped > 0 ? [`${summary.skipped} rows were skipped (invalid or in conflict): not imported.`] : []),
    ],
    // What changed first (created, updated, restored), then what stayed: two streamed passes, never the whole file in memory.
    rows: async function* () {
      yield* resultRows(run.results, (result) => CHANGED.has(result));
      yield* resultRows(run.results, (result) => !CHANGED.has(result));
    },
  };
}

const CHANGED = new Set(['created', 'updated', 'restored']);

async function* resultRows(path: string, wanted: (result: string) => boolean): AsyncIterable<ReportRow> {
  const parser = createReadStream(path).pipe(parse({ bom: true, columns: true, relax_column_count: true }));
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    const cell = (name: string): string => unescapeFormula(record[name] ?? '');
    const result = cell('result');
    if (!wanted(result)) continue;
    const values = result === 'created'
      ? Object.keys(record).filter((name) => !NOT_VALUES.has(name) && cell(name) !== '').map((field) => ({ field, before: '', after: cell(field) }))
      : [];
    yield {
      action: result, user: cell('username') === '' ? '(blank)' : cell('username'), userId: cell('duo_user_id'), changes: values,
      reason: [cell('error'), cell('note')].filter(Boolean).join('; '), where: cell('line'), risk: result === 'failed' ? 'failed' : null,
    };
  }
}
