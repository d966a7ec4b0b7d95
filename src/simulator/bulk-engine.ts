import { nameKey } from '../names.js';
import { Refusal, type EngineState, type SimulatedUser } from './engine-state.js';
import type { Answer, Call, Params, Route } from './route.js';
import { checkFields, jsonList, newUser, USER_FIELDS, userView } from './users-engine.js';

/** The operations the bulk endpoint takes (the Ruby client's list). */
const BULK_OPERATIONS: readonly (readonly [string, RegExp])[] = [
  ['POST', /^\/admin\/v1\/users$/],
  ['POST', /^\/admin\/v1\/users\/[A-Z0-9]+$/],
  ['DELETE', /^\/admin\/v1\/users\/[A-Z0-9]+$/],
  ['POST', /^\/admin\/v1\/users\/[A-Z0-9]+\/groups$/],
  ['DELETE', /^\/admin\/v1\/users\/[A-Z0-9]+\/groups\/[A-Z0-9]+$/],
];

/** The calls that take many at once: users created, sent to the Trash or restored; operations of any kind. */
export const BULK_ROUTES: readonly Route[] = [
  { method: 'POST', path: /^\/admin\/v1\/users\/bulk_create$/, answer: ({ state, params }) => ({ response: bulkCreate(state, params) }) },
  { method: 'POST', path: /^\/admin\/v1\/bulk$/, answer: bulkOperations },
  { method: 'POST', path: /^\/admin\/v1\/users\/bulk_send_to_trash$/, answer: ({ state, params }) => ({ response: setStatusOfList(state, params, 'pending deletion') }) },
  { method: 'POST', path: /^\/admin\/v1\/users\/bulk_restore$/, answer: ({ state, params }) => ({ response: setStatusOfList(state, params, 'active') }) },
];

function bulkOperations({ state, params, handle }: Call): Answer {
  if (state.bulkAnswer === 'refused') throw new Refusal(404, 40401, 'Resource not found');
  if (state.bulkAnswer === 'forbidden') throw new Refusal(403, 40301, 'Access forbidden');
  let list: unknown;
  try {
    list = JSON.parse(params.operations ?? '');
  } catch {
    throw new Refusal(400, 40002, 'Invalid request parameters', 'operations');
  }
  if (!Array.isArray(list) || list.length === 0) throw new Refusal(400, 40002, 'Invalid request parameters', 'operations');
  if (list.length > 50) throw new Refusal(400, 40002, 'Invalid request parameters: at most 50 operations per call', 'operations');
  const operations = list.map((op: unknown) => {
    const { method, path, body = {} } = (op ?? {}) as { method?: unknown; path?: unknown; body?: unknown };
    const known = typeof method === 'string' && typeof path === 'string' && BULK_OPERATIONS.some(([m, p]) => m === method && p.test(path));
    const fields = body !== null && typeof body === 'object' && !Array.isArray(body) && Object.values(body).every((v) => typeof v === 'string');
    if (!known || !fields) throw new Refusal(400, 40002, 'Invalid request parameters: invalid operations', 'operations');
    return { method: method as string, path: path as string, body: body as Record<string, string> };
  });
  // In order, each on its own: one refused operation does not stop the others.
  const results = operations.map(({ method, path, body }) => {
    try {
      return { status: 'OK', response: handle(method, path, body).response };
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      return { status: 'FAIL', code: error.code, message: error.message };
    }
  });
  return state.bulkAnswer === 'results' ? { response: results } : {};
}

function bulkCreate(state: EngineState, params: Params): unknown[] {
  if (typeof params.users !== 'string') throw new Refusal(400, 40001, 'Missing required request parameters', 'users');
  let list: unknown;
  try {
    list = JSON.parse(params.users);
  } catch {
    throw new Refusal(400, 40002, 'Invalid request parameters', 'users');
  }
  if (!Array.isArray(list) || list.length === 0) throw new Refusal(400, 40002, 'Invalid request parameters', 'users');
  if (list.length > 100) throw new Refusal(400, 40002, 'Invalid request parameters: at most 100 users per call', 'users');
  const batchNames = new Set<string>();
  for (const entry of list as Record<string, unknown>[]) {
    for (const key of Object.keys(entry)) {
      if (!(USER_FIELDS as readonly string[]).includes(key)) throw new Refusal(400, 40002, 'Invalid request parameters', key);
    }
    checkFields(entry as Record<string, string>);
    const key = nameKey(String(entry.username));
    if (state.names.has(key) || batchNames.has(key)) throw new Refusal(400, 40002, `Username '${entry.username}' already exists`, 'username');
    batchNames.add(key);
  }
  // All or nothing: nothing above has changed the store.
  return (list as Record<string, string>[]).map((fields) => {
    const user = newUser(state, fields as unknown as Partial<SimulatedUser> & { username: string });
    state.claim(user, [user.username]);
    state.users.set(user.user_id, user);
    return userView(state, user);
  });
}

function setStatusOfList(state: EngineState, params: Params, status: string): unknown[] {
  const ids = jsonList(params.user_id_list, 'user_id_list');
  const users = ids.map((id) => state.user(id));
  for (const user of users) user.status = status;
  return users.map((u) => userView(state, u));
}
