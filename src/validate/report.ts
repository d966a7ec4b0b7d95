import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { writeFileAtomically } from '../atomic-file.js';
import { createCsvWriter } from '../csv/write-csv.js';
import type { ValidationResult } from './validate-csv.js';

/**
 * The `validate --format json` object, key for key as the contract defines it, streamed: the
 * counts first, then one finding per line (compact JSON, as the spool already holds it).
 */
export async function* jsonReport(file: string, result: ValidationResult): AsyncGenerator<string> {
  const head = JSON.stringify({ file, rows: result.rows, errors: result.errors, warnings: result.warnings }, null, 2).slice(0, -2);
  let first = true;
  for await (const json of result.findingsJson()) {
    yield (first ? `${head},\n  "findings": [\n    ` : ',\n    ') + json;
    first = false;
  }
  yield first ? `${head},\n  "findings": []\n}\n` : '\n  ]\n}\n';
}

const REPORT_COLUMNS = ['severity', 'code', 'line', 'row', 'column', 'value', 'message', 'fix', 'related_lines'];

/** The findings as a CSV a person can sort and filter in a spreadsheet, streamed. */
export async function writeFindingsCsv(path: string, result: ValidationResult): Promise<void> {
  // With --baseline, the value in the export beside the value now.
  const compared = result.counts.has('SPREADSHEET_DAMAGE') || result.counts.has('CHANGED_SINCE_EXPORT');
  async function* records(): AsyncGenerator<(string | number)[]> {
    for await (const f of result.findings()) {
      const cells = [f.severity, f.code, f.line ?? '', f.row ?? '', f.column ?? '', f.value ?? '', f.message, f.fix ?? '', f.related_lines.join(' ')];
      yield compared ? [...cells, f.previous ?? ''] : cells;
    }
  }
  const columns = compared ? [...REPORT_COLUMNS, 'previous_value'] : REPORT_COLUMNS;
  await writeFileAtomically(path, (out) =>
    pipeline(Readable.from(records()), createCsvWriter(columns, { crlf: true }), out, { end: false }),
  );
}
