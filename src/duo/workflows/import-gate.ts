import type { CountryCode } from 'libphonenumber-js';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { writeFileAtomically } from '../../atomic-file.js';
import { ALIAS_COLUMNS, DUO_COLUMNS } from '../../csv/columns.js';
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
  const validation = await validateRecords(await openRecordBatches(input, { delimiter, sheet }), { maxAliases, defaultCountry });
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

export const ROW_COLUMNS = [...DUO_COLUMNS] as const;

/** A row's cells in Duo CSV column order, for the rejected and results files. */
export function rowCells(row: DuoUserRow): string[] {
  const aliases = new Map(row.aliases);
  return [row.username, row.realname, row.firstname, row.lastname, row.email,
    ...ALIAS_COLUMNS.map((_, i) => aliases.get(i + 1) ?? ''), row.status, row.notes];
}

/** `<name>.rejected.csv`: the skipped rows with their line and why, to fix and import again. */
export async function writeRejectedRows(input: string, path: string, gate: ImportGate): Promise<void> {
  async function* rejected(): AsyncGenerator<string[]> {
    for await (const row of gateRows(input, gate)) {
      const reason = gate.invalidRows.get(row.row);
      if (reason !== undefined) yield [String(row.line), ...rowCells(row), reason];
    }
  }
  await writeFileAtomically(path, (out) =>
    pipeline(Readable.from(rejected()), createCsvWriter(['line', ...ROW_COLUMNS, 'reason'], { crlf: true }), out, { end: false }),
  );
}
