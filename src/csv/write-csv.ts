import { stringify, type Stringifier } from 'csv-stringify';
import { escapeFormula } from './formula.js';

/**
 * Cells csv-stringify must quote besides those holding the delimiter or a quote: any with a CR or
 * LF. It quotes a cell holding its own record delimiter only, so with CRLF records a bare LF (a
 * notes cell with two lines) went out unquoted and split the row in two (RFC 4180 §2.6).
 */
export const QUOTE_LINE_BREAKS = /[\r\n]/;

export interface CsvWriterOptions {
  /** CRLF line ends (what Excel on Windows writes); LF otherwise. */
  readonly crlf?: boolean;
}

/**
 * A CSV stream for people to open in a spreadsheet: UTF-8 BOM (Excel needs it to see UTF-8),
 * a header, and every cell formula-escaped with the same trigger list the reader unescapes.
 */
export function createCsvWriter(columns: readonly string[], options: CsvWriterOptions = {}): Stringifier {
  return stringify({
    bom: true,
    header: true,
    columns: [...columns],
    record_delimiter: options.crlf ? 'windows' : 'unix',
    quoted_match: QUOTE_LINE_BREAKS,
    cast: { string: escapeFormula, number: String },
  });
}
