import { writeFileAtomically } from '../atomic-file.js';
import { ALIAS_COLUMNS, DUO_COLUMNS, TRACE_COLUMNS } from '../csv/columns.js';
import { createRowWriter } from '../csv/row-writer.js';
import { openInputFile } from '../input-file.js';
import type { DirectoryEntry } from './directory-entry.js';
import type { ExportOptions } from './export-options.js';
import { searchLdap, type LdapSearchProgress } from './ldap-source.js';
import { readLdifEntries, type LdifStats } from './ldif-reader.js';
import { attributesToRead, mapUser } from './map-user.js';
import { buildUserFilter } from './user-filter.js';
import { resolveGroupMembership } from './duo-groups.js';

export interface ExportProgress {
  readonly users: number;
  /** LDAP result pages received (0 for LDIF). */
  readonly pages: number;
}

export interface ExportSummary extends ExportProgress {
  /** Users written with an empty username: no value in the username attribute. */
  readonly missingUsername: number;
  readonly disabled: number;
  /** Users that had more than 8 aliases; the first 8 were kept. */
  readonly aliasOverflow: number;
  readonly referrals: number;
  /** Entries of the LDIF that were not users (or were change records) and were skipped. */
  readonly skipped: number;
  /** Phone values written as found, because they are not a possible number. */
  readonly unnormalisedPhones: number;
  /** Users given at least one Duo group. */
  readonly inGroups: number;
  /** --duo-group DNs that no exported user is a member of. */
  readonly emptyGroups: readonly string[];
}

/** Duo's columns, then phone1.. and group1.. as many as mapped, then the traceability columns. */
function exportColumns(options: ExportOptions): string[] {
  const numbered = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
  return [...DUO_COLUMNS, ...numbered('phone', options.mapping.phoneAttributes.length), ...numbered('group', options.duoGroups.length), ...TRACE_COLUMNS];
}
const ACCOUNT_DISABLED = 0x2;

/**
 * Directory → Duo CSV, streamed: one page of entries in memory at a time. The CSV appears only
 * when the export is complete. Users without a username are written (empty cell) and counted,
 * never dropped: silently skipping them is the directory-sync bug this tool exists to fix.
 */
export async function exportUsers(
  options: ExportOptions,
  onProgress: (progress: ExportProgress) => void = () => undefined,
): Promise<ExportSummary> {
  const ldap: LdapSearchProgress = { entries: 0, pages: 0, referrals: 0 };
  const ldif: LdifStats = { changeRecords: 0 };
  let users = 0;
  let missingUsername = 0;
  let disabled = 0;
  let aliasOverflow = 0;
  let skipped = 0;
  let unnormalisedPhones = 0;
  let inGroups = 0;

  const membership = await resolveGroupMembership(options.source, options.duoGroups, ldap);
  const entries = await openSource(options, ldap, ldif);
  await writeFileAtomically(options.out, async (out) => {
    const table = createRowWriter(out, exportColumns(options), options.format, { crlf: options.crlf });
    let lastPages = -1;
    for await (const entry of entries) {
      if (options.source.kind === 'ldif' && !isSelectedLdifUser(entry, options.selection.includeDisabled)) {
        skipped++;
        continue;
      }
      const user = mapUser(entry, options.mapping);
      users++;
      if (user.username === '') missingUsername++;
      if (user.status === 'disabled') disabled++;
      if (user.droppedAliases > 0) aliasOverflow++;
      unnormalisedPhones += user.unnormalisedPhones;
      const groups = membership.groupsOf(entry);
      if (groups.length > 0) inGroups++;
      const row = [user.username, user.realname, user.firstname, user.lastname, user.email,
        ...ALIAS_COLUMNS.map((_, i) => user.aliases[i] ?? ''), user.status, '',
        ...user.phones, ...options.duoGroups.map((_, i) => groups[i] ?? ''), user.adGuid, user.adDn];
      await table.write(row);
      if (ldap.pages !== lastPages || users % 1000 === 0) {
        lastPages = ldap.pages;
        onProgress({ users, pages: ldap.pages });
      }
    }
    await table.end();
  });
  onProgress({ users, pages: ldap.pages });
  return {
    users, pages: ldap.pages, missingUsername, disabled, aliasOverflow, referrals: ldap.referrals, skipped: skipped + ldif.changeRecords,
    unnormalisedPhones, inGroups, emptyGroups: membership.empty,
  };
}

async function openSource(options: ExportOptions, ldap: LdapSearchProgress, ldif: LdifStats): Promise<AsyncIterable<DirectoryEntry>> {
  const { source } = options;
  if (source.kind === 'ldif') return readLdifEntries(await openInputFile(source.file), source.file, ldif);
  return searchLdap({ ...source, filter: buildUserFilter(options.selection), attributes: attributesToRead(options.mapping) }, ldap);
}

/**
 * The LDAP filter's user selection, applied to a dump that may hold every kind of object.
 * A dump made without objectClass was selected by its own filter: its entries are taken as users.
 */
function isSelectedLdifUser(entry: DirectoryEntry, includeDisabled: boolean): boolean {
  const classes = (entry.attributes.get('objectclass') ?? []).map((c) => c.toString().toLowerCase());
  if (classes.length > 0 && (!classes.includes('user') || classes.includes('computer'))) return false;
  const category = entry.attributes.get('objectcategory')?.[0]?.toString().toLowerCase();
  if (category !== undefined && !category.startsWith('cn=person,')) return false;
  const uac = Number(entry.attributes.get('useraccountcontrol')?.[0]?.toString() ?? '0');
  return includeDisabled || (uac & ACCOUNT_DISABLED) === 0;
}
