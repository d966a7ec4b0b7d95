import type { CountryCode } from 'libphonenumber-js';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { writeFileAtomically } from '../../atomic-file.js';
import { readDuoUserRowsFromFile, type DuoUserRow, type RowOptions } from '../../csv/duo-row.js';
import { openRecordBatches, type InputOptions } from '../../csv/input-records.js';
import { createCsvWriter } from '../../csv/write-csv.js';
import type { Finding } from '../../validate/findings.js';
import { validateRecords, type ValidationResult } from '../../validate/validate-csv.js';

export interface ImportFiles {
  readonly journal: string;
  readonly results: string;
  readonly rejected: string;
}

/** users.csv → users.journal.jsonl, users.results.csv, users.rejected.csv beside it. */
/** `users.csv` and `users.xlsx` (or .tsv, .txt) both name their run's files `users.*`. */
export function runFileBase(input: string): string {
  return input.replace(/\.(csv|tsv|txt|xlsx)$/i, '');
}

export function importFiles(input: string, journal?: string): ImportFiles {
  const base = runFileBase(input);
  return { journal: journal ?? `${base}.journal.jsonl`, results: `${base}.results.csv`, rejected: `${base}.rejected.csv` };
}

export interface ImportGate {
  readonly validation: ValidationResult;
  /** Rows with at least one error, and why: with --skip-invalid they are skipped, else the import is refused. */
  readonly invalidRows: ReadonlyMap<number, string>;
  /** Problems no row-skipping can fix (damaged file, no username column): refused even with --skip-invalid. */
  readonly fileErrors: readonly Finding[];
  readonly refused: boolean;
  /** How the file is read (delimiter or sheet, the country of phone numbers): the rows are read as they were validated. */
  readonly read: InputOptions & RowOptions;
}

/** The checked file's rows, read as they were validated. */
export function gateRows(input: string, gate: ImportGate): AsyncGenerator<DuoUserRow> {
  return readDuoUserRowsFromFile(input, gate.read);
}

/** Every import validates first: with an error it is refused, or the bad rows are skipped (--skip-invalid). */
export async function checkImportInput(
  input: string,
  options: InputOptions & { skipInvalid: boolean; maxAliases?: number | undefined; defaultCountry?: CountryCode | undefined },
): Promise<ImportGate> {
  const { delimiter, sheet, maxAliases, defaultCountry } = options;
  const validation = await validateRecords(await openRecordBatches(input, { delimiter, sheet }), { maxAliases, defaultCountry, reread: () => openRecordBatches(input, { delimiter, sheet }) });
  const invalidRows = new Map<number, string>();
  const fileErrors: Finding[] = [];
  try {
    for await (const finding of validation.findings()) {
      if (finding.severity !== 'error') continue;
      if (finding.row === null) fileErrors.push(finding);
      else invalidRows.set(finding.row, [invalidRows.get(finding.row), `${finding.code}: ${finding.message}`].filter(Boolean).join('; '));
    }
  } finally {
    // The text summary (counts and first findings per code) stays; the spool is not needed again.
    await validation.dispose();
  }
  const refused = fileErrors.length > 0 || (invalidRows.size > 0 && !options.skipInvalid);
  return { validation, invalidRows, fileErrors, refused, read: { delimiter, sheet, defaultCountry } };
}

/**
 * What the rejected and results files carry of each row: every column of the input, under its own
 * name and in its order (names, fields, groupN, phoneN, platformN, tokenN, ad_guid, ad_dn, any
 * other), as the file has them, so a fixed row imported again loses nothing. A column named like one
 * these files add (an earlier rejected or results file imported again) is left for the new one.
 */
export async function carriedColumns(input: string, gate: ImportGate, added: readonly string[]): Promise<{ header: string[]; cellsOf: (row: DuoUserRow) => string[] }> {
  let header: readonly string[] = [];
  for await (const batch of await openRecordBatches(input, gate.read)) {
    const first = batch.find((event) => event.type === 'header');
    if (first?.type === 'header') header = first.cells;
    break;
  }
  const ours = new Set(added.map((name) => name.toLowerCase()));
  const kept = header.map((name, at) => [name, at] as const).filter(([name]) => !ours.has(name.trim().toLowerCase()));
  return { header: kept.map(([name]) => name), cellsOf: (row) => kept.map(([, at]) => row.cells[at] ?? '') };
}

/** `<name>.rejected.csv`: the skipped rows with their line and why, to fix and import again. */
export async function writeRejectedRows(input: string, path: string, gate: ImportGate): Promise<void> {
  const columns = await carriedColumns(input, gate, ['line', 'reason']);
  async function* rejected(): AsyncGenerator<string[]> {
    for await (const row of gateRows(input, gate)) {
      const reason = gate.invalidRows.get(row.row);
      if (reason !== undefined) yield [String(row.line), ...columns.cellsOf(row), reason];
    }
  }
  await writeFileAtomically(path, (out) =>
    pipeline(Readable.from(rejected()), createCsvWriter(['line', ...columns.header, 'reason'], { crlf: true }), out, { end: false }),
  );
}
