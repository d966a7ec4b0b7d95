import { nameKey } from '../names.js';
import { Refusal, STATUSES, type EngineState, type SimulatedUser } from './engine-state.js';
import { pageOf, paging } from './paging.js';
import { newPhone } from './phones-engine.js';
import type { Answer, Params, Route } from './route.js';

/** The fields a user is created or modified with (aliases apart). */
export const USER_FIELDS = ['username', 'realname', 'firstname', 'lastname', 'email', 'status', 'notes'] as const;
const LEGACY_ALIASES = ['alias1', 'alias2', 'alias3', 'alias4'];

/** Users: list and find, read, create, modify, delete; the enrollment email. */
export const USER_ROUTES: readonly Route[] = [
  { method: 'GET', path: /^\/admin\/v1\/users$/, answer: ({ state, params }) => listUsers(state, params) },
  { method: 'GET', path: /^\/admin\/v1\/users\/([A-Z0-9]+)$/, answer: ({ state, id }) => ({ response: userView(state, state.user(id)) }) },
  { method: 'POST', path: /^\/admin\/v1\/users$/, answer: ({ state, params }) => ({ response: userView(state, createUser(state, params)) }) },
  { method: 'POST', path: /^\/admin\/v1\/users\/([A-Z0-9]+)$/, answer: ({ state, params, id }) => ({ response: userView(state, modifyUser(state, state.user(id), params)) }) },
  {
    method: 'DELETE', path: /^\/admin\/v1\/users\/([A-Z0-9]+)$/, answer: ({ state, id }) => {
      // "Deletes a user. If the user is already deleted, does nothing." (duo_client_python's delete_user)
      const user = state.users.get(id);
      if (user === undefined) return { response: '' };
      state.release(user);
      for (const p of user.phones) {
        const phone = state.phones.get(p.phone_id);
        if (phone) phone.users = phone.users.filter((u) => u !== user.user_id);
      }
      for (const token of state.tokensOf(user.user_id)) token.users = token.users.filter((u) => u !== user.user_id);
      state.tokensOfUser.delete(user.user_id);
      state.users.delete(user.user_id);
      return { response: '' };
    },
  },
  {
    method: 'POST', path: /^\/admin\/v1\/users\/enroll$/, answer: ({ state, params }) => {
      if (!params.username || !params.email) throw new Refusal(400, 40001, 'Missing required request parameters', params.username ? 'email' : 'username');
      const id = state.names.get(nameKey(params.username));
      if (id === undefined) throw new Refusal(404, 40401, 'Resource not found', 'username');
      if (state.users.get(id)!.phones.length > 0) throw new Refusal(400, 40002, 'Invalid request parameters: the user already has a phone', 'username');
      state.enrollments.push({ username: params.username, email: params.email });
      return { response: '' };
    },
  },
];

/** Adds a user directly, as an earlier sync or admin would have. */
export function seedUser(state: EngineState, fields: Partial<SimulatedUser> & { username: string }, aliases: string[] = []): SimulatedUser {
  const user = newUser(state, fields);
  aliases.forEach((alias, i) => (user.aliases[`alias${i + 1}`] = alias));
  state.claim(user, [user.username, ...aliases]);
  state.users.set(user.user_id, user);
  for (const p of user.phones) {
    const phone = state.phones.get(p.phone_id) ?? newPhone(state, { number: p.number, extension: p.extension ?? '' }, p.phone_id);
    if (!phone.users.includes(user.user_id)) phone.users.push(user.user_id);
  }
  return user;
}

/** A new user (not yet stored, its names not yet claimed), with Duo's defaults for what the fields leave out. */
export function newUser(state: EngineState, fields: Partial<SimulatedUser> & { username: string }): SimulatedUser {
  if (!fields.username || fields.username.trim() === '') throw new Refusal(400, 40001, 'Missing required request parameters', 'username');
  return {
    user_id: state.newId('DU'),
    username: fields.username.toLowerCase(),
    realname: fields.realname ?? null,
    firstname: fields.firstname ?? null,
    lastname: fields.lastname ?? null,
    email: fields.email ?? null,
    status: fields.status ?? 'active',
    notes: fields.notes ?? null,
    aliases: {},
    phones: fields.phones ?? [],
    groups: fields.groups ?? [],
    created: Math.floor(state.now() / 1000),
    last_directory_sync: fields.last_directory_sync ?? null,
    ...(fields.external_id ? { external_id: fields.external_id } : {}),
    is_enrolled: fields.is_enrolled ?? false,
  };
}

export function checkFields(fields: Record<string, string | undefined>): void {
  if (fields.username !== undefined && fields.username.trim() === '') throw new Refusal(400, 40002, 'Invalid request parameters', 'username');
  if (fields.status !== undefined && !STATUSES.has(fields.status)) throw new Refusal(400, 40002, 'Invalid request parameters', 'status');
}

/** A list parameter (JSON array of at most 100 strings). */
export function jsonList(text: string | undefined, name: string): string[] {
  let list: unknown;
  try {
    list = JSON.parse(text ?? '');
  } catch {
    throw new Refusal(400, 40002, 'Invalid request parameters', name);
  }
  if (!Array.isArray(list) || list.length > 100 || list.some((v) => typeof v !== 'string')) throw new Refusal(400, 40002, 'Invalid request parameters', name);
  return list as string[];
}

