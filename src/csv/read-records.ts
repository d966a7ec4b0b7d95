import { parse, type CsvError } from 'csv-parse';
import { decodeToUtf8, type EncodingReport } from './decode-text.js';
import { sniffDelimiter } from './sniff-delimiter.js';

export type CsvReadEvent =
  /** `delimiter` is '' for a spreadsheet, which names its `sheet` instead. */
  | { readonly type: 'header'; readonly cells: string[]; readonly line: number; readonly delimiter: string; readonly sheet?: string }
  /** `kinds`: from a spreadsheet, what each cell was besides text (a formula, a number, a date). */
  | {
    readonly type: 'record'; readonly cells: string[]; readonly line: number; readonly row: number; readonly kinds?: readonly (CellKind | undefined)[];
    /** A workbook row holding a cell beyond the header's width: how many columns it spans (its cells stop one past the header). */
    readonly fields?: number;
  }
  | { readonly type: 'problem'; readonly problem: CsvProblem };

/** A spreadsheet cell that was not a text cell: what a spreadsheet may have done to the value. */
/** What a workbook cell was, when not plain text; 'unreadable': its value could not be resolved. */
export type CellKind = 'formula' | 'number' | 'date' | 'boolean' | 'unreadable';

export interface CsvProblem {
  readonly code: 'MALFORMED_CSV' | 'INVALID_ENCODING' | 'TYPE_LINE';
  readonly line: number;
  readonly message: string;
  /** Nothing after it can be trusted: the reader has stopped. */
  readonly fatal: boolean;
}

export interface CsvReadOptions {
  /** Overrides the delimiter sniffed from the header line. */
  readonly delimiter?: string | undefined;
  /** A record longer than this (in characters) is malformed: most likely a file without line breaks. */
  readonly maxRecordChars?: number;
}

const SNIFF_BYTES = 64 * 1024;
const DEFAULT_MAX_RECORD_CHARS = 1024 * 1024;

/**
 * Streams a CSV file as header and records, each with the physical line where it starts.
 * Structural damage comes back as a `problem` event, never as an exception.
 */
export async function* readCsvRecords(
  source: AsyncIterable<Buffer | string>,
  options: CsvReadOptions = {},
): AsyncGenerator<CsvReadEvent> {
  for await (const batch of readCsvRecordBatches(source, options)) yield* batch;
}

/**
 * The same events, a batch per chunk of input: a consumer that handles a million records saves a
 * million turns of the async iterator (validate spends its time on the rows, not on the plumbing).
 */
