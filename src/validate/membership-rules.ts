import type { CountryCode } from 'libphonenumber-js';
import type { ColumnLayout } from '../csv/columns.js';
import { nameKey } from '../names.js';
import { parsePhone, phoneKey, phoneKind, PLATFORM_CHOICES } from '../phone.js';
import type { Finding, FindingInit } from './findings.js';
import type { DeviceRegistry } from './device-registry.js';
import { tokenKey, tokenType, tokenTypeNamed, TOKEN_TYPE_CHOICES, TOKEN_TYPES } from '../token.js';

type At = (column: string | null, init: Omit<FindingInit, 'line' | 'row' | 'column'>) => Finding;

/**
 * A row's group, phone and token cells: each group once, each phone a possible number on a platform
 * Duo knows, each token a serial with one of Duo's type codes.
 */
export function checkGroupsAndDevices(
  values: readonly (string | undefined)[],
  line: number,
  row: number,
  layout: ColumnLayout,
  devices: { readonly phones: DeviceRegistry | null; readonly tokens: DeviceRegistry | null },
  defaultCountry: CountryCode | undefined,
  at: At,
  out: Finding[],
): void {
  const names = layout.names;
  const groups = new Set<string>();
  for (const [, cellAt] of layout.groups) {
    const group = values[cellAt] ?? '';
    if (group === '') continue;
    if (groups.has(nameKey(group))) {
      out.push(at(names[cellAt]!, { code: 'DUPLICATE_GROUP', value: group, message: `group "${group}" appears twice on this row`, fix: 'remove the second copy' }));
    }
    groups.add(nameKey(group));
  }

  const seen = new Set<string>();
  for (const [n, cellAt, platformAt] of layout.phones) {
    const text = values[cellAt] ?? '';
    const platform = platformAt === undefined ? '' : values[platformAt] ?? '';
    if (text === '') {
      if (platform !== '') {
        out.push(at(names[platformAt!]!, { code: 'PLATFORM_WITHOUT_PHONE', value: platform, message: `platform "${platform}" has no phone number in ${names[cellAt]}`,
          fix: `fill in ${names[cellAt]} or clear the platform` }));
      }
      continue;
    }
    const column = names[cellAt]!;
    const parsed = parsePhone(text, defaultCountry);
    if (!parsed.ok) {
      out.push(parsed.reason === 'needs-country'
        ? at(column, { code: 'PHONE_NEEDS_COUNTRY', value: text, message: parsed.message,
          fix: 'Duo itself reads a number without "+" as a US number: if these are US numbers, say so with --default-country US; otherwise write each with its country code (+44 …) or give --default-country CC' })
        : at(column, { code: 'INVALID_PHONE', value: text, message: parsed.message,
          fix: 'correct the number (E.164, e.g. +17345551234, with an extension as "x3243"), or clear the cell' }));
    }
    if (phoneKind(platform) === null) {
      out.push(at(names[platformAt!]!, { code: 'UNKNOWN_PLATFORM', value: platform, message: `platform "${platform}" is not one Duo knows`,
        fix: `use ${PLATFORM_CHOICES}, or leave it empty` }));
    }
    if (!parsed.ok) continue;
    const key = phoneKey(parsed.phone);
    if (seen.has(key)) {
      out.push(at(column, { code: 'DUPLICATE_PHONE', value: text, message: `phone ${text} appears twice on this row`, fix: 'remove the second copy' }));
      continue;
    }
    seen.add(key);
    devices.phones?.add(key, line, { row, n, text });
  }

  const tokens = new Set<string>();
  for (const [n, cellAt, typeAt] of layout.tokens) {
    const serial = values[cellAt] ?? '';
    const typeText = typeAt === undefined ? '' : values[typeAt] ?? '';
    if (serial === '') {
      if (typeText !== '') {
        out.push(at(names[typeAt!]!, { code: 'TOKEN_WITHOUT_SERIAL', value: typeText, message: `token type "${typeText}" has no serial number in ${names[cellAt]}`,
          fix: `fill in ${names[cellAt]} with the serial printed on the token, or clear the type` }));
      }
      continue;
    }
    const column = names[cellAt]!;
    const type = tokenType(typeText);
    if (type === null) {
      const typeColumn = typeAt === undefined ? `type${n}` : names[typeAt]!;
      const named = tokenTypeNamed(typeText);
      out.push(at(typeAt === undefined ? column : typeColumn, { code: 'INVALID_TOKEN_TYPE', value: typeText === '' ? serial : typeText,
        message: typeText === '' ? `hardware token ${serial} has no type in ${typeColumn}: Duo finds a token by its type and serial`
          : `"${typeText}" is not one of Duo's token type codes`,
        fix: named !== null ? `write ${named}, Duo's code for ${TOKEN_TYPES[named]}` : `write one of ${TOKEN_TYPE_CHOICES} in ${typeColumn}` }));
      continue;
    }
    const key = tokenKey({ type, serial });
    if (tokens.has(key)) {
      out.push(at(column, { code: 'DUPLICATE_TOKEN', value: serial, message: `hardware token ${serial} appears twice on this row`, fix: 'remove the second copy' }));
      continue;
    }
    tokens.add(key);
    devices.tokens?.add(key, line, { row, n, text: serial });
  }
}
