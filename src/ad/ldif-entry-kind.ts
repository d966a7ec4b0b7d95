import type { DirectoryEntry } from './directory-entry.js';
import { readAccountControl } from './account-control.js';

/**
 * Why an entry of an LDIF dump is not exported as a user. A dump may hold every kind of object, and
 * may have been made without the attributes that say which is which: what AD always gives an
 * object is used then (a computer's `$` and its sAMAccountType, a built-in account's RID).
 */
export type NotAUser = 'disabled' | 'computer' | 'built-in' | 'deleted' | 'unreadable' | 'other';

export const NOT_A_USER: readonly NotAUser[] = ['disabled', 'computer', 'built-in', 'deleted', 'unreadable', 'other'];

/** sAMAccountType of a user account (SAM_USER_OBJECT) and of a computer (SAM_MACHINE_ACCOUNT). */
const SAM_USER_OBJECT = 805306368;
const SAM_MACHINE_ACCOUNT = 805306369;
/** Administrator, Guest, krbtgt, DefaultAccount: AD's well-known relative ids. */
const BUILT_IN_RIDS = new Set([500, 501, 502, 503]);

export interface EntryKind {
  /** null: a user to export. */
  readonly notAUser: NotAUser | null;
  /** The dump says nothing that tells a user from another object (no objectClass, objectCategory or sAMAccountType). */
  readonly indistinct: boolean;
}

export function classifyLdifEntry(entry: DirectoryEntry, includeDisabled: boolean): EntryKind {
  const text = (name: string): string | undefined => entry.attributes.get(name)?.[0]?.toString();
  if (entry.attributes.size === 0) return { notAUser: 'unreadable', indistinct: false };
  if (isDeleted(entry.dn, text('isdeleted'))) return { notAUser: 'deleted', indistinct: false };
  const classes = (entry.attributes.get('objectclass') ?? []).map((c) => c.toString().toLowerCase());
  const category = text('objectcategory')?.toLowerCase();
  const samType = text('samaccounttype');
  const kind = (notAUser: NotAUser | null): EntryKind => ({ notAUser, indistinct: classes.length === 0 && category === undefined && samType === undefined });
  // Every AD security principal has a sAMAccountName: without one, and without anything else to go by, it is a container, an OU, the domain.
  if (kind(null).indistinct && text('samaccountname') === undefined) return kind('other');
  if (classes.includes('computer') || category?.startsWith('cn=computer,') || Number(samType) === SAM_MACHINE_ACCOUNT || text('samaccountname')?.endsWith('$')) return kind('computer');
  if (classes.length > 0 && !classes.includes('user')) return kind('other');
  if (category !== undefined && !category.startsWith('cn=person,')) return kind('other');
  if (samType !== undefined && Number(samType) !== SAM_USER_OBJECT) return kind('other');
  // With objectClass, the dump was made like an LDAP export and selects as it does (the built-in Administrator included).
  const rid = classes.length === 0 ? relativeId(entry.attributes.get('objectsid')?.[0]) : null;
  if (rid !== null && BUILT_IN_RIDS.has(rid)) return kind('built-in');
  // An unreadable value is kept: the user is written with it, and validate and sync refuse that row.
  const uac = readAccountControl(text('useraccountcontrol'));
  return kind(!includeDisabled && uac.kind === 'read' && uac.disabled ? 'disabled' : null);
}

/** AD moves a deleted object under CN=Deleted Objects and mangles its RDN with "\0ADEL:" (and sets isDeleted). */
function isDeleted(dn: string, isDeletedValue: string | undefined): boolean {
  return isDeletedValue?.trim().toUpperCase() === 'TRUE' || /(^|,)\s*CN=Deleted Objects\s*,/i.test(dn) || /\\0ADEL:/i.test(dn);
}

/** The last sub-authority of a SID, binary (as AD stores it) or in its S-1-5-21-…-RID text form. */
function relativeId(sid: string | Buffer | undefined): number | null {
  if (sid === undefined) return null;
  if (typeof sid === 'string') {
    const match = /^S-1-\d+(?:-\d+)*-(\d+)$/i.exec(sid.trim());
    return match ? Number(match[1]) : null;
  }
  const count = sid[1];
  if (sid.length < 8 || count === undefined || count === 0 || sid.length !== 8 + 4 * count) return null;
  return sid.readUInt32LE(sid.length - 4);
}