export async function* readCsvRecordBatches(
  source: AsyncIterable<Buffer | string>,
  options: CsvReadOptions = {},
): AsyncGenerator<CsvReadEvent[]> {
  const encoding: EncodingReport = { binaryAtLine: null, invalidUtf8: null };
  const text = decodeToUtf8(source, encoding)[Symbol.asyncIterator]();

  let prefix: Buffer = Buffer.alloc(0);
  let done = false;
  while (!done && !prefix.includes(0x0a) && prefix.length < SNIFF_BYTES) {
    const next = await text.next();
    if (next.done) done = true;
    else prefix = Buffer.concat([prefix, next.value]);
  }
  if (encoding.binaryAtLine !== null) {
    yield [problem('INVALID_ENCODING', encoding.binaryAtLine, 'not a text file: it contains NUL bytes (binary data?)', true)];
    return;
  }
  // Windows PowerShell 5.1's Export-Csv (without -NoTypeInformation) writes "#TYPE <.NET type>" above the header.
  const typeLine = /^#TYPE[ \t]/.test(prefix.subarray(0, 6).toString('latin1')) ? prefix.subarray(0, prefix.indexOf(0x0a) + 1 || prefix.length) : null;
  const queue: CsvReadEvent[] = [];
  let skippedLines = 0;
  if (typeLine !== null) {
    skippedLines = 1;
    prefix = prefix.subarray(typeLine.length);
    while (!done && !prefix.includes(0x0a) && prefix.length < SNIFF_BYTES) {
      const next = await text.next();
      if (next.done) done = true;
      else prefix = Buffer.concat([prefix, next.value]);
    }
    queue.push(problem('TYPE_LINE', 1, `PowerShell's "${typeLine.toString('utf8').trim().slice(0, 120)}" line (Export-Csv without -NoTypeInformation) was skipped: the header is line 2`, false));
  }
  const delimiter = options.delimiter ?? sniffDelimiter(prefix.subarray(0, SNIFF_BYTES).toString('utf8'));

  let lastEndLine = skippedLines;
  let lastEmptyLines = 0;
  let seenHeader = false;
  let row = 0;
  const parser = parse({
    delimiter,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS,
    on_record: (cells: string[], info) => {
      // info.lines is where the record ENDS; it starts after the previous one and any skipped blank lines.
      const line = lastEndLine + 1 + (info.empty_lines - lastEmptyLines);
      lastEndLine = info.lines + skippedLines;
      lastEmptyLines = info.empty_lines;
      if (!seenHeader) {
        seenHeader = true;
        queue.push({ type: 'header', cells, line, delimiter });
      } else if (!cells.every(isBlank)) {
        // Rows of only empty cells are what Excel leaves behind formatted-but-empty ranges.
        queue.push({ type: 'record', cells, line, row: ++row });
      }
      return null;
    },
  });
  let failure: CsvError | null = null;
  parser.on('error', (error: CsvError) => (failure ??= error));
  parser.resume();
  // Records reach on_record synchronously during write(), so each chunk's records are queued by the
  // time its callback runs, including the good records before a parse error.
  const feed = (chunk: Buffer | null): Promise<void> =>
    new Promise((resolve) => {
      if (chunk !== null) {
        parser.write(chunk, () => resolve());
        return;
      }
      parser.once('error', () => resolve());
      parser.once('end', () => resolve());
      parser.end();
    });

  try {
    if (queue.length > 0) yield queue.splice(0);
    await feed(prefix);
    if (queue.length > 0) yield queue.splice(0);
    while (failure === null && !done) {
      const next = await text.next();
      if (next.done) break;
      await feed(next.value);
      if (queue.length > 0) yield queue.splice(0);
    }
    if (failure === null) await feed(null);
    if (queue.length > 0) yield queue.splice(0);
  } finally {
    await text.return?.(undefined);
  }

  if (encoding.invalidUtf8 !== null) {
    const { firstLine, lines } = encoding.invalidUtf8;
    const where = lines > 1 ? `line ${firstLine} and ${lines - 1} more line(s)` : `line ${firstLine}`;
    yield [problem(
      'INVALID_ENCODING',
      firstLine,
      encoding.utf16
        ? `not valid ${encoding.utf16} (${where}: a broken character, e.g. half of a surrogate pair); save it from Excel as "CSV UTF-8 (Comma delimited)"`
        : `not valid UTF-8 (${where}); save it from Excel as "CSV UTF-8 (Comma delimited)"`,
      false,
    )];
  }
  if (failure !== null) {
    // Like a record's start: after the last good record and the blank lines csv-parse skipped since.
    const broken = failure as CsvError & { empty_lines?: number };
    const blank = typeof broken.empty_lines === 'number' ? broken.empty_lines - lastEmptyLines : 0;
    yield [problem('MALFORMED_CSV', lastEndLine + 1 + blank, describeParseError(broken), true)];
  }
}

function describeParseError(error: CsvError): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted value is never closed: the rest of the file cannot be read';
    case 'CSV_MAX_RECORD_SIZE':
      return 'a record is larger than 1 MiB: the file has no line breaks or an unclosed quote';
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'INVALID_OPENING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return `a quote in the middle of a value: wrap the whole value in quotes and double any quote inside it (${error.code})`;
    default:
      return `the file cannot be parsed as CSV (${error.code})`;
  }
}

function problem(code: CsvProblem['code'], line: number, message: string, fatal: boolean): CsvReadEvent {
  return { type: 'problem', problem: { code, line, message, fatal } };
}

function isBlank(cell: string): boolean {
  return cell.trim().length === 0;
}
