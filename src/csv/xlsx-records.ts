import type ExcelJS from 'exceljs';
import { excelModule } from './excel-module.js';
import { UsageError } from '../errors.js';
import type { InputFile } from '../input-file.js';
import type { CellKind, CsvReadEvent } from './read-records.js';
import { workbookProblem } from './xlsx-guard.js';

export interface XlsxReadOptions {
  /** The worksheet to read (by name, case-insensitive); default the first. */
  readonly sheet?: string | undefined;
}

/**
 * Streams a worksheet of an .xlsx workbook as the same header and record events as a CSV, a batch
 * per row read: `line` is the sheet row (header = 1), every value is text as the cell shows it, and
 * each record says which cells were not text cells (formula, number, date), which is where a
 * spreadsheet changes data. Shared strings are cached (the part Excel and LibreOffice store them in
 * is read first); rows are not held. The zip is checked, then read, on the one open of the file.
 */
export async function* readXlsxRecordBatches(file: InputFile, options: XlsxReadOptions = {}): AsyncGenerator<CsvReadEvent[]> {
  const { path } = file;
  const problem = await workbookProblem(file);
  if (problem !== null) {
    yield [{ type: 'problem', problem: { code: 'MALFORMED_CSV', line: 1, message: `not a readable .xlsx workbook: ${problem}`, fatal: true } }];
    return;
  }
  const excel = await excelModule();
  const reader = new excel.stream.xlsx.WorkbookReader(file.stream(), { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'ignore' });
  const seen: string[] = [];
  let found = false;
  try {
    for await (const sheet of watched(reader as unknown as AsyncIterable<ExcelJS.Worksheet & AsyncIterable<ExcelJS.Row>>)) {
      const name = (sheet as unknown as { name: string }).name;
      seen.push(name);
      if (found || (options.sheet !== undefined ? name.toLowerCase() !== options.sheet.toLowerCase() : seen.length > 1)) {
        // Not the sheet wanted: its rows must still be read past.
        for await (const _ of watched(sheet)) void _;
        continue;
      }
      found = true;
      let width = 0;
      let row = 0;
      for await (const sheetRow of watched(sheet)) {
        const { cells, kinds, fields } = rowCells(sheetRow, width, excel.ValueType);
        if (row === 0 && width === 0) {
          width = cells.length;
          yield [{ type: 'header', cells, line: sheetRow.number, delimiter: '', sheet: name }];
          continue;
        }
        // An empty row is skipped; one whose only cells could not be read is not empty.
        if (cells.every((c) => c.trim() === '') && !kinds.includes('unreadable')) continue;
        row++;
        yield [{ type: 'record', cells, line: sheetRow.number, row, ...(kinds.some((k) => k !== undefined) ? { kinds } : {}), ...(fields > cells.length ? { fields } : {}) }];
      }
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    yield [{ type: 'problem', problem: { code: 'MALFORMED_CSV', line: 1, message: `not a readable .xlsx workbook (${(error as Error).message})`, fatal: true } }];
    return;
  }
  if (!found && seen.length > 0) throw new UsageError('BAD_OPTION', `${path} has no sheet "${options.sheet}"; its sheets: ${seen.map((s) => `"${s}"`).join(', ')}`);
}

/**
 * The reader's items, or an error when it goes silent. exceljs drops some errors of a damaged zip
 * (a flipped byte in a deflate stream): its iteration then never settles, the event loop runs dry
 * and Node would exit 13 without a word. 'beforeExit' fires exactly then, and ends the wait.
 */
async function* watched<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    let onStall = (): void => undefined;
    const stalled = new Promise<'stalled'>((resolve) => {
      onStall = () => resolve('stalled');
      process.once('beforeExit', onStall);
    });
    const next = await Promise.race([iterator.next(), stalled]).finally(() => process.removeListener('beforeExit', onStall));
    if (next === 'stalled') throw new Error('its compressed data is damaged: the reader stopped without an error');
    if (next.done) return;
    yield next.value;
  }
}

/**
 * A row's values as text, left to right, and what each cell was: the header's `width` cells (the
 * header row: up to its last cell). Cells are visited where they exist, never by column number: a
 * row holding one cell in column XFD costs one cell, not 16,384. A cell beyond the header's width
 * makes the row one cell wider than the header (its value kept) and `fields` says how far it spans.
 */
function rowCells(row: ExcelJS.Row, width: number, types: typeof ExcelJS.ValueType): { cells: string[]; kinds: (CellKind | undefined)[]; fields: number } {
  const cells: string[] = new Array<string>(width).fill('');
  const kinds: (CellKind | undefined)[] = new Array<CellKind | undefined>(width).fill(undefined);
  let fields = 0;
  row.eachCell({ includeEmpty: false }, (cell, column) => {
    const [text, kind] = cellText(cell, types);
    if (text === '' && kind === undefined) return;
    fields = Math.max(fields, column);
    const at = width > 0 ? Math.min(column, width + 1) - 1 : column - 1;
    if (at === width && width > 0 && cells[at] !== undefined) return;
    while (cells.length < at) {
      cells.push('');
      kinds.push(undefined);
    }
    cells[at] = text;
    kinds[at] = kind;
  });
  return { cells, kinds, fields: Math.max(fields, width) };
}

function cellText(cell: ExcelJS.Cell, types: typeof ExcelJS.ValueType): [string, CellKind | undefined] {
  const value = cell.value;
  switch (cell.type) {
    case types.Null:
    case types.Merge:
      return ['', undefined];
    case types.Number:
      return [numberText(value as number), 'number'];
    case types.Date:
      return [(value as Date).toISOString().replace(/T00:00:00\.000Z$/, ''), 'date'];
    case types.Boolean:
      return [String(value).toUpperCase(), 'boolean'];
    case types.Formula: {
      const result = (value as ExcelJS.CellFormulaValue).result;
      const shown = result instanceof Date ? result.toISOString() : result === undefined || result === null || typeof result === 'object' ? '' : String(result);
      return [shown, 'formula'];
    }
    case types.RichText:
      return [(value as ExcelJS.CellRichTextValue).richText.map((r) => r.text).join(''), undefined];
    case types.Hyperlink:
      return [String((value as ExcelJS.CellHyperlinkValue).text ?? ''), undefined];
    case types.Error:
      return [String((value as ExcelJS.CellErrorValue).error), 'formula'];
    default:
      // A value exceljs could not resolve (a shared-string cell in a workbook without shared strings) is an object, not text.
      if (value !== null && typeof value === 'object') return ['', 'unreadable'];
      return [String(value ?? ''), undefined];
  }
}

/** Integers as digits (no 1.23E+15), other numbers as the shortest text that reads back the same. */
function numberText(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e21 ? BigInt(value).toString() : String(value);
}
