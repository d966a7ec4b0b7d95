import type { DuoClient } from './client.js';
import { DuoRequestError } from '../../errors.js';
import { pagedList, pages as listingPages } from './paging.js';

/** The parts of Duo's user object that duo-bridge reads. */
export interface DuoUser {
  readonly user_id: string;
  readonly username: string;
  readonly realname?: string | null;
  readonly firstname?: string | null;
  readonly lastname?: string | null;
  readonly email?: string | null;
  readonly status?: string;
  readonly notes?: string | null;
  /** alias1..alias8, only the ones set. */
  readonly aliases?: Readonly<Record<string, string>> | null;
  readonly last_directory_sync?: number | null;
  /** Unix seconds. */
  readonly created?: number | null;
  readonly external_id?: string | null;
  readonly is_enrolled?: boolean;
  readonly phones?: readonly unknown[];
  readonly groups?: readonly unknown[];
  readonly tokens?: readonly unknown[];
}

/** The fields bulk_create accepts for each user (Duo's documented keys only). */
export interface NewDuoUser {
  readonly username: string;
  readonly realname?: string;
  readonly firstname?: string;
  readonly lastname?: string;
  readonly email?: string;
  readonly status?: string;
  readonly notes?: string;
}

/** A username_list may hold at most 100 names. */
export const LOOKUP_CHUNK = 100;
export const MAX_BATCH = 100;


/**
 * Most bytes a username_list may take in the URL, percent-encoded: a request line within the 8 KiB
 * common front ends accept (nginx's default large_client_header_buffers; Node's whole header block
 * is 16 KiB). 100 names of 100 characters do not always fit one look-up.
 */
export const LOOKUP_URL_BYTES = 6000;

/** `names` in look-ups of at most LOOKUP_CHUNK names and LOOKUP_URL_BYTES encoded. */
export function lookupLists(names: readonly string[]): string[] {
  const lists: string[] = [];
  let chunk: string[] = [];
  let bytes = 2;
  for (const name of names) {
    const size = encodeURIComponent(JSON.stringify(name)).length + 3;
    if (chunk.length > 0 && (chunk.length === LOOKUP_CHUNK || bytes + size > LOOKUP_URL_BYTES)) {
      lists.push(JSON.stringify(chunk));
      chunk = [];
      bytes = 2;
    }
    chunk.push(name);
    bytes += size;
  }
  if (chunk.length > 0) lists.push(JSON.stringify(chunk));
  return lists;
}

/** Users whose username or alias is one of `names` (Duo matches both), following Duo's paging. */
export async function findUsersByNames(client: DuoClient, names: readonly string[]): Promise<DuoUser[]> {
  const found = new Map<string, DuoUser>();
  for (const list of lookupLists(names)) {
    for await (const user of pages(client, (offset) => ({ username_list: list, ...(offset === 0 ? {} : { offset: String(offset) }) }))) {
      found.set(user.user_id, user);
    }
  }
  return [...found.values()];
}

/** Users by user_id, 100 a call (`user_id_list`); an id Duo does not answer for is left out. */
export async function findUsersByIds(client: DuoClient, ids: readonly string[]): Promise<DuoUser[]> {
  const found = new Map<string, DuoUser>();
  for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
    const list = JSON.stringify(ids.slice(i, i + LOOKUP_CHUNK));
    for await (const user of pages(client, (offset) => ({ user_id_list: list, ...(offset === 0 ? {} : { offset: String(offset) }) }))) found.set(user.user_id, user);
  }
  return [...found.values()];
}

/** Users whose email is `email` (`?email=`). */
export async function findUsersByEmail(client: DuoClient, email: string): Promise<DuoUser[]> {
  const found: DuoUser[] = [];
  for await (const user of pages(client, (offset) => ({ email, ...(offset === 0 ? {} : { offset: String(offset) }) }))) found.push(user);
  return found;
}

function pages(client: DuoClient, params: (offset: number) => Record<string, string>): AsyncGenerator<DuoUser> {
  return pagedList<DuoUser>(client, '/admin/v1/users', params);
}

