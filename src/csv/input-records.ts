import { open } from 'node:fs/promises';
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
    await refuseOtherKinds(path);
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

/**
 * A file named like a CSV whose content says it is something else: an LDIF dump (what `export
 * --from-ldif` reads) or a workbook under another extension. Read as a CSV, either gives pages of
 * nonsense findings; one line saying what it is and which command reads it helps more.
 */
async function refuseOtherKinds(path: string): Promise<void> {
  await regularFile(path);
  const handle = await open(path, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (head.subarray(0, 4).equals(Buffer.from('PK\u0003\u0004', 'latin1'))) {
    throw new UsageError('INPUT_KIND', `${path}: is a workbook (a zip archive, as .xlsx files are), not a CSV: name it ${path.replace(/\.[^./\\]*$/, '')}.xlsx and run the command again`);
  }
  const text = (head[0] === 0xff && head[1] === 0xfe ? head.subarray(2).toString('utf16le') : head.toString('utf8')).replace(/^\uFEFF/, '');
  const first = text.split(/\r?\n/).find((line) => line.trim() !== '' && !line.startsWith('#'));
  if (first !== undefined && /^(dn|version)::?\s/i.test(first)) {
    throw new UsageError('INPUT_KIND', `${path}: is an LDIF dump, not a CSV: "duo-bridge export --from-ldif ${path} --out users.csv" makes the Duo CSV from it`);
  }
}
