import { stringify, type Stringifier } from 'csv-stringify';
import { escapeFormula } from './formula.js';

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
    cast: { string: escapeFormula, number: String },
  });
}
