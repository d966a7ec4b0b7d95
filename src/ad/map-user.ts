import type { CountryCode } from 'libphonenumber-js';
import { MAX_ALIASES } from '../csv/columns.js';
import { nameKey } from '../names.js';
import { parsePhone, phoneKey } from '../phone.js';
import { firstBytes, firstText, textValues, type DirectoryEntry } from './directory-entry.js';
import { formatObjectGuid } from './guid.js';
import { readAccountControl, unreadableStatus } from './account-control.js';

export interface UserMapping {
  /** Attribute holding the Duo username, e.g. sAMAccountName, mail, userPrincipalName. */
  readonly usernameAttribute: string;
  /** Attributes whose values become alias1.., in order; a multi-valued one contributes every value. */
  readonly aliasAttributes: readonly string[];
  readonly lowercase: boolean;
  /** Attributes whose first value becomes phone1.., in order (e.g. mobile, telephoneNumber). */
  readonly phoneAttributes: readonly string[];
  /** The country of numbers written without +CC. */
  readonly defaultCountry?: CountryCode | undefined;
}

/** One row of the exported Duo CSV. */
export interface ExportedUser {
  readonly username: string;
  readonly realname: string;
  readonly firstname: string;
  readonly lastname: string;
  readonly email: string;
  readonly aliases: readonly string[];
  /** `userAccountControl=…` when that value is not a 32-bit integer: a status validate and sync refuse. */
  readonly status: '' | 'disabled' | `userAccountControl=${string}`;
  /** The entry had userAccountControl: without it, "enabled" is a guess (a dump taken without the attribute). */
  readonly statusKnown: boolean;
  readonly adGuid: string;
  readonly adDn: string;
  /** Aliases beyond Duo's 8 that were left out. */
  readonly droppedAliases: number;
  /** One cell per phone attribute: E.164 (with " x123" for an extension), as written when it can't be normalised, or ''. */
  readonly phones: readonly string[];
  /** Phone values kept as written because they are not a possible number (validate flags them). */
  readonly unnormalisedPhones: number;
}

export function mapUser(entry: DirectoryEntry, mapping: UserMapping): ExportedUser {
  const fold = (value: string): string => (mapping.lowercase ? value.toLowerCase() : value);
  const username = fold(nameValues(entry, mapping.usernameAttribute)[0] ?? '');

  const aliases: string[] = [];
  // Compared as validate and Duo compare names (NFC, then lower case): "José" typed two ways is one name.
  const seen = new Set([nameKey(username)]);
  for (const attribute of mapping.aliasAttributes) {
    for (const value of nameValues(entry, attribute)) {
      const alias = fold(value);
      if (seen.has(nameKey(alias))) continue;
      seen.add(nameKey(alias));
      aliases.push(alias);
    }
  }

  const phones: string[] = [];
  const numbers = new Set<string>();
  let unnormalisedPhones = 0;
  for (const attribute of mapping.phoneAttributes) {
    const text = firstText(entry, attribute);
    const parsed = text === '' ? null : parsePhone(text, mapping.defaultCountry);
    if (parsed === null) phones.push('');
    else if (!parsed.ok) {
      unnormalisedPhones++;
      phones.push(text);
    } else if (numbers.has(phoneKey(parsed.phone))) phones.push('');
    else {
      numbers.add(phoneKey(parsed.phone));
      phones.push(parsed.phone.extension ? `${parsed.phone.number} x${parsed.phone.extension}` : parsed.phone.number);
    }
  }

  const givenName = firstText(entry, 'givenName');
  const sn = firstText(entry, 'sn');
  const guid = firstBytes(entry, 'objectGUID');
  const uac = readAccountControl(firstText(entry, 'userAccountControl'));
  return {
    username,
    realname: firstText(entry, 'displayName') || [givenName, sn].filter(Boolean).join(' '),
    firstname: givenName,
    lastname: sn,
    email: firstText(entry, 'mail'),
    aliases: aliases.slice(0, MAX_ALIASES),
    status: uac.kind === 'unreadable' ? unreadableStatus(uac.text) : uac.kind === 'read' && uac.disabled ? 'disabled' : '',
    statusKnown: uac.kind !== 'missing',
    adGuid: guid !== null && guid.length === 16 ? formatObjectGuid(guid) : '',
    adDn: entry.dn,
    droppedAliases: Math.max(0, aliases.length - MAX_ALIASES),
    phones,
    unnormalisedPhones,
  };
}

/**
 * The trimmed, non-empty values of a name attribute. proxyAddresses holds typed addresses
 * (SMTP:, smtp:, X500:, SIP:…): only SMTP ones are names, without the prefix, the primary
 * (upper-case SMTP:) first.
 */
function nameValues(entry: DirectoryEntry, attribute: string): string[] {
  const values = textValues(entry, attribute).map((v) => v.trim()).filter((v) => v !== '');
  if (attribute.toLowerCase() !== 'proxyaddresses') return values;
  const primary = values.filter((v) => v.startsWith('SMTP:'));
  const secondary = values.filter((v) => v.toLowerCase().startsWith('smtp:') && !v.startsWith('SMTP:'));
  return [...primary, ...secondary].map((v) => v.slice(5)).filter((v) => v !== '');
}

/** What the export reads from each entry. */
export function attributesToRead(mapping: UserMapping): string[] {
  const wanted = ['displayName', 'givenName', 'sn', 'mail', 'userAccountControl', 'objectGUID',
    mapping.usernameAttribute, ...mapping.aliasAttributes, ...mapping.phoneAttributes];
  const seen = new Set<string>();
  return wanted.filter((name) => !seen.has(name.toLowerCase()) && seen.add(name.toLowerCase()));
}
