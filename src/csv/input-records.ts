import { UsageError } from '../errors.js';
import { InputFile } from '../input-file.js';
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

/** The user list as header and record events, from a CSV or an .xlsx workbook alike: the file is opened once. */
export async function openRecordBatches(path: string, options: InputOptions = {}): Promise<AsyncIterable<CsvReadEvent[]>> {
  const file = await openInput(path, options);
  try {
    return closing(await recordBatchesOf(file, options), file);
  } catch (error) {
    await file.close();
    throw error;
  }
}

/** Opens the user list, once: a workbook given a --delimiter is refused before it is looked at. */
export async function openInput(path: string, options: InputOptions = {}): Promise<InputFile> {
  if (!isSpreadsheet(path)) return InputFile.open(path);
  if (options.delimiter !== undefined) throw new UsageError('BAD_OPTION', `--delimiter is for CSV files; ${path} is a spreadsheet`);
  return InputFile.open(path, 'workbook');
}

/** The events of a file opened by openInput (its caller closes it): the file's bytes stream through once. */
export async function recordBatchesOf(file: InputFile, options: InputOptions = {}): Promise<AsyncIterable<CsvReadEvent[]>> {
  if (isSpreadsheet(file.path)) return readXlsxRecordBatches(file, { sheet: options.sheet });
  await refuseOtherKinds(file);
  if (options.sheet !== undefined) throw new UsageError('BAD_OPTION', `--sheet is for .xlsx files; ${file.path} is read as CSV`);
  return readCsvRecordBatches(file.stream(), { delimiter: options.delimiter });
}

async function* closing<T>(source: AsyncIterable<T>, file: InputFile): AsyncGenerator<T> {
  try {
    yield* source;
  } finally {
    await file.close();
  }
}

/** The same events one by one. */
export async function* openRecords(path: string, options: InputOptions = {}): AsyncGenerator<CsvReadEvent> {
  for await (const batch of await openRecordBatches(path, options)) yield* batch;
}

/**
 * A file named like a CSV whose content says it is something else: an LDIF dump (what `export
 * --from-ldif` reads) or a workbook under another extension. Read as a CSV, either gives pages of
 * nonsense findings; one line saying what it is and which command reads it helps more.
 */
async function refuseOtherKinds(file: InputFile): Promise<void> {
  const { path } = file;
  const head = await file.head(4096);
  if (head.subarray(0, 4).equals(Buffer.from('PK\u0003\u0004', 'latin1'))) {
    throw new UsageError('INPUT_KIND', `${path}: is a workbook (a zip archive, as .xlsx files are), not a CSV: name it ${path.replace(/\.[^./\\]*$/, '')}.xlsx and run the command again`);
  }
  const text = (head[0] === 0xff && head[1] === 0xfe ? head.subarray(2).toString('utf16le') : head.toString('utf8')).replace(/^\uFEFF/, '');
  const first = text.split(/\r?\n/).find((line) => line.trim() !== '' && !line.startsWith('#'));
  if (first !== undefined && /^(dn|version)::?\s/i.test(first)) {
    throw new UsageError('INPUT_KIND', `${path}: is an LDIF dump, not a CSV: "duo-bridge export --from-ldif ${path} --out users.csv" makes the Duo CSV from it`);
  }
}
