import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { writeFileAtomically } from '../atomic-file.js';
import { createCsvWriter } from '../csv/write-csv.js';
import type { ValidationResult } from './validate-csv.js';

/** The `validate --format json` object, key for key as contract §2 defines it. */
export function toJsonReport(file: string, result: ValidationResult): object {
  return {
    file,
    rows: result.rows,
    errors: result.errors,
    warnings: result.warnings,
    findings: result.findings.map((f) => ({
      severity: f.severity,
      code: f.code,
      line: f.line,
      row: f.row,
      column: f.column,
      value: f.value,
      message: f.message,
      related_lines: f.related_lines,
    })),
  };
}

const REPORT_COLUMNS = ['severity', 'code', 'line', 'row', 'column', 'value', 'message', 'fix', 'related_lines'];

/** The findings as a CSV a person can sort and filter in a spreadsheet. */
export async function writeFindingsCsv(path: string, result: ValidationResult): Promise<void> {
  const records = result.findings.map((f) => [
    f.severity,
    f.code,
    f.line ?? '',
    f.row ?? '',
    f.column ?? '',
    f.value ?? '',
    f.message,
    f.fix ?? '',
    f.related_lines.join(' '),
  ]);
  await writeFileAtomically(path, (out) =>
    pipeline(Readable.from(records), createCsvWriter(REPORT_COLUMNS, { crlf: true }), out, { end: false }),
  );
}
