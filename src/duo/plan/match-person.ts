import { nameKey } from '../../names.js';
import type { TenantUser } from '../tenant/tenant.js';

/**
 * Who a person is in Duo, decided in one place for plan, import, migrate and sync: the Duo user
 * holding the person's username, or the one user that its other evidence (an alias, the email, the
 * objectGUID Duo keeps as `external_id`) points to. Several users by evidence is a conflict, never
 * a guess; nothing at all means the person is not in Duo yet.
 */
export interface Person {
  readonly username: string;
  readonly aliases: readonly string[];
  readonly email: string;
  /** The AD objectGUID ('' when unknown): a directory sync keeps it as the user's external_id. */
  readonly guid: string;
}

export interface PersonMatch {
  readonly user: TenantUser | null;
  /** username: it holds the person's username · evidence: an alias, the email or the objectGUID · null: none or a conflict. */
  readonly how: 'username' | 'evidence' | null;
  /** Why it is this person, in words ("matched by email …"). */
  readonly evidence: string;
  readonly conflict: string | null;
}

/** The tenant's users looked up by name (username and aliases), email, user_id and external_id. */
export class TenantIndex {
  readonly byName = new Map<string, TenantUser>();
  readonly byEmail = new Map<string, TenantUser[]>();
  readonly byId = new Map<string, TenantUser>();
  readonly byExternalId = new Map<string, TenantUser[]>();

  constructor(users: Iterable<TenantUser>) {
    for (const user of users) {
      this.byId.set(user.user_id, user);
      for (const name of [user.username, ...Object.values(user.aliases)]) this.byName.set(nameKey(name), user);
      if (user.email) append(this.byEmail, nameKey(user.email), user);
      if (user.external_id) append(this.byExternalId, guidKey(user.external_id), user);
    }
  }

  /** The Duo user holding this exact username (not as an alias), if any. */
  withUsername(username: string): TenantUser | null {
    const holder = this.byName.get(nameKey(username));
    return holder !== undefined && nameKey(holder.username) === nameKey(username) ? holder : null;
  }
}

/** An objectGUID as AD tools print it, as Duo may keep it ({braces}, any case): compared lower-cased, bare. */
export function guidKey(guid: string): string {
  return guid.trim().replace(/^\{|\}$/g, '').toLowerCase();
}

export function describeUser(user: TenantUser): string {
  return `"${user.username}" (${user.user_id})`;
}

/** Looked up once per person: a tenant where thousands share an email costs a person a few steps. */
const EVIDENCE_SAMPLE = 4;

export function matchPerson(person: Person, index: TenantIndex): PersonMatch {
  const holder = index.byName.get(nameKey(person.username));
  const sameUsername = index.withUsername(person.username);
  const evidence = new Map<string, { user: TenantUser; why: string }>();
  for (const alias of person.aliases) {
    const user = index.byName.get(nameKey(alias));
    if (user && !evidence.has(user.user_id)) evidence.set(user.user_id, { user, why: `alias "${alias}"` });
  }
  const sharing = person.email ? index.byEmail.get(nameKey(person.email)) ?? [] : [];
  for (const user of sharing.slice(0, EVIDENCE_SAMPLE)) {
    if (!evidence.has(user.user_id)) evidence.set(user.user_id, { user, why: `email ${person.email}` });
  }
  // An email is also a name in Duo's one namespace: a user named (or aliased) by it is this person.
  const named = person.email ? index.byName.get(nameKey(person.email)) : undefined;
  if (named && !evidence.has(named.user_id)) evidence.set(named.user_id, { user: named, why: `its email ${person.email} as a name` });
  const anchored = person.guid ? index.byExternalId.get(guidKey(person.guid)) ?? [] : [];
  for (const user of anchored.slice(0, EVIDENCE_SAMPLE)) {
    if (!evidence.has(user.user_id)) evidence.set(user.user_id, { user, why: `objectGUID ${person.guid} (its external_id)` });
  }
  // The username's holder, unless other evidence also points elsewhere: several users is a conflict, never a guess.
  if (sameUsername && (evidence.size === 0 || (evidence.size === 1 && evidence.has(sameUsername.user_id)))) {
    return { user: sameUsername, how: 'username', evidence: 'same username', conflict: null };
  }
  if (evidence.size > 1) {
    const users = [...evidence.values()].slice(0, 3).map((e) => `${describeUser(e.user)} by ${e.why}`).join(' and ');
    const more = sharing.length > 3 ? ` (${sharing.length.toLocaleString('en-US')} Duo users have that email)` : '';
    return { user: null, how: null, evidence: '', conflict: `it matches several Duo users: ${users}${more}; fix: make its username, aliases and email name one person (take the alias or email that belongs to the other user off the row, or out of Duo)` };
  }
  const only = [...evidence.values()][0];
  if (only) return { user: only.user, how: 'evidence', evidence: `matched by ${only.why}`, conflict: null };
  if (holder) return { user: null, how: null, evidence: '', conflict: `username "${person.username}" is an alias of Duo user ${describeUser(holder)}, a different person; fix: choose another username, or remove that alias from the Duo user first` };
  return { user: null, how: null, evidence: '', conflict: null };
}

/** Adds to a list in a map of lists: in place, so a key shared by n users costs n, not n². */
export function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
