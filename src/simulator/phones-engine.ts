import { heldBy, Refusal, type EngineState, type SimulatedPhone, type SimulatedUser } from './engine-state.js';
import { page } from './paging.js';
import { required, type Params, type Route } from './route.js';

const PHONE_TYPES = new Set(['unknown', 'mobile', 'landline']);
const PHONE_PLATFORMS = new Set(['unknown', 'google android', 'apple ios', 'windows phone 7', 'rim blackberry', 'java j2me', 'palm webos',
  'symbian os', 'windows mobile', 'generic smartphone']);
/** Duo's per-object limits (duo.com/docs/rate-limits). */
const MAX_PHONES_PER_USER = 100;
const MAX_USERS_PER_PHONE = 100;

/** Phones: list, find by number, create, read, delete, send an activation; a user's phones, attach and detach. */
export const PHONE_ROUTES: readonly Route[] = [
  {
    method: 'GET', path: /^\/admin\/v1\/phones$/, answer: ({ state, params }) => {
      if (params.number !== undefined) {
        const number = e164(params.number);
        const matches = [...state.phoneIndex].filter(([key]) => key.startsWith(`${number} `) && (params.extension === undefined || key === `${number} ${params.extension}`));
        return { response: matches.map(([, id]) => phoneView(state, state.phones.get(id)!)) };
      }
      return page([...state.phones.values()], params, 500, (p) => phoneView(state, p));
    },
  },
  { method: 'POST', path: /^\/admin\/v1\/phones$/, answer: ({ state, params }) => ({ response: phoneView(state, createPhone(state, params)) }) },
  { method: 'GET', path: /^\/admin\/v1\/phones\/([A-Z0-9]+)$/, answer: ({ state, id }) => ({ response: phoneView(state, state.phone(id)) }) },
  {
    method: 'DELETE', path: /^\/admin\/v1\/phones\/([A-Z0-9]+)$/, answer: ({ state, id }) => {
      const phone = state.phone(id);
      for (const userId of phone.users) {
        const user = state.users.get(userId);
        if (user) user.phones = user.phones.filter((p) => p.phone_id !== phone.phone_id);
      }
      state.phones.delete(phone.phone_id);
      state.phoneIndex.delete(`${phone.number} ${phone.extension}`);
      return { response: '' };
    },
  },
  {
    method: 'POST', path: /^\/admin\/v1\/phones\/([A-Z0-9]+)\/send_sms_activation$/, answer: ({ state, params, id }) => {
      const phone = state.phone(id);
      if (phone.type !== 'mobile') throw new Refusal(400, 40002, 'Invalid request parameters: the phone is not a mobile phone', 'phone_id');
      phone.smsActivations++;
      return { response: { activation_msg: 'sent', installation_msg: 'sent', valid_secs: Number(params.valid_secs ?? 86400) } };
    },
  },
  {
    method: 'GET', path: /^\/admin\/v1\/users\/([A-Z0-9]+)\/phones$/, answer: ({ state, params, id }) => {
      const user = state.user(id);
      return page(user.phones.map((p) => p.phone_id).filter((p) => state.phones.has(p)), params, 500, (p) => phoneView(state, state.phones.get(p)!));
    },
  },
  {
    method: 'POST', path: /^\/admin\/v1\/users\/([A-Z0-9]+)\/phones$/, answer: ({ state, params, id }) => {
      const user = state.user(id);
      attachPhone(user, state.phone(required(params, 'phone_id')));
      return { response: '' };
    },
  },
  {
    method: 'DELETE', path: /^\/admin\/v1\/users\/([A-Z0-9]+)\/phones\/([A-Z0-9]+)$/, answer: ({ state, id, sub }) => {
      const user = state.user(id);
      const phone = heldBy(state.phones.get(sub), user, 'phone_id');
      phone.users = phone.users.filter((u) => u !== user.user_id);
      user.phones = user.phones.filter((p) => p.phone_id !== phone.phone_id);
      return { response: '' };
    },
  },
];

/** Adds a phone directly, attached to the given users. */
export function seedPhone(state: EngineState, number: string, userIds: string[] = [], extension = ''): SimulatedPhone {
  const phone = newPhone(state, { number, extension });
  for (const id of userIds) attachPhone(state.user(id), phone);
  return phone;
}

/** A new phone (type mobile, platform unknown), under the given id or a new one. */
export function newPhone(state: EngineState, phone: { number: string; extension: string }, id?: string): SimulatedPhone {
  const created: SimulatedPhone = { phone_id: id ?? state.newId('DP'), number: phone.number, extension: phone.extension,
    type: 'mobile', platform: 'unknown', users: [], smsActivations: 0 };
  state.phones.set(created.phone_id, created);
  state.phoneIndex.set(`${created.number} ${created.extension}`, created.phone_id);
  return created;
}

export function attachPhone(user: SimulatedUser, phone: SimulatedPhone): void {
  if (phone.users.includes(user.user_id)) return;
  if (user.phones.length >= MAX_PHONES_PER_USER) throw new Refusal(500, 50001, 'Maximum number of phones per user reached');
  if (phone.users.length >= MAX_USERS_PER_PHONE) throw new Refusal(500, 50001, 'Maximum number of users per phone reached');
  phone.users.push(user.user_id);
  user.phones.push({ phone_id: phone.phone_id, number: phone.number, extension: phone.extension });
}

function createPhone(state: EngineState, params: Params): SimulatedPhone {
  for (const key of Object.keys(params)) {
    if (!['number', 'extension', 'name', 'type', 'platform', 'predelay', 'postdelay'].includes(key)) throw new Refusal(400, 40002, 'Invalid request parameters', key);
  }
  if (params.type !== undefined && !PHONE_TYPES.has(params.type)) throw new Refusal(400, 40002, 'Invalid request parameters', 'type');
  if (params.platform !== undefined && !PHONE_PLATFORMS.has(params.platform)) throw new Refusal(400, 40002, 'Invalid request parameters', 'platform');
  const number = e164(params.number ?? '');
  const extension = params.extension ?? '';
  if (state.phoneIndex.has(`${number} ${extension}`)) throw new Refusal(400, 40002, 'Invalid request parameters: a phone with this number exists', 'number');
  const phone = newPhone(state, { number, extension });
  phone.type = params.type ?? 'unknown';
  phone.platform = params.platform ?? 'unknown';
  return phone;
}

/** Duo's reading of a number: a leading + kept, otherwise +1 (US); separators ignored. */
function e164(text: string): string {
  const digits = text.replace(/[\s\-.()]/g, '');
  if (!/^\+?\d{3,15}$/.test(digits)) throw new Refusal(400, 40002, 'Invalid request parameters', 'number');
  return digits.startsWith('+') ? digits : `+1${digits}`;
}

function phoneView(state: EngineState, phone: SimulatedPhone): unknown {
  const { smsActivations: _sent, users, ...fields } = phone;
  return { ...fields, users: users.map((id) => ({ user_id: id, username: state.users.get(id)?.username ?? '' })) };
}
