import { layoutColumns, type ColumnLayout, type KnownColumn } from './columns.js';
import type { CountryCode } from 'libphonenumber-js';
import { nameKey } from '../names.js';
import { parsePhone, phoneKind, type PhoneKind, type PhoneNumber } from '../phone.js';
import { tokenType, type TokenType } from '../token.js';
import { unescapeFormula } from './formula.js';
import { readCsvRecords, type CsvReadEvent, type CsvReadOptions } from './read-records.js';
import { openRecords, type InputOptions } from './input-records.js';

/** One data row of a Duo CSV with every value trimmed and formula-unescaped; `''` = no value. */
export interface DuoUserRow {
  readonly line: number;
  readonly row: number;
  readonly username: string;
  readonly realname: string;
  readonly firstname: string;
  readonly lastname: string;
  readonly email: string;
  /** Lower-cased; `''` means active. */
  readonly status: string;
  readonly notes: string;
  /** Non-empty aliases as [alias number, value], in column order, without those equal to the username. */
  readonly aliases: readonly (readonly [number, string])[];
  /**
   * Aliases equal to the row's own username (validate's warning ALIAS_SAME_AS_USERNAME): Duo would
   * refuse them and, with them, the row's other aliases, so they are left out of everything sent.
   */
  readonly droppedAliases: readonly (readonly [number, string])[];
  /** Duo group names from group1..groupN, in column order, each once (compared case-insensitively). */
  readonly groups: readonly string[];
  /** phone1..phoneN cells with a value, in column order. */
  readonly phones: readonly RowPhone[];
  /** token1..tokenN cells with a value, in column order. */
  readonly tokens: readonly RowToken[];
  readonly adGuid: string;
  readonly adDn: string;
  /** The row's cells as the file has them, under its own header: what the rejected and results files carry over. */
  readonly cells: readonly string[];
}

export interface RowPhone {
  /** The column's number: phone3 → 3. */
  readonly n: number;
  /** As written in the cell. */
  readonly text: string;
  /** Normalised to E.164, or null when the cell is not a phone number (validate says why). */
  readonly phone: PhoneNumber | null;
  /** From platformN; null when the platform is not a word Duo knows. */
  readonly kind: PhoneKind | null;
  readonly platformText: string;
}

export interface RowToken {
  /** The column's number: token2 → 2. */
  readonly n: number;
  /** The serial number as written in the cell (trimmed). */
  readonly serial: string;
  /** From typeN; null when the cell is empty or not one of Duo's type codes (validate says why). */
  readonly type: TokenType | null;
  readonly typeText: string;
}

export interface RowOptions {
  /** The country of phone numbers written without +CC (--default-country). */
  readonly defaultCountry?: CountryCode | undefined;
}

export interface CleanCell {
  readonly value: string;
  /** Leading or trailing white space was removed. */
  readonly trimmed: boolean;
}

export function cleanCell(raw: string | undefined): CleanCell {
  if (raw === undefined || raw.length === 0) return EMPTY;
  const outer = raw.trim();
  const unescaped = unescapeFormula(outer);
  const value = unescaped === outer ? outer : unescaped.trim();
  return { value, trimmed: outer.length !== raw.length || value.length !== unescaped.length };
}
const EMPTY: CleanCell = { value: '', trimmed: false };

export function cellValue(cells: readonly string[], layout: ColumnLayout, column: KnownColumn): string {
  const at = layout.index[column];
  return at === undefined ? '' : cleanCell(cells[at]).value;
}

/**
 * One row as duo-bridge sends it: values trimmed, unescaped and NFC-normalised (Duo compares names
 * after NFC; a decomposed "é" typed on a Mac would otherwise be a different name).
 */
export function toDuoUserRow(cells: readonly string[], layout: ColumnLayout, line: number, row: number, options: RowOptions = {}): DuoUserRow {
  const get = (column: KnownColumn): string => cellValue(cells, layout, column).normalize('NFC');
  const username = get('username');
  const aliases: (readonly [number, string])[] = [];
  const droppedAliases: (readonly [number, string])[] = [];
  for (const [n, at] of layout.aliases) {
    const value = cleanCell(cells[at]).value.normalize('NFC');
    if (value === '') continue;
    if (username !== '' && nameKey(value) === nameKey(username)) droppedAliases.push([n, value]);
    else aliases.push([n, value]);
  }
  return {
    line,
    row,
    username,
    realname: get('realname'),
    firstname: get('firstname'),
    lastname: get('lastname'),
    email: get('email'),
    status: get('status').toLowerCase(),
    notes: get('notes'),
    aliases,
    droppedAliases,
    groups: rowGroups(cells, layout),
    phones: rowPhones(cells, layout, options.defaultCountry),
    tokens: rowTokens(cells, layout),
    adGuid: get('ad_guid'),
    adDn: get('ad_dn'),
    cells,
  };
}

function rowGroups(cells: readonly string[], layout: ColumnLayout): string[] {
  const groups = new Map<string, string>();
  for (const [, at] of layout.groups) {
    const name = cleanCell(cells[at]).value.normalize('NFC');
    if (name !== '' && !groups.has(nameKey(name))) groups.set(nameKey(name), name);
  }
  return [...groups.values()];
}

function rowPhones(cells: readonly string[], layout: ColumnLayout, country: CountryCode | undefined): RowPhone[] {
  const phones: RowPhone[] = [];
  for (const [n, at, platformAt] of layout.phones) {
    const text = cleanCell(cells[at]).value;
    if (text === '') continue;
    const platformText = platformAt === undefined ? '' : cleanCell(cells[platformAt]).value;
    const parsed = parsePhone(text, country);
    phones.push({ n, text, phone: parsed.ok ? parsed.phone : null, kind: phoneKind(platformText), platformText });
  }
  return phones;
}

function rowTokens(cells: readonly string[], layout: ColumnLayout): RowToken[] {
  const tokens: RowToken[] = [];
  for (const [n, at, typeAt] of layout.tokens) {
    const serial = cleanCell(cells[at]).value;
    if (serial === '') continue;
    const typeText = typeAt === undefined ? '' : cleanCell(cells[typeAt]).value;
    tokens.push({ n, serial, type: tokenType(typeText), typeText });
  }
  return tokens;
}

/**
 * The data rows of a Duo CSV, for commands that act on an already validated file.
 * Structural problems end the stream silently: validation reports them.
 */
export function readDuoUserRows(source: AsyncIterable<Buffer | string>, options: CsvReadOptions & RowOptions = {}): AsyncGenerator<DuoUserRow> {
  return duoUserRows(readCsvRecords(source, options), options);
}

/** The same from a file the user named: a CSV or an .xlsx workbook. */
export async function* readDuoUserRowsFromFile(path: string, options: InputOptions & RowOptions = {}): AsyncGenerator<DuoUserRow> {
  yield* duoUserRows(openRecords(path, options), options);
}

async function* duoUserRows(events: AsyncIterable<CsvReadEvent>, options: RowOptions): AsyncGenerator<DuoUserRow> {
  let layout: ColumnLayout | null = null;
  for await (const event of events) {
    if (event.type === 'header') layout = layoutColumns(event.cells);
    else if (event.type === 'record' && layout !== null) yield toDuoUserRow(event.cells, layout, event.line, event.row, options);
    else if (event.type === 'problem' && event.problem.fatal) return;
  }
}
