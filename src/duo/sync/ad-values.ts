import { createHash } from 'node:crypto';
import { nameKey } from '../../names.js';
import { append } from '../plan/match-person.js';
import { slotted, type DuoNames } from '../tenant/duo-names.js';
import type { TenantUser } from '../tenant/tenant.js';
import type { AdUser, SyncPolicy, UserFields } from './sync-model.js';
import type { AppliedValues } from './sync-state.js';

/** The user fields a sync keeps in step with AD. */
export const FIELD_NAMES = ['realname', 'firstname', 'lastname', 'email'] as const;

/** AD's values of the synced fields. */
export function fieldsOf(user: AdUser): UserFields {
  return { realname: user.realname, firstname: user.firstname, lastname: user.lastname, email: user.email };
}

/** AD's names as Duo slots: alias1.. in the mapping's order. */
export function namesFor(user: AdUser): DuoNames {
  return { username: user.username, aliases: slotted(user.aliases) };
}

/**
 * What a just-adopted user is taken to have had applied: its values in Duo now, which is what
 * drift is measured from. Its memberships are recorded as found, not as added: only those AD also
 * wants count as the sync's, so one an admin added by hand stays drift (and `--drift-groups report` keeps it).
 */
export function adoptedValues(user: TenantUser, adUser: AdUser | undefined, mapped: ReadonlySet<string>): AppliedValues {
  const wanted = new Set(adUser?.groups.map(nameKey) ?? []);
  return {
    username: user.username, aliases: { ...user.aliases }, realname: user.realname ?? '', firstname: user.firstname ?? '', lastname: user.lastname ?? '',
    email: user.email ?? '', status: user.status, groups: user.groups.map((g) => nameKey(g.name)).filter((g) => mapped.has(g) && wanted.has(g)).sort(),
  };
}

/** A mapped group's name as the config spells it. */
export function groupName(policy: SyncPolicy, key: string): string {
  return policy.mappedGroups.find((g) => nameKey(g) === key) ?? key;
}

/** The emails two or more AD users share (email key → their usernames); an email of one user only is not kept. */
export function sharedAdEmails(ad: readonly AdUser[]): Map<string, string[]> {
  const holders = new Map<string, string[]>();
  for (const user of ad) if (user.email !== '') append(holders, nameKey(user.email), user.username);
  for (const [key, names] of holders) if (names.length < 2) holders.delete(key);
  return holders;
}

/** The AD names two or more AD users share (name key → their guids); a name of one user only is not kept. */
export function sharedAdNames(ad: ReadonlyMap<string, AdUser>): Map<string, string[]> {
  const owner = new Map<string, string>();
  const shared = new Map<string, string[]>();
  for (const user of ad.values()) {
    for (const name of [user.username, ...user.aliases]) {
      const key = nameKey(name);
      const first = owner.get(key);
      if (first === undefined) owner.set(key, user.guid);
      else if (first !== user.guid) {
        const list = shared.get(key) ?? [first];
        if (!list.includes(user.guid)) list.push(user.guid);
        shared.set(key, list);
      }
    }
  }
  return shared;
}

/** What an AD user and its Duo user looked like when a plan was made. */
export function fingerprint(adUser: AdUser | undefined, duoUser: TenantUser | undefined): string {
  const duo = duoUser === undefined ? null : [duoUser.username, duoUser.aliases, duoUser.realname, duoUser.firstname, duoUser.lastname, duoUser.email, duoUser.status,
    duoUser.last_directory_sync, duoUser.groups.map((g) => nameKey(g.name)).sort()];
  return sha256(JSON.stringify([adUser ?? null, duo])).slice(0, 16);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
