import { escapeFilter } from 'ldapts';
import { UsageError } from '../errors.js';

export interface UserSelection {
  /** An LDAP filter ANDed with the user-object filter, as the admin typed it. */
  readonly filter?: string | undefined;
  /** Group DNs; members at any depth are selected. */
  readonly groups: readonly string[];
  readonly includeDisabled: boolean;
}

// objectCategory=person keeps computer accounts out (they are objectClass=user too).
const USERS = '(objectCategory=person)(objectClass=user)';
// userAccountControl bit 2 = ACCOUNTDISABLE; 1.2.840.113556.1.4.803 = bitwise AND.
const ENABLED = '(!(userAccountControl:1.2.840.113556.1.4.803:=2))';
// LDAP_MATCHING_RULE_IN_CHAIN: membership through nested groups.
const IN_CHAIN = '1.2.840.113556.1.4.1941';

export function buildUserFilter(selection: UserSelection): string {
  const parts = [USERS];
  if (!selection.includeDisabled) parts.push(ENABLED);
  if (selection.groups.length === 1) parts.push(memberOf(selection.groups[0]!));
  if (selection.groups.length > 1) parts.push(`(|${selection.groups.map(memberOf).join('')})`);
  if (selection.filter !== undefined && selection.filter.trim() !== '') parts.push(wrapFilter(selection.filter.trim()));
  return `(&${parts.join('')})`;
}

/** Users who are members of the group at any depth, enabled or not (the export's selection decides that). */
export function membersFilter(groupDn: string): string {
  return `(&${USERS}${memberOf(groupDn)})`;
}

/**
 * The objects with one of these DNs: what a read of only the changed users ANDs with the selection.
 * (Not their objectGUIDs: ldapts turns a filter string's \\xx escapes into characters, not bytes.)
 */
export function anyOfFilter(dns: readonly string[]): string {
  const terms = dns.map((dn) => `(distinguishedName=${escapeFilter`${dn}`})`);
  return terms.length === 1 ? terms[0]! : `(|${terms.join('')})`;
}

/**
 * The attributes an admin's filter tests (`(department=Sales)`, `(!(title=Intern*))`): a change to
 * one of them can add a user to the selection or take one out, so a change reader must watch them.
 * memberOf is left out: a membership changes on the group's member attribute, which is watched.
 */
export function filterAttributes(filter: string | undefined): string[] {
  if (filter === undefined) return [];
  const names = new Set<string>();
  for (const match of `(${filter})`.matchAll(/\(\s*([A-Za-z][\w-]*|\d+(?:\.\d+)+)\s*(?::[^=()]*)?[~<>]?=/g)) {
    if (match[1]!.toLowerCase() !== 'memberof') names.add(match[1]!);
  }
  return [...names];
}

function memberOf(groupDn: string): string {
  return `(memberOf:${IN_CHAIN}:=${escapeFilter`${groupDn}`})`;
}

/** The admin's own filter is LDAP syntax, not a value: check the parentheses balance and wrap it. */
function wrapFilter(filter: string): string {
  let depth = 0;
  for (let i = 0; i < filter.length; i++) {
    if (filter[i] === '\\') i++;
    else if (filter[i] === '(') depth++;
    else if (filter[i] === ')' && --depth < 0) break;
  }
  if (depth !== 0) throw new UsageError('BAD_OPTION', `--filter has unbalanced parentheses: ${filter}`);
  return filter.startsWith('(') ? filter : `(${filter})`;
}
