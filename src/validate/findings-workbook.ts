import type ExcelJS from 'exceljs';
import { excelModule } from '../csv/excel-module.js';
import { writeFileAtomically } from '../atomic-file.js';
import { cellRef } from '../csv/cell-ref.js';
import { openRecords, type InputOptions } from '../csv/input-records.js';
import { columnWidth } from '../csv/row-writer.js';
import type { Finding } from './findings.js';
import type { ValidationResult } from './validate-csv.js';

const FILL = { error: 'FFFFC7CE', warning: 'FFFFEB9C' } as const;

/**
 * `validate --report findings.xlsx`: the input's rows as a sheet with every offending cell filled
 * (errors red, warnings amber) and a note holding the message and the fix, the header frozen; then a
 * sheet "Findings" listing every finding with a link to its cell. Streamed: the input is read again
 * row by row beside the findings (both in line order), so memory holds one row's findings and a
 * number per row (where each input line landed in the sheet).
 */
export async function writeFindingsWorkbook(path: string, input: string, read: InputOptions, result: ValidationResult): Promise<void> {
  await writeFileAtomically(path, async (out) => {
    const excel = await excelModule();
    const workbook = new excel.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
    const sheetName = (result.sheet ?? 'Users').replace(/[\\/?*[\]:]/g, ' ').slice(0, 31);
    const rows = workbook.addWorksheet(sheetName, { views: [{ state: 'frozen', ySplit: 1 }] });
    const sheetRowOf = new LineIndex();
    const findings = result.findings()[Symbol.asyncIterator]();
    let next = await findings.next();
    let sheetRow = 0;

    for await (const event of openRecords(input, read)) {
      if (event.type === 'problem') continue;
      sheetRow++;
      sheetRowOf.add(event.line, sheetRow);
      if (event.type === 'header') rows.columns = event.cells.map((name) => ({ header: name, key: `c${name}`, width: columnWidth(name.trim().toLowerCase()) }));
      const row = event.type === 'header' ? rows.getRow(1) : rows.addRow([...event.cells]);
      if (event.type === 'header') row.font = { bold: true };
      const here: Finding[] = [];
      while (!next.done && (next.value.line ?? 0) < event.line) next = await findings.next();
      while (!next.done && next.value.line === event.line) {
        here.push(next.value);
        next = await findings.next();
      }
      paint(row, here, headerIndex(rows));
      row.commit();
    }
    rows.commit();

    const list = workbook.addWorksheet('Findings', { views: [{ state: 'frozen', ySplit: 1 }] });
    list.columns = ['severity', 'code', 'line', 'cell', 'column', 'value', 'previous_value', 'message', 'fix', 'related_lines']
      .map((name) => ({ header: name, key: name, width: name === 'message' || name === 'fix' ? 60 : columnWidth(name) }));
    list.getRow(1).font = { bold: true };
    list.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: 10 } };
    for await (const f of result.findings()) {
      const target = f.line === null ? null : sheetRowOf.get(f.line);
      const column = f.column === null ? -1 : headerIndex(rows).get(f.column) ?? -1;
      const ref = target === null ? '' : cellRef(Math.max(column, 0), target);
      const row = list.addRow([f.severity, f.code, f.line ?? '', ref ? { text: f.cell ?? ref, hyperlink: `#'${sheetName.replace(/'/g, "''")}'!${ref}` } : '',
        f.column ?? '', f.value ?? '', f.previous ?? '', f.message, f.fix ?? '', f.related_lines.join(' ')]);
      row.getCell(1).fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: FILL[f.severity] } };
      row.commit();
    }
    list.commit();
    await workbook.commit();
  });
}

/** Fills each offending cell and notes why; a finding about the whole row marks its first cell. */
function paint(row: ExcelJS.Row, findings: readonly Finding[], columns: ReadonlyMap<string, number>): void {
  const byCell = new Map<number, Finding[]>();
  for (const f of findings) {
    const at = f.column === null ? 0 : columns.get(f.column) ?? 0;
    byCell.set(at, [...(byCell.get(at) ?? []), f]);
  }
  for (const [at, list] of byCell) {
    const cell = row.getCell(at + 1);
    const severity = list.some((f) => f.severity === 'error') ? 'error' : 'warning';
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: FILL[severity] } };
    cell.note = list.map((f) => `${f.severity} ${f.code}: ${f.message}${f.fix ? `\nfix: ${f.fix}` : ''}`).join('\n\n');
  }
}

const headerIndexes = new WeakMap<ExcelJS.Worksheet, Map<string, number>>();

/** Header name (as written) → column index, from the sheet's columns. */
function headerIndex(sheet: ExcelJS.Worksheet): Map<string, number> {
  let index = headerIndexes.get(sheet);
  if (index === undefined) {
    index = new Map();
    (sheet.columns ?? []).forEach((column, i) => {
      const name = String(column.header ?? '');
      if (!index!.has(name)) index!.set(name, i);
    });
    headerIndexes.set(sheet, index);
  }
  return index;
}

/** Input line → sheet row, for rows added in ascending line order: two growing arrays, searched by halves. */
class LineIndex {
  private lines: Uint32Array<ArrayBuffer> = new Uint32Array(1024);
  private rows: Uint32Array<ArrayBuffer> = new Uint32Array(1024);
  private size = 0;

  add(line: number, row: number): void {
    if (this.size === this.lines.length) {
      const grow = (a: Uint32Array): Uint32Array<ArrayBuffer> => {
        const bigger = new Uint32Array(a.length * 2);
        bigger.set(a);
        return bigger;
      };
      this.lines = grow(this.lines);
      this.rows = grow(this.rows);
    }
    this.lines[this.size] = line;
    this.rows[this.size++] = row;
  }

  get(line: number): number | null {
    let low = 0;
    let high = this.size - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const at = this.lines[mid]!;
      if (at === line) return this.rows[mid]!;
      if (at < line) low = mid + 1;
      else high = mid - 1;
    }
    return null;
  }
}
