import type { ColumnLayout } from '../csv/columns.js';
import type { CellKind } from '../csv/read-records.js';
import { finding, type Finding } from './findings.js';

/**
 * What a spreadsheet did to a cell: a formula (its cached value may be stale), a date (Excel read
 * "3-4" or "2024-01-02" as one), a number (leading zeros, a leading + and digits past the 15th are
 * gone). Every Duo column is text, so none of these belongs in one.
 */
export function checkCellKinds(
  cells: readonly string[],
  kinds: readonly (CellKind | undefined)[],
  line: number,
  row: number,
  layout: ColumnLayout,
  out: Finding[],
): void {
  kinds.forEach((kind, i) => {
    const column = layout.names[i];
    if (kind === undefined || column === undefined) return;
    const value = cells[i] ?? '';
    const at = { line, row, column, value };
    if (kind === 'formula') {
      out.push(finding({ ...at, code: 'XLSX_FORMULA', message: `the cell holds a formula; duo-bridge reads the value it last showed ("${value}"), which may be stale`,
        fix: 'replace the formula by its value (copy, then Paste Special → Values)' }));
    } else if (kind === 'date') {
      out.push(finding({ ...at, code: 'DATE_CELL', message: `the spreadsheet turned this cell into a date (${value})`,
        fix: 'format the column as Text and type the original value again' }));
    } else if (kind === 'unreadable') {
      out.push(finding({ ...at, code: 'XLSX_UNREADABLE_CELL', message: 'the cell\'s value cannot be read from the workbook (a shared string the file does not hold?)',
        fix: 'open the workbook in Excel or LibreOffice, retype the cell and save it again' }));
    } else if (kind === 'number' || kind === 'boolean') {
      out.push(finding({ ...at, code: 'NUMBER_CELL', message: `the cell is stored as a ${kind}, not text: ${probably(column, value)}`,
        fix: 'format the column as Text and check the value against the directory' }));
    }
  });
}

/** What a number in a text column probably was. */
function probably(column: string, value: string): string {
  const digits = value.replace(/\D/g, '');
  if (/^phone\d+$/i.test(column)) return `probably "+${digits}" (a number loses its leading +)`;
  if (digits.length > 15) return `"${value}" has more digits than a spreadsheet number keeps: the last ones may be wrong`;
  return `"${value}" (if it had leading zeros, they are gone)`;
}
