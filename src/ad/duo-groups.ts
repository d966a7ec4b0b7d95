import type { DirectoryEntry } from './directory-entry.js';
import { textValues } from './directory-entry.js';
import type { DuoGroupMapping, ExportSource } from './export-options.js';
import { searchLdap, type LdapSearchProgress } from './ldap-source.js';
import { membersFilter } from './user-filter.js';
import { normalDn } from './dn.js';

/**
 * Which users get which Duo groups. Over LDAP, one in-chain search per mapped group (members at
 * any depth), keeping the members' DNs: memory holds the members of the mapped groups, not the
 * directory. From an LDIF file, a user's own memberOf values (direct membership: a dump cannot be
 * searched in chain).
 */
export interface GroupMembership {
  /** The Duo group names of a user, in the order the groups were given. */
  groupsOf(entry: DirectoryEntry): string[];
  /** Mapped groups that had no member: a typo in a DN looks just like this. */
  readonly empty: readonly string[];
}

/** `narrow`: an LDAP filter ANDed with each group's member search (only the changed users' memberships are needed). */
export async function resolveGroupMembership(source: ExportSource, groups: readonly DuoGroupMapping[], progress: LdapSearchProgress, narrow?: string): Promise<GroupMembership> {
  if (groups.length === 0) return { groupsOf: () => [], empty: [] };
  if (source.kind === 'ldif') {
    const byDn = new Map(groups.map((g) => [normalDn(g.dn), g.name]));
    const seen = new Set<string>();
    return {
      groupsOf: (entry) => {
        const names = textValues(entry, 'memberOf').map((dn) => byDn.get(normalDn(dn))).filter((name): name is string => name !== undefined);
        for (const name of names) seen.add(name);
        return [...new Set(names)];
      },
      // Narrowed to a few users, an empty result says nothing of the group (as over LDAP).
      get empty() {
        return narrow === undefined ? groups.filter((g) => !seen.has(g.name)).map((g) => g.dn) : [];
      },
    };
  }
  const members: Set<string>[] = [];
  for (const group of groups) {
    const dns = new Set<string>();
    for await (const entry of searchLdap({ ...source, filter: narrow === undefined ? membersFilter(group.dn) : `(&${membersFilter(group.dn)}${narrow})`, attributes: ['objectGUID'] }, progress)) dns.add(normalDn(entry.dn));
    members.push(dns);
  }
  return {
    groupsOf: (entry) => {
      const dn = normalDn(entry.dn);
      return [...new Set(groups.filter((_, i) => members[i]!.has(dn)).map((g) => g.name))];
    },
    // Narrowed to a few users, an empty result says nothing of the group.
    empty: narrow === undefined ? groups.filter((_, i) => members[i]!.size === 0).map((g) => g.dn) : [],
  };
}


