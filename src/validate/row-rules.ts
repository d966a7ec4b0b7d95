import type { CountryCode } from 'libphonenumber-js';
import { ALIAS_COLUMNS, layoutColumns, type ColumnLayout } from '../csv/columns.js';
import { cleanCell } from '../csv/duo-row.js';
import { startsWithFormulaTrigger } from '../csv/formula.js';
import { nameKey } from '../names.js';
import { invisibleCharacter, lengthOver, MAX_NAME_LENGTH, MAX_TEXT_LENGTH } from '../name-rules.js';
import { finding, type Finding, type FindingInit } from './findings.js';
import type { NameRegistry } from './name-registry.js';
import { checkGroupsAndDevices } from './membership-rules.js';
import type { DeviceRegistry } from './device-registry.js';
import { checkRowShape } from './row-schema.js';

export interface RowCheckOptions {
  /** Most aliases a row may hold (Duo allows 8; older tenants 4). */
  readonly maxAliases: number;
  /** The country of phone numbers written without +CC. */
  readonly defaultCountry?: CountryCode | undefined;
  /** Phone numbers across rows (SHARED_PHONE); null when the file has no phone column. */
  readonly phones?: DeviceRegistry | null;
  /** Hardware tokens across rows (SHARED_TOKEN); null when the file has no token column. */
  readonly tokens?: DeviceRegistry | null;
}

// Excel shows long digit strings as 1.23457E+15 and saves them that way: the original digits are gone.
const SCIENTIFIC = /^[+-]?\d(?:[.,]\d+)?E[+-]\d+$/i;
// How Duo decodes these in the `aliases` parameter is unconfirmed (no official source says).
const RISKY_ALIAS_CHARACTERS = /[&=%]/;

// NUL and the other C0/C1 controls are damage in any cell; in a name or email, so are tab and line breaks.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const NAME_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

interface CellRules {
  /** Per cell: is it the username, an alias or the email (where no control or invisible character may stand). */
  readonly identifier: readonly boolean[];
  /** Per cell: the longest value it may hold (a username or alias: Duo's name limit). */
  readonly limit: readonly number[];
}

const CELL_RULES = new WeakMap<ColumnLayout, CellRules>();

function cellRules(layout: ColumnLayout): CellRules {
  let rules = CELL_RULES.get(layout);
  if (rules === undefined) {
    const identifier = new Array<boolean>(layout.names.length).fill(false);
    const limit = new Array<number>(layout.names.length).fill(MAX_TEXT_LENGTH);
    const names = [layout.index.username, ...layout.aliases.map(([, cellAt]) => cellAt)];
    for (const at of [...names, layout.index.email]) if (at !== undefined) identifier[at] = true;
    for (const at of names) if (at !== undefined) limit[at] = MAX_NAME_LENGTH;
    CELL_RULES.set(layout, (rules = { identifier, limit }));
  }
  return rules;
}

