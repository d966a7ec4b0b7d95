import type { ColumnLayout } from '../csv/columns.js';
import { cleanCell } from '../csv/duo-row.js';
import { openRecords, type InputOptions } from '../csv/input-records.js';
import { nameKey } from '../names.js';
import { finding, type Finding } from './findings.js';

interface BaselineRow {
  readonly key: string;
  readonly line: number;
  /** Cleaned values by lower-cased header name. */
  readonly cells: ReadonlyMap<string, string>;
}

/**
 * The file `export` wrote (CSV or xlsx), to tell what changed since: its rows by ad_guid, else by
 * username. Held in memory (a map from key to the row's values): the comparison meets the rows in
 * any order.
 */
export class Baseline {
  private readonly matched = new Set<string>();

  private constructor(
    private readonly rows: ReadonlyMap<string, BaselineRow>,
    /** In file order: a row whose key the spreadsheet damaged (00123 → 123) is found by its place. */
    private readonly ordered: readonly BaselineRow[],
  ) {}

  static async load(path: string, read: InputOptions = {}): Promise<Baseline> {
    const rows = new Map<string, BaselineRow>();
    const ordered: BaselineRow[] = [];
    let names: string[] = [];
    for await (const event of openRecords(path, read)) {
      if (event.type === 'header') names = event.cells.map((c) => c.trim().toLowerCase());
      if (event.type !== 'record') continue;
      const cells = new Map(names.map((name, i) => [name, cleanCell(event.cells[i]).value]));
      const key = rowKey(cells);
      const row = { key: key ?? `line:${event.line}`, line: event.line, cells };
      ordered.push(row);
      if (!rows.has(row.key)) rows.set(row.key, row);
    }
    return new Baseline(rows, ordered);
  }

  /**
   * The cells of a row that differ from the export. A change a spreadsheet makes on its own (leading
   * zeros or a + dropped, a number turned into 1.23E+15 or a value into a date, UTF-8 read as
   * Latin-1) is an error; any other change is listed as the admin's edit.
   */
  compare(values: readonly string[], line: number, row: number, layout: ColumnLayout): Finding[] {
    const cells = new Map(layout.names.map((name, i) => [name.trim().toLowerCase(), values[i] ?? '']));
    const key = rowKey(cells);
    const before = (key === null ? undefined : this.rows.get(key)) ?? this.samePlace(row, cells);
    const usernameColumn = layout.names[layout.index.username ?? 0] ?? 'username';
    if (before === undefined) {
      return [finding({ code: 'CHANGED_SINCE_EXPORT', line, row, column: usernameColumn, value: cells.get('username') ?? '',
        message: 'this row is not in the export: added since', fix: 'check it is meant to be imported' })];
    }
    this.matched.add(before.key);
    const out: Finding[] = [];
    layout.names.forEach((name, i) => {
      const column = name.trim().toLowerCase();
      if (!before.cells.has(column)) return;
      const was = before.cells.get(column)!;
      const now = values[i] ?? '';
      if (was === now) return;
      const damage = spreadsheetDamage(was, now);
      out.push(finding({
        code: damage === null ? 'CHANGED_SINCE_EXPORT' : 'SPREADSHEET_DAMAGE', line, row, column: name, value: now, previous: was,
        message: `${damage ?? 'changed since the export'}: "${was}" → "${now}" (line ${before.line} of the export)`,
        fix: damage === null ? 'check the edit is meant' : `restore "${was}", and keep the column as Text in the spreadsheet`,
      }));
    });
    return out;
  }

  /** The export's row at the same place, when the spreadsheet visibly changed its key or the email still matches. */
  private samePlace(row: number, cells: ReadonlyMap<string, string>): BaselineRow | undefined {
    const candidate = this.ordered[row - 1];
    if (candidate === undefined || this.matched.has(candidate.key)) return undefined;
    const damaged = spreadsheetDamage(candidate.cells.get('username') ?? '', cells.get('username') ?? '') !== null;
    const email = cells.get('email') ?? '';
    return damaged || (email !== '' && nameKey(email) === nameKey(candidate.cells.get('email') ?? '')) ? candidate : undefined;
  }

  /** Rows of the export that the file no longer has. */
  missing(): Finding[] {
    const out: Finding[] = [];
    for (const [key, row] of this.rows) {
      if (this.matched.has(key)) continue;
      out.push(finding({ code: 'CHANGED_SINCE_EXPORT', line: null, column: 'username', value: row.cells.get('username') ?? '',
        message: `line ${row.line} of the export is not in this file: removed since`, fix: 'check it is meant to be left out' }));
    }
    return out;
  }
}

function rowKey(cells: ReadonlyMap<string, string>): string | null {
  const guid = cells.get('ad_guid') ?? '';
  if (guid !== '') return `guid:${guid.toLowerCase()}`;
  const username = cells.get('username') ?? '';
  return username === '' ? null : `name:${nameKey(username)}`;
}

const SCIENTIFIC = /^[+-]?\d(?:[.,]\d+)?E[+-]?\d+$/i;
const DATE = /^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{1,2}-[A-Za-z]{3}(-\d{2,4})?)$/;

/** What a spreadsheet did to `was` to make it `now`, if it looks like its doing rather than a person's. */
export function spreadsheetDamage(was: string, now: string): string | null {
  // Damage needs a value it was made from: text typed into an empty cell is an edit.
  if (was === '') return null;
  if (/^0+\d/.test(was) && now === was.replace(/^0+(?=\d)/, '')) return 'leading zeros lost';
  if (was.startsWith('+') && (now === was.slice(1) || now.replace(/\D/g, '') === was.replace(/\D/g, '')) && !now.startsWith('+')) return 'the leading + lost';
  if (SCIENTIFIC.test(now) && !SCIENTIFIC.test(was) && /\d/.test(was)) return 'turned into scientific notation';
  if (DATE.test(now) && !DATE.test(was)) return 'turned into a date';
  if (now !== was && /[^\x00-\x7f]/.test(was) && Buffer.from(was, 'utf8').toString('latin1') === now) return 'text re-encoded (UTF-8 read as Latin-1)';
  if (now !== was && /[^\x00-\x7f]/.test(was) && decodeAsWindows1252(Buffer.from(was, 'utf8')) === now) return 'text re-encoded (UTF-8 read as Windows-1252)';
  return null;
}

function decodeAsWindows1252(bytes: Buffer): string {
  return new TextDecoder('windows-1252').decode(bytes);
}
