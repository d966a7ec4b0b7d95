import type ExcelJS from 'exceljs';

let loaded: Promise<typeof ExcelJS> | null = null;

/**
 * exceljs, loaded the first time a workbook is read or written: it is about 30 MB of a process's
 * memory, which every command that never touches a workbook (a CSV export, a sync) would pay at start-up.
 */
export function excelModule(): Promise<typeof ExcelJS> {
  loaded ??= import('exceljs').then((module) => {
    const excel = (module as unknown as { default: typeof ExcelJS }).default ?? (module as unknown as typeof ExcelJS);
    sparseRows(excel);
    return excel;
  });
  return loaded;
}

interface RowInternals {
  _cells: ({ col: number; type: number } | undefined)[];
}

/**
 * exceljs keeps a row's cells in an array indexed by column and walks it with forEach, which on a
 * sparse array visits every index: a row holding one cell in column XFD costs 16,384 steps, every
 * time its streaming reader asks the row's dimensions (once a row) and every time a row's cells are
 * visited. This replaces the two walks with ones over the cells that exist (for…in visits only
 * the indexes present), same results: a 100,000-row sheet with a cell in XFD went from minutes to
 * about a second.
 */
function sparseRows(excel: typeof ExcelJS): void {
  const prototype = Object.getPrototypeOf(new excel.Workbook().addWorksheet('probe').getRow(1)) as object;
  const nullType = excel.ValueType.Null as number;
  const present = function* (row: RowInternals): Generator<[number, { col: number; type: number }]> {
    for (const key in row._cells) {
      const cell = row._cells[Number(key)];
      if (cell && cell.type !== nullType) yield [Number(key) + 1, cell];
    }
  };
  Object.defineProperty(prototype, 'dimensions', {
    configurable: true,
    get(this: RowInternals) {
      let min = 0;
      let max = 0;
      for (const [, cell] of present(this)) {
        if (!min || min > cell.col) min = cell.col;
        if (max < cell.col) max = cell.col;
      }
      return min > 0 ? { min, max } : null;
    },
  });
  const walk = (prototype as { eachCell: (options: unknown, iteratee?: unknown) => void }).eachCell;
  Object.defineProperty(prototype, 'eachCell', {
    configurable: true,
    writable: true,
    value(this: RowInternals, options: unknown, iteratee?: (cell: unknown, column: number) => void) {
      if (iteratee === undefined || (options as { includeEmpty?: boolean } | null)?.includeEmpty) return walk.call(this, options, iteratee);
      for (const [column, cell] of present(this)) iteratee(cell, column);
    },
  });
}