/** Checks one data row; cross-row name checks are fed to the registry and reported at the end. */
export function checkRow(
  cells: readonly string[],
  line: number,
  row: number,
  layout: ColumnLayout,
  registry: Pick<NameRegistry, 'startRow' | 'add'>,
  options: RowCheckOptions,
  out: Finding[],
  fields = cells.length,
): void {
  const at = (column: string | null, init: Omit<FindingInit, 'line' | 'row' | 'column'>): Finding =>
    finding({ line, row, column, ...init });
  const names = layout.names;

  if (fields > names.length) {
    out.push(at(null, { code: 'FIELD_COUNT', message: `the record has ${fields} fields but the header has ${names.length}`,
      fix: 'quote values that contain the delimiter, or remove the extra cells' }));
  }
  const width = Math.min(cells.length, names.length);
  // Each cell cleaned once; the checks below read the cleaned values from here.
  const values: string[] = new Array<string>(width);
  const rules = cellRules(layout);
  const nameCells = rules.identifier;
  for (let i = 0; i < width; i++) {
    const raw = cells[i]!;
    let value = raw;
    if (raw.length > 0 && !isPlain(raw)) {
      const cleaned = cleanCell(raw);
      value = cleaned.value;
      if (cleaned.trimmed) out.push(at(names[i]!, { code: 'WHITESPACE', value, message: 'leading or trailing white space was trimmed' }));
    }
    values[i] = value;
    const rule = nameCells[i] ? NAME_CONTROL : CONTROL;
    const control = rule.test(value) ? rule.exec(value) : null;
    if (control !== null) {
      const code = `U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
      out.push(at(names[i]!, { code: 'CONTROL_CHARACTER', value, message: `the value holds a control character (${code}${code === 'U+0000' ? ', NUL' : ''}) at position ${control.index + 1}`,
        fix: 'retype the value: a control character (or a line break in a name) is damage, and Duo would store it as it is' }));
    }
    const invisible = nameCells[i] ? invisibleCharacter(value) : null;
    if (invisible !== null) {
      const what = invisible.codePoint === 'U+FFFD' ? 'a replacement character (U+FFFD: a byte that could not be read)' : `an invisible or direction-changing character (${invisible.codePoint})`;
      out.push(at(names[i]!, { code: 'INVISIBLE_CHARACTER', value, message: `the value holds ${what} at position ${invisible.position}`,
        fix: 'retype the value: nobody can see this character in Duo, so the name would look like another or not be typed as it is stored' }));
    }
    const length = lengthOver(value, rules.limit[i]!);
    if (length !== null) {
      out.push(at(names[i]!, { code: 'VALUE_TOO_LONG', value: `${Array.from(value).slice(0, 40).join('')}…`, message: `the value is ${length.toLocaleString('en-US')} characters long; at most ${rules.limit[i]!.toLocaleString('en-US')} are allowed here`,
        fix: rules.limit[i] === MAX_NAME_LENGTH ? 'use a shorter name: Duo usernames and aliases are short identifiers' : 'shorten the value' }));
    }
    if (value.length > 0 && mayBeNumber(value) && SCIENTIFIC.test(value)) {
      out.push(at(names[i]!, { code: 'SCIENTIFIC_NOTATION', value, message: `"${value}" looks like a number Excel rewrote in scientific notation`,
        fix: 'format the column as Text in Excel and restore the original value' }));
    }
  }

  const usernameAt = layout.index.username!;
  const username = values[usernameAt] ?? '';
  const usernameKey = nameKey(username);
  registry.startRow(row, line);
  if (username === '') {
    out.push(at(names[usernameAt]!, { code: 'BLANK_USERNAME', value: '', message: 'the username is empty',
      fix: 'this user had no value in the username attribute: choose another --username-attr on export, or fill it in' }));
  } else {
    if (startsWithFormulaTrigger(username)) out.push(formulaPrefix(at, names[usernameAt]!, username));
    registry.add(usernameKey, username, row, 0);
  }

  const rowKeys: string[] = [];
  let aliasCount = 0;
  for (const [n, cellAt] of layout.aliases) {
    const alias = values[cellAt] ?? '';
    if (alias === '') continue;
    const column = names[cellAt]!;
    if (++aliasCount === options.maxAliases + 1) {
      out.push(at(column, { code: 'TOO_MANY_ALIASES', value: alias, message: `the row has more than ${options.maxAliases} aliases`,
        fix: `keep at most ${options.maxAliases} aliases per user` }));
    }
    if (startsWithFormulaTrigger(alias)) out.push(formulaPrefix(at, column, alias));
    if (RISKY_ALIAS_CHARACTERS.test(alias)) {
      out.push(at(column, { code: 'ALIAS_SPECIAL_CHARACTER', value: alias, message: `alias "${alias}" contains & = or %, which Duo may not store as written`,
        fix: 'check this alias in the Duo Admin Panel after the import' }));
    }
    const key = nameKey(alias);
    if (key === usernameKey) {
      out.push(at(column, { code: 'ALIAS_SAME_AS_USERNAME', value: alias, message: `alias "${alias}" is the row's own username`,
        fix: 'remove it: a username already matches itself' }));
    } else if (rowKeys.includes(key)) {
      out.push(at(column, { code: 'DUPLICATE_ALIAS', value: alias, message: `alias "${alias}" appears twice on this row`,
        fix: 'remove the second copy' }));
    } else {
      rowKeys.push(key);
      registry.add(key, alias, row, n);
    }
  }

  const shape: { email?: string; status?: string } = {};
  const email = valueAt(values, layout, 'email');
  const status = valueAt(values, layout, 'status');
  if (email !== '') shape.email = email;
  if (status !== '') shape.status = status.toLowerCase();
  for (const violation of checkRowShape(shape)) {
    const column = names[layout.index[violation.field]!]!;
    out.push(violation.code === 'INVALID_EMAIL'
      ? at(column, { code: 'INVALID_EMAIL', value: email, message: `"${email}" is not a valid email address`, fix: 'correct it or leave the cell empty' })
      : at(column, { code: 'INVALID_STATUS', value: status, message: `status "${status}" is not active, bypass or disabled`, fix: 'use active, bypass or disabled (empty means active)' }));
  }
  if (layout.groups.length > 0 || layout.phones.length > 0 || layout.tokens.length > 0) {
    checkGroupsAndDevices(values, line, row, layout, { phones: options.phones ?? null, tokens: options.tokens ?? null }, options.defaultCountry, at, out);
  }
}

