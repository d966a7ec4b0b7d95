import { heldBy, Refusal, type EngineState, type SimulatedToken, type SimulatedUser } from './engine-state.js';
import { page } from './paging.js';
import { required, type Route } from './route.js';

/** Duo's per-object limit (duo.com/docs/rate-limits). */
const MAX_TOKENS_PER_USER = 100;
/** Hardware token types and the secret each needs to be created (duo_client_python's add_*_token). */
const TOKEN_SECRETS: Readonly<Record<string, readonly string[]>> = { h6: ['secret'], h8: ['secret'], t6: ['secret'], t8: ['secret'], yk: ['private_id', 'aes_key'], d1: [] };

/**
 * Hardware tokens: list, find by type and serial, create, read, delete; a user's tokens, attach,
 * detach. A user's U2F keys and WebAuthn credentials are not modelled: every user has none.
 */
export const TOKEN_ROUTES: readonly Route[] = [
  {
    method: 'GET', path: /^\/admin\/v1\/tokens$/, answer: ({ state, params }) => {
      if (params.serial !== undefined || params.type !== undefined) {
        if (!params.serial || !params.type) throw new Refusal(400, 40001, 'Missing required request parameters', params.serial ? 'type' : 'serial');
        const found = [...state.tokens.values()].filter((t) => t.type === params.type && t.serial === params.serial);
        return { response: found.map((t) => tokenView(state, t)) };
      }
      return page([...state.tokens.values()], params, 500, (t) => tokenView(state, t));
    },
  },
  {
    method: 'POST', path: /^\/admin\/v1\/tokens$/, answer: ({ state, params }) => {
      if (!params.type || !params.serial) throw new Refusal(400, 40001, 'Missing required request parameters', params.type ? 'serial' : 'type');
      const needs = TOKEN_SECRETS[params.type];
      if (needs === undefined) throw new Refusal(400, 40002, 'Invalid request parameters', 'type');
      const missing = needs.find((name) => !params[name]);
      if (missing !== undefined) throw new Refusal(400, 40001, 'Missing required request parameters', missing);
      if ([...state.tokens.values()].some((t) => t.type === params.type && t.serial === params.serial)) {
        throw new Refusal(400, 40002, 'Invalid request parameters: a token of this type and serial exists', 'serial');
      }
      const token = newToken(state, params.type, params.serial);
      if (params.totp_step !== undefined) token.totp_step = Number(params.totp_step);
      else if (params.type.startsWith('t')) token.totp_step = 30;
      return { response: tokenView(state, token) };
    },
  },
  { method: 'GET', path: /^\/admin\/v1\/tokens\/([A-Z0-9]+)$/, answer: ({ state, id }) => ({ response: tokenView(state, state.token(id)) }) },
  {
    method: 'DELETE', path: /^\/admin\/v1\/tokens\/([A-Z0-9]+)$/, answer: ({ state, id }) => {
      // "Deletes a token. If the token is already deleted, does nothing." (duo_client_python's delete_token)
      const token = state.tokens.get(id);
      if (token === undefined) return { response: '' };
      for (const userId of token.users) state.tokensOfUser.set(userId, (state.tokensOfUser.get(userId) ?? []).filter((t) => t !== token.token_id));
      state.tokens.delete(token.token_id);
      return { response: '' };
    },
  },
  {
    method: 'GET', path: /^\/admin\/v1\/users\/([A-Z0-9]+)\/tokens$/,
    answer: ({ state, params, id }) => page(state.tokensOf(state.user(id).user_id), params, 500, (t) => tokenView(state, t)),
  },
  {
    method: 'POST', path: /^\/admin\/v1\/users\/([A-Z0-9]+)\/tokens$/, answer: ({ state, params, id }) => {
      const user = state.user(id);
      attachToken(state, user, state.token(required(params, 'token_id')));
      return { response: '' };
    },
  },
  {
    method: 'DELETE', path: /^\/admin\/v1\/users\/([A-Z0-9]+)\/tokens\/([A-Z0-9]+)$/, answer: ({ state, id, sub }) => {
      const user = state.user(id);
      const token = heldBy(state.tokens.get(sub), user, 'token_id');
      token.users = token.users.filter((u) => u !== user.user_id);
      state.tokensOfUser.set(user.user_id, (state.tokensOfUser.get(user.user_id) ?? []).filter((t) => t !== token.token_id));
      return { response: '' };
    },
  },
  {
    method: 'GET', path: /^\/admin\/v1\/users\/([A-Z0-9]+)\/(?:u2ftokens|webauthncredentials)$/, answer: ({ state, params, id }) => {
      state.user(id);
      return page([] as unknown[], params, 500, (x) => x);
    },
  },
];

/** Adds a hardware token directly (as an admin's token import would), attached to the given users. */
export function seedToken(state: EngineState, type: string, serial: string, userIds: string[] = []): SimulatedToken {
  const token = newToken(state, type, serial);
  for (const id of userIds) attachToken(state, state.user(id), token);
  return token;
}

/** A token is one person's (assumptions.ts): attaching one another user holds is refused (a snapshot is taken as Duo had it). */
export function attachToken(state: EngineState, user: SimulatedUser, token: SimulatedToken, seeding = false): void {
  if (token.users.includes(user.user_id)) return;
  if (token.users.length > 0 && !seeding) throw new Refusal(400, 40002, 'Invalid request parameters: the token is assigned to another user', 'token_id');
  const held = state.tokensOfUser.get(user.user_id) ?? [];
  if (held.length >= MAX_TOKENS_PER_USER) throw new Refusal(500, 50001, 'Maximum number of tokens per user reached');
  token.users.push(user.user_id);
  state.tokensOfUser.set(user.user_id, [...held, token.token_id]);
}

function newToken(state: EngineState, type: string, serial: string): SimulatedToken {
  const token: SimulatedToken = { token_id: state.newId('DH'), type, serial, totp_step: null, users: [] };
  state.tokens.set(token.token_id, token);
  return token;
}

function tokenView(state: EngineState, token: SimulatedToken): unknown {
  return {
    token_id: token.token_id, type: token.type, serial: token.serial, totp_step: token.totp_step,
    users: token.users.map((id) => state.users.get(id)).filter((u) => u !== undefined).map((u) => ({ user_id: u.user_id, username: u.username })),
  };
}
