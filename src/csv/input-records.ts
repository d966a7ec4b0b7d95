import { UsageError } from '../errors.js';
import { openInputFile, regularFile } from '../input-file.js';
import { readCsvRecordBatches, type CsvReadEvent } from './read-records.js';
import { readXlsxRecordBatches } from './xlsx-records.js';

export interface InputOptions {
  /** CSV: overrides the delimiter sniffed from the header line. */
  readonly delimiter?: string | undefined;
  /** Spreadsheet: the worksheet to read (default the first). */
  readonly sheet?: string | undefined;
}

/** A spreadsheet is told by its name, as Excel and LibreOffice tell it. */
export function isSpreadsheet(path: string): boolean {
  return /\.xlsx$/i.test(path);
}

/** The user list as header and record events, from a CSV or an .xlsx workbook alike. */
export async function openRecordBatches(path: string, options: InputOptions = {}): Promise<AsyncIterable<CsvReadEvent[]>> {
  if (!isSpreadsheet(path)) {
    if (options.sheet !== undefined) throw new UsageError('BAD_OPTION', `--sheet is for .xlsx files; ${path} is read as CSV`);
    return readCsvRecordBatches(await openInputFile(path), { delimiter: options.delimiter });
  }
  if (options.delimiter !== undefined) throw new UsageError('BAD_OPTION', `--delimiter is for CSV files; ${path} is a spreadsheet`);
  await regularFile(path, 'workbook');
  return readXlsxRecordBatches(path, { sheet: options.sheet });
}

/** The same events one by one. */
export async function* openRecords(path: string, options: InputOptions = {}): AsyncGenerator<CsvReadEvent> {
  for await (const batch of await openRecordBatches(path, options)) yield* batch;
}
