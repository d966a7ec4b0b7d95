import { nameKey } from '../names.js';
import { Refusal, STATUSES, type EngineState, type SimulatedGroup } from './engine-state.js';
import { page } from './paging.js';
import { required, type Params, type Route } from './route.js';

/** Duo's per-object limit (duo.com/docs/rate-limits). */
const MAX_GROUPS_PER_USER = 100;

/** Groups: list, create, delete; a user's groups, add and remove a membership. */
export const GROUP_ROUTES: readonly Route[] = [
  { method: 'GET', path: /^\/admin\/v1\/groups$/, answer: ({ state, params }) => page([...state.groups.values()], params, 500, (g) => ({ ...g })) },
  { method: 'POST', path: /^\/admin\/v1\/groups$/, answer: ({ state, params }) => ({ response: { ...createGroup(state, params) } }) },
  {
    method: 'DELETE', path: /^\/admin\/v1\/groups\/([A-Z0-9]+)$/, answer: ({ state, id }) => {
      const group = state.group(id);
      for (const user of state.users.values()) user.groups = user.groups.filter((g) => g !== group.group_id);
      state.groups.delete(group.group_id);
      return { response: '' };
    },
  },
  {
    method: 'GET', path: /^\/admin\/v1\/users\/([A-Z0-9]+)\/groups$/,
    answer: ({ state, params, id }) => page(state.user(id).groups, params, 500, (g) => ({ ...state.groups.get(g)! })),
  },
  {
    method: 'POST', path: /^\/admin\/v1\/users\/([A-Z0-9]+)\/groups$/, answer: ({ state, params, id }) => {
      const user = state.user(id);
      const group = state.group(required(params, 'group_id'));
      if (!user.groups.includes(group.group_id)) {
        if (user.groups.length >= MAX_GROUPS_PER_USER) throw new Refusal(500, 50001, 'Maximum number of groups per user reached');
        user.groups.push(group.group_id);
      }
      return { response: '' };
    },
  },
  {
    method: 'DELETE', path: /^\/admin\/v1\/users\/([A-Z0-9]+)\/groups\/([A-Z0-9]+)$/, answer: ({ state, id, sub }) => {
      const user = state.user(id);
      if (!user.groups.includes(sub)) throw new Refusal(404, 40401, 'Resource not found', 'group_id');
      user.groups = user.groups.filter((g) => g !== sub);
      return { response: '' };
    },
  },
];

/** Adds a group directly, as an admin or a directory sync would have. */
export function seedGroup(state: EngineState, name: string, desc = ''): SimulatedGroup {
  const group = { group_id: state.newId('DG'), name, desc, status: 'active' };
  state.groups.set(group.group_id, group);
  return group;
}

function createGroup(state: EngineState, params: Params): SimulatedGroup {
  for (const key of Object.keys(params)) if (!['name', 'desc', 'status'].includes(key)) throw new Refusal(400, 40002, 'Invalid request parameters', key);
  const name = params.name?.trim() ?? '';
  if (name === '') throw new Refusal(400, 40001, 'Missing required request parameters', 'name');
  if ([...state.groups.values()].some((g) => nameKey(g.name) === nameKey(name))) throw new Refusal(400, 40002, `Group '${name}' already exists`, 'name');
  if (params.status !== undefined && !STATUSES.has(params.status)) throw new Refusal(400, 40002, 'Invalid request parameters', 'status');
  return seedGroup(state, name, params.desc ?? '');
}
