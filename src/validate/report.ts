import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { writeFileAtomically } from '../atomic-file.js';
import { createCsvWriter } from '../csv/write-csv.js';
import type { Finding } from './findings.js';
import type { ValidationResult } from './validate-csv.js';

/**
 * The `validate --format json` object, key for key as the contract defines it and byte for byte
 * what JSON.stringify(report, null, 2) would print, streamed one finding at a time.
 */
export async function* jsonReport(file: string, result: ValidationResult): AsyncGenerator<string> {
  const head = JSON.stringify({ file, rows: result.rows, errors: result.errors, warnings: result.warnings }, null, 2).slice(0, -2);
  let first = true;
  for await (const f of result.findings()) {
    yield (first ? `${head},\n  "findings": [\n` : ',\n') + jsonFinding(f);
    first = false;
  }
  yield first ? `${head},\n  "findings": []\n}\n` : '\n  ]\n}\n';
}

const KEYS = ['severity', 'code', 'line', 'row', 'column', 'value', 'message'] as const;

/** One finding as JSON.stringify(…, null, 2) prints it at depth 2, without its general (and slow) indenting. */
function jsonFinding(f: Finding): string {
  const fields = KEYS.map((key) => `      "${key}": ${JSON.stringify(f[key])},\n`).join('');
  const lines = f.related_lines.length === 0 ? '[]' : `[\n${f.related_lines.map((n) => `        ${n}`).join(',\n')}\n      ]`;
  return `    {\n${fields}      "related_lines": ${lines}\n    }`;
}

const REPORT_COLUMNS = ['severity', 'code', 'line', 'row', 'column', 'value', 'message', 'fix', 'related_lines'];

/** The findings as a CSV a person can sort and filter in a spreadsheet, streamed. */
export async function writeFindingsCsv(path: string, result: ValidationResult): Promise<void> {
  async function* records(): AsyncGenerator<(string | number)[]> {
    for await (const f of result.findings()) {
      yield [f.severity, f.code, f.line ?? '', f.row ?? '', f.column ?? '', f.value ?? '', f.message, f.fix ?? '', f.related_lines.join(' ')];
    }
  }
  await writeFileAtomically(path, (out) =>
    pipeline(Readable.from(records()), createCsvWriter(REPORT_COLUMNS, { crlf: true }), out, { end: false }),
  );
}
