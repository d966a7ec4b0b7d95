import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import type ExcelJS from 'exceljs';
import { excelModule } from './excel-module.js';
import { createCsvWriter } from './write-csv.js';

/** Rows out, one at a time, to a CSV or a worksheet: what export and the reports write through. */
export interface RowWriter {
  write(cells: readonly string[]): Promise<void>;
  end(): Promise<void>;
}

export type TableFormat = 'csv' | 'xlsx';

export function formatOf(path: string, format?: TableFormat): TableFormat {
  return format ?? (/\.xlsx$/i.test(path) ? 'xlsx' : 'csv');
}

export function createRowWriter(out: Writable, columns: readonly string[], format: TableFormat, options: { crlf?: boolean } = {}): RowWriter {
  return format === 'xlsx' ? xlsxRowWriter(out, columns) : csvRowWriter(out, columns, options.crlf ?? false);
}

function csvRowWriter(out: Writable, columns: readonly string[], crlf: boolean): RowWriter {
  const csv = createCsvWriter(columns, { crlf });
  csv.pipe(out, { end: false });
  return {
    write: async (cells) => {
      if (!csv.write(cells)) await once(csv, 'drain');
    },
    end: async () => {
      csv.end();
      await finished(csv);
    },
  };
}

/** Column widths by what a column holds (a streamed sheet is written before its longest value is known). */
export function columnWidth(name: string): number {
  if (/^(email|alias\d+)$/.test(name)) return 32;
  if (name === 'ad_dn') return 60;
  if (name === 'ad_guid') return 38;
  if (/^(phone\d+|group\d+|realname)$/.test(name)) return 22;
  return Math.max(12, name.length + 4);
}

/**
 * One sheet "Users": the header bold, frozen and filtered, every cell text (the column format is
 * Text too, so a value typed over one stays text), streamed row by row (exceljs' streaming writer:
 * memory holds a row, not the sheet).
 */
export function xlsxRowWriter(out: Writable, columns: readonly string[], sheetName = 'Users'): RowWriter {
  let opened: Promise<{ workbook: ExcelJS.stream.xlsx.WorkbookWriter; sheet: ExcelJS.Worksheet }> | null = null;
  const open = () => (opened ??= excelModule().then((excel) => {
    const workbook = new excel.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
    const sheet = workbook.addWorksheet(sheetName, { views: [{ state: 'frozen', ySplit: 1 }] });
    sheet.columns = columns.map((name) => ({ header: name, key: name, width: columnWidth(name), style: { numFmt: '@' } }));
    sheet.getRow(1).font = { bold: true };
    sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: Math.max(1, columns.length) } };
    return { workbook, sheet };
  }));
  let pending = 0;
  return {
    write: async (cells) => {
      const { sheet } = await open();
      sheet.addRow([...cells]).commit();
      // The zip stream is fed as rows commit: let it drain now and then.
      if (++pending % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
    },
    end: async () => {
      const { workbook, sheet } = await open();
      sheet.commit();
      await workbook.commit();
    },
  };
}