/** One bulk_create call: `users` travels as a JSON string holding the array (as Duo's official clients send it). */
export async function bulkCreateUsers(client: DuoClient, users: readonly NewDuoUser[]): Promise<DuoUser[]> {
  const { response } = await client.post('/admin/v1/users/bulk_create', { users: JSON.stringify(users) });
  return response as DuoUser[];
}

/** One user; `aliases` as aliasesParam makes it (none: ''). */
export async function createUser(client: DuoClient, user: NewDuoUser, aliases = ''): Promise<DuoUser> {
  const { response } = await client.post('/admin/v1/users', { ...user, ...(aliases === '' ? {} : { aliases }) });
  return response as DuoUser;
}

/** The user_id_list endpoints (the Trash) take at most this many users a call. */
export const USER_LIST_CHUNK = 100;

/** Duo's status of a user in its Trash. */
export const TRASHED = 'pending deletion';

/** Users to Duo's Trash (at most USER_LIST_CHUNK): Duo keeps them there for its pending-deletion days. */
export function sendUsersToTrash(client: DuoClient, userIds: readonly string[]): Promise<unknown> {
  return client.post('/admin/v1/users/bulk_send_to_trash', { user_id_list: JSON.stringify(userIds) });
}

/** Users out of Duo's Trash (at most USER_LIST_CHUNK). */
export function restoreUsers(client: DuoClient, userIds: readonly string[]): Promise<unknown> {
  return client.post('/admin/v1/users/bulk_restore', { user_id_list: JSON.stringify(userIds) });
}

export async function getUser(client: DuoClient, userId: string): Promise<DuoUser> {
  const { response } = await client.get(`/admin/v1/users/${encodeURIComponent(userId)}`);
  return response as DuoUser;
}

/** The user, or null when Duo no longer has it (404). */
export async function getUserOrNull(client: DuoClient, userId: string): Promise<DuoUser | null> {
  try {
    return await getUser(client, userId);
  } catch (error) {
    if (error instanceof DuoRequestError && error.status === 404) return null;
    throw error;
  }
}

export async function modifyUser(client: DuoClient, userId: string, changes: Record<string, string>): Promise<DuoUser> {
  const { response } = await client.post(`/admin/v1/users/${encodeURIComponent(userId)}`, changes);
  return response as DuoUser;
}

/**
 * The `aliases` parameter: `alias1=a&alias2=b`, each value percent-encoded. Positions not named are
 * left alone by Duo; an empty value removes that alias.
 */
export function aliasesParam(aliases: readonly (readonly [number, string])[]): string {
  return aliases.map(([n, value]) => `alias${n}=${encodeURIComponent(value)}`).join('&');
}

/** Duo's largest page of users. */
export const USER_PAGE = 300;

/** Every user of the tenant, a page of 300 at a time. */
export function listAllUsers(client: DuoClient): AsyncGenerator<DuoUser> {
  return pages(client, (offset) => ({ limit: String(USER_PAGE), offset: String(offset) }));
}

/** The same listing a page at a time, with the total Duo says the tenant holds. */
export function userPages(client: DuoClient): AsyncGenerator<{ items: DuoUser[]; total: number | null }> {
  return listingPages<DuoUser>(client, '/admin/v1/users', (offset) => ({ limit: String(USER_PAGE), offset: String(offset) }));
}

/** Users as Duo has them now (null: deleted), read 100 names a call where names are known, one by one for the rest. */
export async function readUsersById(client: DuoClient, ids: Iterable<string>, names: readonly string[] = []): Promise<Map<string, DuoUser | null>> {
  const wanted = new Set(ids);
  const read = new Map<string, DuoUser | null>();
  if (wanted.size === 0) return read;
  if (names.length > 0) for (const user of await findUsersByNames(client, names)) if (wanted.has(user.user_id)) read.set(user.user_id, user);
  for (const id of wanted) if (!read.has(id)) read.set(id, await getUserOrNull(client, id));
  return read;
}