/** A user as Duo answers it: legacy alias fields, its phones, groups and tokens. */
export function userView(state: EngineState, user: SimulatedUser): unknown {
  const legacy = Object.fromEntries([1, 2, 3, 4].map((n) => [`alias${n}`, user.aliases[`alias${n}`] ?? null]));
  const phones = user.phones.map((p) => {
    const phone = state.phones.get(p.phone_id);
    return phone ? { phone_id: phone.phone_id, number: phone.number, extension: phone.extension, type: phone.type, platform: phone.platform } : { ...p };
  });
  const groups = user.groups.map((id) => ({ ...state.groups.get(id)! }));
  const tokens = state.tokensOf(user.user_id).map((t) => ({ token_id: t.token_id, type: t.type, serial: t.serial, totp_step: t.totp_step }));
  // U2F keys, WebAuthn credentials and logins are not modelled: Duo's fields, empty.
  return { ...user, ...legacy, aliases: { ...user.aliases }, phones, groups, last_login: null, tokens, u2ftokens: [], webauthncredentials: [] };
}

function listUsers(state: EngineState, params: Params): Answer {
  const exclusive = ['username_list', 'user_id_list', 'username', 'email'].filter((k) => k in params);
  if (exclusive.length > 1) throw new Refusal(400, 40002, 'Invalid request parameters', exclusive.join(','));
  const pages = paging(params, state.defaultLimit, 300);
  const page = (all: SimulatedUser[]): Answer => pageOf(all, pages, (u) => userView(state, u));
  if (params.username_list !== undefined) {
    const names = jsonList(params.username_list, 'username_list');
    const ids = new Set(names.map((n) => state.names.get(nameKey(n))).filter((id): id is string => id !== undefined));
    return page([...ids].map((id) => state.users.get(id)!));
  }
  if (params.user_id_list !== undefined) {
    const ids = new Set(jsonList(params.user_id_list, 'user_id_list'));
    return page([...ids].map((id) => state.users.get(id)).filter((u): u is SimulatedUser => u !== undefined));
  }
  if (params.username !== undefined) {
    const id = state.names.get(nameKey(params.username));
    return { response: id ? [userView(state, state.users.get(id)!)] : [] };
  }
  if (params.email !== undefined) {
    const email = params.email.trim().toLowerCase();
    return page([...state.users.values()].filter((u) => u.email !== null && u.email.toLowerCase() === email));
  }
  return page([...state.users.values()]);
}

function createUser(state: EngineState, params: Params): SimulatedUser {
  if (params.username === undefined) throw new Refusal(400, 40001, 'Missing required request parameters', 'username');
  checkFields(params);
  if (state.names.has(nameKey(params.username))) throw new Refusal(400, 40002, `Username '${params.username}' already exists`, 'username');
  const user = newUser(state, params as unknown as Partial<SimulatedUser> & { username: string });
  const aliases = aliasParams(params) ?? {};
  const keys = [user.username, ...Object.values(aliases)].map(nameKey);
  if (new Set(keys).size !== keys.length) throw new Refusal(400, 40002, 'Invalid request parameters: an alias equals the username or another alias', 'aliases');
  Object.assign(user.aliases, aliases);
  state.claim(user, [user.username, ...Object.values(user.aliases)]);
  state.users.set(user.user_id, user);
  return user;
}

function modifyUser(state: EngineState, user: SimulatedUser, params: Params): SimulatedUser {
  for (const key of Object.keys(params)) {
    if (![...USER_FIELDS, 'aliases', ...LEGACY_ALIASES].includes(key)) throw new Refusal(400, 40002, 'Invalid request parameters', key);
  }
  const username = params.username ?? user.username;
  const aliases = { ...user.aliases };
  const given = aliasParams(params);
  if (given !== null) {
    for (const [slot, value] of Object.entries(given)) {
      if (value === '') delete aliases[slot];
      else aliases[slot] = value;
    }
  }
  const wanted = [username, ...Object.values(aliases)];
  const keys = wanted.map(nameKey);
  if (new Set(keys).size !== keys.length) throw new Refusal(400, 40002, 'Invalid request parameters: an alias equals the username or another alias', 'aliases');
  for (const key of keys) {
    const owner = state.names.get(key);
    if (owner !== undefined && owner !== user.user_id) throw new Refusal(400, 40002, `'${key}' is already in use by another user`, 'aliases');
  }
  checkFields(params);
  state.release(user);
  for (const field of USER_FIELDS) if (params[field] !== undefined) (user as unknown as Record<string, string>)[field] = params[field]!;
  user.username = username;
  user.aliases = aliases;
  state.claim(user, wanted);
  return user;
}

/** `aliases` ("alias1=a&alias2=b"), or the legacy discrete alias1..alias4 Duo's Python client sends; never both. */
function aliasParams(params: Params): Record<string, string> | null {
  const legacy = LEGACY_ALIASES.filter((slot) => params[slot] !== undefined);
  if (legacy.length > 0 && params.aliases !== undefined) throw new Refusal(400, 40002, 'Invalid request parameters: give aliases or alias1..alias4, not both', 'aliases');
  if (legacy.length > 0) return Object.fromEntries(legacy.map((slot) => [slot, params[slot]!]));
  return params.aliases === undefined ? null : parseAliases(params.aliases);
}

function parseAliases(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of text.split('&').filter(Boolean)) {
    const [slot, value = ''] = pair.split('=');
    if (!/^alias[1-8]$/.test(slot ?? '')) throw new Refusal(400, 40002, 'Invalid request parameters', 'aliases');
    result[slot!] = decodeURIComponent(value);
  }
  return result;
}
