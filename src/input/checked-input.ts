import type { CountryCode } from 'libphonenumber-js';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { writeFileAtomically } from '../atomic-file.js';
import { layoutColumns } from '../csv/columns.js';
import { toDuoUserRow, type DuoUserRow } from '../csv/duo-row.js';
import { openInput, recordBatchesOf, type InputOptions } from '../csv/input-records.js';
import type { CsvReadEvent } from '../csv/read-records.js';
import { createCsvWriter } from '../csv/write-csv.js';
import { DataError } from '../errors.js';
import type { Finding } from '../validate/findings.js';
import { validateRecords, type ValidationResult } from '../validate/validate-csv.js';
import { RecordSpool } from './record-spool.js';

export interface CheckOptions extends InputOptions {
  /** --skip-invalid: the rows with errors are left out; without it, any error refuses the file. */
  readonly skipInvalid: boolean;
  /** Most aliases a row may hold, as in validate (default 8). */
  readonly maxAliases?: number | undefined;
  /** The country of phone numbers written without +CC (--default-country). */
  readonly defaultCountry?: CountryCode | undefined;
}

/** How the checked file was read. */
export interface InputReading {
  /** A CSV's delimiter, given or sniffed; null for a workbook or an empty file. */
  readonly delimiter: string | null;
  /** A workbook's sheet; null for a CSV. */
  readonly sheet: string | null;
  readonly defaultCountry: CountryCode | undefined;
}

export interface RowBatch {
  /** Up to batchSize valid rows, in file order. */
  readonly rows: readonly DuoUserRow[];
  /** The invalid rows (skipped with --skip-invalid) met since the previous batch, with why. */
  readonly skipped: readonly (readonly [DuoUserRow, string])[];
}

/** The input's own columns as a file duo-bridge writes carries them, and each row's cells under them. */
export interface CarriedColumns {
  readonly header: string[];
  readonly cellsOf: (row: DuoUserRow) => string[];
}

/**
 * The user's file (a CSV or an .xlsx workbook), read once to check it: validated, its sha256 taken
 * from the same bytes, its header and how it was read remembered, its records kept (on disk, see
 * RecordSpool). Every import, plan and migrate starts here: with an error the file is refused, or
 * (--skip-invalid) its bad rows are skipped. Rows, batches, the valid rows and the rejected file are
 * then handed out from what the check kept, never by reading the file again. dispose() when done.
 */
export class CheckedInput {
  private constructor(
    /** The file as the user named it. */
    readonly path: string,
    readonly validation: ValidationResult,
    /** Rows with at least one error, and why: with --skip-invalid they are skipped, else the import is refused. */
    readonly invalidRows: ReadonlyMap<number, string>,
    /** Problems no row-skipping can fix (damaged file, no username column): refused even with --skip-invalid. */
    readonly fileErrors: readonly Finding[],
    readonly refused: boolean,
    /** Of the bytes that were checked: what a journal is bound to, what a report names. */
    readonly sha256: string,
    /** The header as the file has it (empty for a file without one). */
    readonly header: readonly string[],
    readonly reading: InputReading,
    private readonly kept: RecordSpool,
  ) {}

  /** Reads and checks the file: its one read. Refuses at once (UsageError) what cannot be read as asked (no such file, --sheet on a CSV). */
  static async check(path: string, options: CheckOptions): Promise<CheckedInput> {
    const { delimiter, sheet, maxAliases, defaultCountry } = options;
    const file = await openInput(path, { delimiter, sheet });
    const kept = new RecordSpool();
    try {
      let header: readonly string[] = [];
      async function* keeping(batches: AsyncIterable<CsvReadEvent[]>): AsyncGenerator<CsvReadEvent[]> {
        for await (const batch of batches) {
          for (const event of batch) {
            if (event.type === 'header') header = event.cells;
            else if (event.type === 'record') {
              const writing = kept.add(event);
              if (writing) await writing;
            }
          }
          yield batch;
        }
      }
      const validation = await validateRecords(keeping(await recordBatchesOf(file, { delimiter, sheet })), { maxAliases, defaultCountry, reread: async () => kept.batches() });
      const sha256 = await file.sha256();
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
      const reading = { delimiter: validation.sheet === null ? validation.delimiter : null, sheet: validation.sheet, defaultCountry };
      return new CheckedInput(path, validation, invalidRows, fileErrors, refused, sha256, header, reading, kept);
    } catch (error) {
      await kept.dispose();
      throw error;
    } finally {
      await file.close();
    }
  }

