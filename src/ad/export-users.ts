import { writeFileAtomically } from '../atomic-file.js';
import { ALIAS_COLUMNS, DUO_COLUMNS, TRACE_COLUMNS } from '../csv/columns.js';
import { createRowWriter } from '../csv/row-writer.js';
import type { ExportOptions } from './export-options.js';
import { newReadStats, readDirectoryUsers, userReferralsOf } from './directory-users.js';
import type { NotAUser } from './ldif-entry-kind.js';

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
  /** Search references not followed that may lead to users (LDAP, or `# refldap://` lines in a dump): the CSV may lack users. */
  readonly userReferrals: number;
  /** LDIF entries read, users or not (0 for LDAP, whose filter selects the users). */
  readonly entries: number;
  /** LDIF entries not exported, by why (disabled accounts, computers, built-in accounts, deleted objects, entries that are only a DN, other objects). */
  readonly notUsers: Readonly<Record<NotAUser, number>>;
  /** LDIF entries without objectClass, objectCategory or sAMAccountType. */
  readonly indistinct: number;
  /** LDIF change records (changetype modify/delete/modrdn): not entries, skipped. */
  readonly changeRecords: number;
  /** Phone values written as found, because they are not a possible number. */
  readonly unnormalisedPhones: number;
  /** Users given at least one Duo group. */
  readonly inGroups: number;
  /** --duo-group DNs that no exported user is a member of. */
  readonly emptyGroups: readonly string[];
  /** Users whose userAccountControl is not a 32-bit integer: written with a status validate refuses, and the first DNs. */
  readonly unreadableStatus: number;
  readonly unreadableStatusDns: readonly string[];
  /** False when no user was exported: no file was written (an export of nobody is a failure, not an empty list). */
  readonly written: boolean;
}

/** Thrown inside the atomic write to leave no file behind; never escapes exportUsers. */
class NothingExported extends Error {}

/** Duo's columns, then phone1.. and group1.. as many as mapped, then the traceability columns. */
function exportColumns(options: ExportOptions): string[] {
  const numbered = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
  return [...DUO_COLUMNS, ...numbered('phone', options.mapping.phoneAttributes.length), ...numbered('group', options.duoGroups.length), ...TRACE_COLUMNS];
}

/**
 * Directory → Duo CSV, streamed: one page of entries in memory at a time. The CSV appears only
 * when the export is complete. Users without a username are written (empty cell) and counted,
 * never dropped: silently skipping them is the directory-sync bug this tool exists to fix.
 */
export async function exportUsers(
  options: ExportOptions,
  onProgress: (progress: ExportProgress) => void = () => undefined,
): Promise<ExportSummary> {
  const stats = newReadStats();
  let users = 0;
  let missingUsername = 0;
  let disabled = 0;
  let aliasOverflow = 0;
  let unnormalisedPhones = 0;
  let inGroups = 0;
  let unreadableStatus = 0;
  const unreadableStatusDns: string[] = [];
  let written = true;

  const entries = readDirectoryUsers(options, stats);
  await writeFileAtomically(options.out, async (out) => {
    const table = createRowWriter(out, exportColumns(options), options.format, { crlf: options.crlf });
    let lastPages = -1;
    for await (const { user, groups } of entries) {
      users++;
      if (user.username === '') missingUsername++;
      if (user.status === 'disabled') disabled++;
      if (user.status.startsWith('userAccountControl=') && ++unreadableStatus <= 3) unreadableStatusDns.push(user.adDn);
      if (user.droppedAliases > 0) aliasOverflow++;
      unnormalisedPhones += user.unnormalisedPhones;
      if (groups.length > 0) inGroups++;
      const row = [user.username, user.realname, user.firstname, user.lastname, user.email,
        ...ALIAS_COLUMNS.map((_, i) => user.aliases[i] ?? ''), user.status, '',
        ...user.phones, ...options.duoGroups.map((_, i) => groups[i] ?? ''), user.adGuid, user.adDn];
      await table.write(row);
      if (stats.ldap.pages !== lastPages || users % 1000 === 0) {
        lastPages = stats.ldap.pages;
        onProgress({ users, pages: stats.ldap.pages });
      }
    }
    if (users === 0) throw new NothingExported();
    await table.end();
  }).catch((error: unknown) => {
    if (!(error instanceof NothingExported)) throw error;
    written = false;
  });
  onProgress({ users, pages: stats.ldap.pages });
  return {
    users, pages: stats.ldap.pages, missingUsername, disabled, aliasOverflow, referrals: stats.ldap.referrals + (stats.ldif.referrals ?? 0), userReferrals: userReferralsOf(stats), entries: stats.entries, notUsers: stats.notUsers, indistinct: stats.indistinct, changeRecords: stats.ldif.changeRecords,
    unnormalisedPhones, inGroups, emptyGroups: stats.emptyGroups, unreadableStatus, unreadableStatusDns, written,
  };
}