/** The values of one user as duo-bridge would send them to Duo, outside any file (sync's AD users). */
export interface UserValues {
  readonly username: string;
  readonly realname: string;
  readonly firstname: string;
  readonly lastname: string;
  readonly email: string;
  readonly aliases: readonly string[];
  /** As export would write it ('' = active); a damaged userAccountControl makes it one validate refuses. */
  readonly status?: string;
}

const USER_COLUMNS = ['username', 'realname', 'firstname', 'lastname', 'email', ...ALIAS_COLUMNS, 'status'] as const;
let userLayout: ColumnLayout | undefined;
/** Names shared between users are the caller's to judge (sync has its own view of them): not collected here. */
const NO_REGISTRY: Pick<NameRegistry, 'startRow' | 'add'> = { startRow: () => undefined, add: () => undefined };

/**
 * The errors validate would report on a row holding these values: the same rules, so what sync
 * writes to Duo never differs from what `export` + `validate` call ready. Findings are on line 0.
 */
export function userValueErrors(user: UserValues): Finding[] {
  userLayout ??= layoutColumns(USER_COLUMNS);
  const cells = [user.username, user.realname, user.firstname, user.lastname, user.email, ...ALIAS_COLUMNS.map((_, i) => user.aliases[i] ?? ''), user.status ?? ''];
  const out: Finding[] = [];
  checkRow(cells, 0, 0, userLayout, NO_REGISTRY, { maxAliases: ALIAS_COLUMNS.length }, out);
  return out.filter((f) => f.severity === 'error');
}

function valueAt(values: readonly (string | undefined)[], layout: ColumnLayout, column: 'email' | 'status'): string {
  const i = layout.index[column];
  return i === undefined ? '' : values[i] ?? '';
}

/**
 * A cell that cleanCell would return unchanged: no white space at either end (ASCII ends, so no
 * Unicode space either) and no formula-escape quote. Most cells are; skipping the general path
 * for them keeps validate near the speed of parsing alone.
 */
function isPlain(raw: string): boolean {
  const first = raw.charCodeAt(0);
  const last = raw.charCodeAt(raw.length - 1);
  return first > 32 && first < 127 && first !== 39 && last > 32 && last < 127;
}

/** Only a value starting like a number can be one Excel rewrote (1.23E+15). */
function mayBeNumber(value: string): boolean {
  const c = value.charCodeAt(0);
  return (c >= 48 && c <= 57) || c === 43 || c === 45;
}

function formulaPrefix(
  at: (column: string | null, init: Omit<FindingInit, 'line' | 'row' | 'column'>) => Finding,
  column: string,
  value: string,
): Finding {
  return at(column, { code: 'FORMULA_PREFIX', value, message: `"${value}" starts with a spreadsheet formula character`,
    fix: 'check the name is what you meant; spreadsheets may have evaluated it' });
}