  /** How many rows an import sends (or skips as existing): the valid ones. */
  get validCount(): number {
    return this.validation.rows - this.invalidRows.size;
  }

  /** Every row, valid or not, in file order. */
  async *rows(): AsyncGenerator<DuoUserRow> {
    const layout = layoutColumns([...this.header]);
    const options = { defaultCountry: this.reading.defaultCountry };
    for await (const batch of this.kept.batches()) for (const record of batch) yield toDuoUserRow(record.cells, layout, record.line, record.row, options);
  }

  /** The valid rows, in file order (a refused file's too: the caller decides). */
  async *validRows(): AsyncGenerator<DuoUserRow> {
    for await (const row of this.rows()) if (!this.invalidRows.has(row.row)) yield row;
  }

  /** The valid rows as batches: memory holds one batch, whatever the file's size. */
  async *batches(batchSize: number): AsyncGenerator<RowBatch> {
    let rows: DuoUserRow[] = [];
    let skipped: (readonly [DuoUserRow, string])[] = [];
    for await (const row of this.rows()) {
      const invalid = this.invalidRows.get(row.row);
      if (invalid !== undefined) skipped.push([row, invalid]);
      else rows.push(row);
      if (rows.length === batchSize) {
        yield { rows, skipped };
        rows = [];
        skipped = [];
      }
    }
    if (rows.length > 0 || skipped.length > 0) yield { rows, skipped };
  }

  /** The valid rows in memory (plan and migrate look across all rows at once); a refused file is a DataError. */
  async loadValidRows(): Promise<DuoUserRow[]> {
    if (this.refused) throw new DataError('INPUT_INVALID', `${this.path} has ${this.validation.errors} ${this.validation.errors === 1 ? 'error' : 'errors'}: fix them, or use --skip-invalid`);
    const rows: DuoUserRow[] = [];
    for await (const row of this.validRows()) rows.push(row);
    return rows;
  }

  /**
   * What the rejected and results files carry of each row: every column of the input, under its own
   * name and in its order (names, fields, groupN, phoneN, platformN, tokenN, ad_guid, ad_dn, any
   * other), as the file has them, so a fixed row imported again loses nothing. A column named like one
   * these files add (an earlier rejected or results file imported again) is left for the new one.
   */
  carriedColumns(added: readonly string[]): CarriedColumns {
    const ours = new Set(added.map((name) => name.toLowerCase()));
    const kept = this.header.map((name, at) => [name, at] as const).filter(([name]) => !ours.has(name.trim().toLowerCase()));
    return { header: kept.map(([name]) => name), cellsOf: (row) => kept.map(([, at]) => row.cells[at] ?? '') };
  }

  /** `<name>.rejected.csv`: the skipped rows with their line and why, to fix and import again. */
  async writeRejected(path: string): Promise<void> {
    const columns = this.carriedColumns(['line', 'reason']);
    const invalidRows = this.invalidRows;
    const rows = this.rows();
    async function* rejected(): AsyncGenerator<string[]> {
      for await (const row of rows) {
        const reason = invalidRows.get(row.row);
        if (reason !== undefined) yield [String(row.line), ...columns.cellsOf(row), reason];
      }
    }
    await writeFileAtomically(path, (out) =>
      pipeline(Readable.from(rejected()), createCsvWriter(['line', ...columns.header, 'reason'], { crlf: true }), out, { end: false }),
    );
  }

  /** Removes what the check kept. */
  async dispose(): Promise<void> {
    await this.kept.dispose();
  }

  /** `await using input = await CheckedInput.check(…)` disposes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}
