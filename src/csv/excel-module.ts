import type ExcelJS from 'exceljs';

let loaded: Promise<typeof ExcelJS> | null = null;

/**
 * exceljs, loaded the first time a workbook is read or written: it is about 30 MB of a process's
 * memory, which every command that never touches a workbook (a CSV export, a sync) would pay at start-up.
 */
export function excelModule(): Promise<typeof ExcelJS> {
  loaded ??= import('exceljs').then((module) => (module as unknown as { default: typeof ExcelJS }).default ?? (module as unknown as typeof ExcelJS));
  return loaded;
}
