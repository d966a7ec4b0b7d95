import { nameKey } from '../../names.js';
import type { DuoClient } from '../api/client.js';
import { createGroup, isSyncedGroup, listGroups, type DuoGroup } from '../api/groups-api.js';
import type { Intent } from '../journal/journal.js';
import type { KnownGroup } from '../plan/decide.js';
import type { RunSession } from './run-session.js';

export function knownGroup(group: DuoGroup): KnownGroup {
  return { group_id: group.group_id, name: group.name, synced: isSyncedGroup(group) };
}

/**
 * The tenant's groups by lower-cased name, read once (a tenant has hundreds of groups, not
 * millions), and the groups this import creates with --create-groups. A create whose answer was
 * lost is settled by reading the groups again: a group of that name found then is this run's.
 */
export class GroupDirectory {
  private constructor(readonly groups: Map<string, KnownGroup>) {}

  static async load(client: DuoClient): Promise<GroupDirectory> {
    const groups = new Map<string, KnownGroup>();
    for await (const group of listGroups(client)) groups.set(nameKey(group.name), knownGroup(group));
    return new GroupDirectory(groups);
  }

  /** From a snapshot's groups (null for a snapshot older than groups support: nothing is checked). */
  static of(groups: Iterable<DuoGroup> | null): GroupDirectory | null {
    if (groups === null) return null;
    return new GroupDirectory(new Map([...groups].map((group) => [nameKey(group.name), knownGroup(group)])));
  }

  get(name: string): KnownGroup | undefined {
    return this.groups.get(nameKey(name));
  }

  /** Settles the creates an earlier run announced without an answer: a group of that name now is ours. */
  async settle(session: RunSession): Promise<void> {
    for (const key of session.history.uncertainGroupNames()) {
      const group = this.groups.get(key);
      if (group === undefined) session.history.settledAbsent('group', key);
      else await session.claimGroup(group);
    }
  }

  /** The group, created if missing. Returns an error message when Duo refused or did not answer. */
  async ensure(session: RunSession, name: string): Promise<KnownGroup | string> {
    const known = this.get(name);
    if (known !== undefined) return known;
    const intent: Intent = { op: 'group_create', name };
    const write = await session.write(intent, () => createGroup(session.client, name), (group) => ({ group_id: group.group_id }));
    if (write.status === 'ok') return this.remember(write.value);
    if (write.status === 'refused') return `Duo refused to create group "${name}": ${write.error.message}`;
    for await (const group of listGroups(session.client)) {
      if (nameKey(group.name) !== nameKey(name)) continue;
      await session.claimGroup(group);
      return this.remember(group);
    }
    return `Duo did not answer when group "${name}" was created; re-run to resume`;
  }

  private remember(group: DuoGroup): KnownGroup {
    const known = knownGroup(group);
    this.groups.set(nameKey(group.name), known);
    return known;
  }
}
