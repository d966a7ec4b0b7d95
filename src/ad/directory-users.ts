import { openInputFile } from '../input-file.js';
import type { DirectoryEntry } from './directory-entry.js';
import type { DirectoryOptions } from './export-options.js';
import { searchLdap, type LdapSearchProgress } from './ldap-source.js';
import { readLdifEntries, type LdifStats } from './ldif-reader.js';
import { classifyLdifEntry, NOT_A_USER, type NotAUser } from './ldif-entry-kind.js';
import { attributesToRead, mapUser, type ExportedUser } from './map-user.js';
import { anyOfFilter, buildUserFilter } from './user-filter.js';
import { resolveGroupMembership } from './duo-groups.js';
import { normalDn } from './dn.js';
import { formatObjectGuid } from './guid.js';

/** One selected user of the directory, mapped to Duo's fields, with the Duo groups its AD groups give it. */
export interface DirectoryUser {
  readonly user: ExportedUser;
  readonly groups: readonly string[];
}

/** What a read of the directory saw besides the users: counted as it streams. */
export interface DirectoryReadStats {
  readonly ldap: LdapSearchProgress;
  readonly ldif: LdifStats;
  /** LDIF entries read (users or not). */
  entries: number;
  /** LDIF entries that are not selected users, by why. */
  readonly notUsers: Record<NotAUser, number>;
  /** LDIF entries without objectClass, objectCategory or sAMAccountType: nothing in the dump tells users from other objects. */
  indistinct: number;
  /** Mapped groups no selected user is a member of (known once the read is done). */
  emptyGroups: readonly string[];
}

export function newReadStats(): DirectoryReadStats {
  return {
    ldap: { entries: 0, pages: 0, referrals: 0, userReferrals: 0 }, ldif: { changeRecords: 0, searchResult: null, referrals: 0, userReferrals: 0 }, entries: 0,
    notUsers: Object.fromEntries(NOT_A_USER.map((why) => [why, 0])) as Record<NotAUser, number>, indistinct: 0, emptyGroups: [],
  };
}

/**
 * Search references not followed that may lead to users, from LDAP or from an ldapsearch dump (its
 * `# refldap://` lines): either way the read may lack users, and is counted the same.
 */
export function userReferralsOf(stats: DirectoryReadStats): number {
  return (stats.ldap.userReferrals ?? 0) + (stats.ldif.userReferrals ?? 0);
}

/**
 * The selected users of a directory (LDAP, paged, or an LDIF dump), streamed: one LDAP page in
 * memory at a time. The one reading that `export` writes to a CSV and `sync` compares with Duo.
 * `only`: just the entries with these DNs (the users a change names), still through the selection.
 */
export async function* readDirectoryUsers(options: DirectoryOptions, stats: DirectoryReadStats = newReadStats(), only?: readonly string[]): AsyncGenerator<DirectoryUser> {
  const narrow = only === undefined ? undefined : anyOfFilter(only);
  const wanted = only === undefined ? null : new Set(only.map(normalDn));
  const membership = await resolveGroupMembership(options.source, options.duoGroups, stats.ldap, narrow);
  for await (const entry of await openSource(options, stats, narrow)) {
    if (options.source.kind === 'ldif') {
      if (wanted !== null && !wanted.has(normalDn(entry.dn))) continue;
      stats.entries++;
      const kind = classifyLdifEntry(entry, options.selection.includeDisabled);
      if (kind.indistinct) stats.indistinct++;
      if (kind.notAUser !== null) {
        stats.notUsers[kind.notAUser]++;
        continue;
      }
    }
    yield { user: mapUser(entry, options.mapping), groups: membership.groupsOf(entry) };
  }
  stats.emptyGroups = membership.empty;
}

/** `narrow` (LDAP only): an LDAP filter ANDed with the selection, to read only some users (the changed ones). */
async function openSource(options: DirectoryOptions, stats: DirectoryReadStats, narrow: string | undefined): Promise<AsyncIterable<DirectoryEntry>> {
  const { source } = options;
  if (source.kind === 'ldif') return readLdifEntries(await openInputFile(source.file), source.file, stats.ldif);
  const filter = buildUserFilter(options.selection);
  return searchLdap({ ...source, filter: narrow === undefined ? filter : `(&${filter}${narrow})`, attributes: attributesToRead(options.mapping) }, stats.ldap);
}

/** An object a DN names, as a look-up under the naming context finds it. */
export interface FoundObject {
  readonly dn: string;
  readonly guid: string;
  readonly group: boolean;
}

/**
 * The objects these DNs name, anywhere under `root` (and matching `also`, an LDAP filter, when
 * given): what a changed group's members are (a user, a nested group), whether the mapped groups
 * still exist, which have no member left. Null from a dump, which can't be searched.
 */
export async function lookUpDns(options: DirectoryOptions, dns: readonly string[], root: string, also?: string): Promise<FoundObject[] | null> {
  if (options.source.kind !== 'ldap') return null;
  if (dns.length === 0) return [];
  const found: FoundObject[] = [];
  const filter = also === undefined ? anyOfFilter(dns) : `(&${anyOfFilter(dns)}${also})`;
  const search = { ...options.source, base: root, filter, attributes: ['objectGUID', 'objectClass'] };
  for await (const entry of searchLdap(search, newReadStats().ldap)) {
    const guid = entry.attributes.get('objectguid')?.[0];
    const classes = (entry.attributes.get('objectclass') ?? []).map((c) => String(c).toLowerCase());
    found.push({ dn: entry.dn, guid: Buffer.isBuffer(guid) && guid.length === 16 ? formatObjectGuid(guid) : '', group: classes.includes('group') });
  }
  return found;
}
