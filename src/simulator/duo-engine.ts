import { nameKey } from '../names.js';
import type { TenantSnapshot } from '../duo/tenant/tenant.js';

// What this model of Duo believes, confirmed and assumed, with sources and confidence: ./assumptions.ts.

/** A write the simulator applied, in the form it can apply again: its state is its seed plus these. */
export interface AppliedWrite {
  readonly method: string;
  readonly path: string;
  readonly params: Record<string, string>;
  /** The id counter before the write: a refused write may have used ids, so a replay restores it. */
  readonly nextId?: number;
}

export interface SimulatedUser {
  user_id: string;
  username: string;
  realname: string | null;
  firstname: string | null;
  lastname: string | null;
  email: string | null;
  status: string;
  notes: string | null;
  aliases: Record<string, string>;
  phones: { phone_id: string; number: string; extension?: string }[];
  /** Group ids. */
  groups: string[];
  created: number;
  last_directory_sync: number | null;
  external_id?: string | null;
  is_enrolled: boolean;
}

/** How the modelled Duo answers POST /admin/v1/bulk (see ./assumptions.ts): per-operation results, a bare OK, or a refusal of the endpoint. */
export type BulkAnswer = 'results' | 'ok' | 'refused' | 'forbidden';

export interface SimulatedGroup {
  group_id: string;
  name: string;
  desc: string;
  status: string;
}

export interface SimulatedPhone {
  phone_id: string;
  number: string;
  extension: string;
  type: string;
  platform: string;
  /** User ids, in the order attached. */
  users: string[];
  /** Activation texts sent. */
  smsActivations: number;
}

export interface SimulatedToken {
  token_id: string;
  /** Duo's type code: h6, h8, t6, t8, yk, d1. */
  type: string;
  serial: string;
  totp_step: number | null;
  /** User ids, in the order attached. */
  users: string[];
}

/** The operations the bulk endpoint takes (the Ruby client's list). */
const BULK_OPERATIONS: readonly (readonly [string, RegExp])[] = [
  ['POST', /^\/admin\/v1\/users$/],
  ['POST', /^\/admin\/v1\/users\/[A-Z0-9]+$/],
  ['DELETE', /^\/admin\/v1\/users\/[A-Z0-9]+$/],
  ['POST', /^\/admin\/v1\/users\/[A-Z0-9]+\/groups$/],
  ['DELETE', /^\/admin\/v1\/users\/[A-Z0-9]+\/groups\/[A-Z0-9]+$/],
];

const PHONE_TYPES = new Set(['unknown', 'mobile', 'landline']);
const PHONE_PLATFORMS = new Set(['unknown', 'google android', 'apple ios', 'windows phone 7', 'rim blackberry', 'java j2me', 'palm webos',
  'symbian os', 'windows mobile', 'generic smartphone']);
/** Duo's per-object limits (duo.com/docs/rate-limits). */
const MAX_GROUPS_PER_USER = 100;
const MAX_PHONES_PER_USER = 100;
const MAX_USERS_PER_PHONE = 100;
const MAX_TOKENS_PER_USER = 100;
/** Hardware token types and the secret each needs to be created (duo_client_python's add_*_token). */
const TOKEN_SECRETS: Readonly<Record<string, readonly string[]>> = { h6: ['secret'], h8: ['secret'], t6: ['secret'], t8: ['secret'], yk: ['private_id', 'aes_key'], d1: [] };

const USER_FIELDS = ['username', 'realname', 'firstname', 'lastname', 'email', 'status', 'notes'] as const;
const LEGACY_ALIASES = ['alias1', 'alias2', 'alias3', 'alias4'];
const STATUSES = new Set(['active', 'bypass', 'disabled']);

/** Duo refusing a request: HTTP status, Duo's code, message and detail. */
export class Refusal extends Error {
  constructor(readonly status: number, readonly code: number, message: string, readonly detail?: string) {
    super(message);
  }
}

/**
 * The Duo Admin API as a pure model: requests in, answers (or refusals) out, over a tenant held in
 * memory. No HTTP, no clock beyond `created` and Date, no faults: ./duo-simulator.ts serves it, and
 * the tests add faults around it. Everything it believes about Duo that no official source
 * confirms is listed in ./assumptions.ts.
 */
export class DuoEngine {
  readonly users = new Map<string, SimulatedUser>();
  readonly groups = new Map<string, SimulatedGroup>();
  readonly phones = new Map<string, SimulatedPhone>();
  /** Phone ids by "number extension". */
  private readonly phoneIndex = new Map<string, string>();
  readonly tokens = new Map<string, SimulatedToken>();
  /** Token ids by user id, in the order attached. */
  private readonly tokensOfUser = new Map<string, string[]>();
  /** Enrollment emails sent: username and address, in order. */
  readonly enrollments: { username: string; email: string }[] = [];
  /** Users per page when a listing names no limit (Duo: 100). */
  defaultLimit = 100;
  /** How POST /admin/v1/bulk answers: every test of the bulk path runs under each. */
  bulkAnswer: BulkAnswer = 'results';
  /** The tenant's settings, as GET /admin/v1/settings answers them. */
  readonly settings: Record<string, unknown> = { pending_deletion_days: 7 };
  private readonly names = new Map<string, string>();
  private nextId = 1;

  /** @param clockOffsetMs Duo's clock minus this machine's: users' `created` follows it. */
  constructor(private readonly clockOffsetMs = 0) {}

  /** Now, on this Duo's clock. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** The id counter: a write's log entry keeps it, so a replay draws the same ids. */
  get idCounter(): number {
    return this.nextId;
  }

  /** Adds a user directly, as an earlier sync or admin would have. */
  seed(fields: Partial<SimulatedUser> & { username: string }, aliases: string[] = []): SimulatedUser {
    const user = this.newUser(fields);
    aliases.forEach((alias, i) => (user.aliases[`alias${i + 1}`] = alias));
    this.claim(user, [user.username, ...aliases]);
    this.users.set(user.user_id, user);
    for (const p of user.phones) {
      const phone = this.phones.get(p.phone_id) ?? this.newPhone({ number: p.number, extension: p.extension ?? '' }, p.phone_id);
      if (!phone.users.includes(user.user_id)) phone.users.push(user.user_id);
    }
    return user;
  }

  /**
   * The tenant a `tenant export` snapshot describes: its users (ids, names, fields, status, sync date),
   * their phones and memberships, and its groups and Trash period. Ids are kept, so the
   * snapshot's user_ids, phone_ids and group_ids are the simulator's.
   */
  seedSnapshot(snapshot: TenantSnapshot): void {
    const idNumber = (id: string): number => Number(/^D[UGPH](\d{18})$/.exec(id)?.[1] ?? 0);
    for (const token of snapshot.tokens ?? []) this.tokens.set(token.token_id, { ...token, totp_step: null, users: [] });
    for (const group of snapshot.groups ?? []) this.groups.set(group.group_id, { group_id: group.group_id, name: group.name, desc: '', status: 'active' });
    for (const user of snapshot.users) {
      for (const group of user.groups) if (!this.groups.has(group.group_id)) this.groups.set(group.group_id, { group_id: group.group_id, name: group.name, desc: '', status: 'active' });
      const seeded = this.newUser({ ...user, username: user.username, phones: [], groups: user.groups.map((g) => g.group_id) } as unknown as Partial<SimulatedUser> & { username: string });
      seeded.user_id = user.user_id;
      seeded.aliases = { ...user.aliases };
      this.claim(seeded, [seeded.username, ...Object.values(seeded.aliases)]);
      this.users.set(seeded.user_id, seeded);
      for (const p of user.phones) {
        const phone = this.phones.get(p.phone_id) ?? this.newPhone({ number: p.number, extension: p.extension }, p.phone_id);
        this.attach(seeded, phone);
      }
      for (const t of user.tokens) {
        if (!this.tokens.has(t.token_id)) this.tokens.set(t.token_id, { ...t, totp_step: null, users: [] });
        this.attachToken(seeded, this.tokens.get(t.token_id)!, true);
      }
    }
    if (snapshot.settings?.pending_deletion_days !== undefined) this.settings.pending_deletion_days = snapshot.settings.pending_deletion_days;
    let highest = this.nextId;
    for (const ids of [this.users.keys(), this.groups.keys(), this.phones.keys(), this.tokens.keys()]) for (const id of ids) highest = Math.max(highest, idNumber(id));
    this.nextId = highest + 1;
  }

  /** Adds a group directly, as an admin or a directory sync would have. */
  seedGroup(name: string, desc = ''): SimulatedGroup {
    const group = { group_id: `DG${String(this.nextId++).padStart(18, '0')}`, name, desc, status: 'active' };
    this.groups.set(group.group_id, group);
    return group;
  }

  /** Adds a phone directly, attached to the given users. */
  seedPhone(number: string, userIds: string[] = [], extension = ''): SimulatedPhone {
    const phone = this.newPhone({ number, extension });
    for (const id of userIds) this.attach(this.user(id), phone);
    return phone;
  }

  /** Adds a hardware token directly (as an admin's token import would), attached to the given users. */
  seedToken(type: string, serial: string, userIds: string[] = []): SimulatedToken {
    const token = this.newToken(type, serial);
    for (const id of userIds) this.attachToken(this.user(id), token);
    return token;
  }

  /** The hardware tokens attached to a user. */
  tokensOf(userId: string): SimulatedToken[] {
    return (this.tokensOfUser.get(userId) ?? []).map((id) => this.tokens.get(id)!);
  }

  /** A user's group names, sorted. */
  groupNamesOf(user: SimulatedUser): string[] {
    return user.groups.map((id) => this.groups.get(id)!.name).sort();
  }

  /** Users by lower-cased username. */
  byUsername(): Map<string, SimulatedUser> {
    return new Map([...this.users.values()].map((u) => [nameKey(u.username), u]));
  }

  /** Applies a write as if it had been requested (replaying a --state log); Duo's refusals are thrown. */
  apply(write: AppliedWrite): void {
    if (write.nextId !== undefined) this.nextId = write.nextId;
    this.handle(write.method, write.path, write.params);
  }

  /** Answers one request (its parameters decoded); throws a Refusal where Duo would refuse. */
  handle(method: string, path: string, params: Record<string, string>): { response?: unknown; metadata?: unknown } {
    const userPath = /^\/admin\/v1\/users\/([A-Z0-9]+)$/.exec(path);
    if (method === 'GET' && path === '/admin/v1/users') return this.listUsers(params);
    if (method === 'GET' && path === '/admin/v1/settings') return { response: { ...this.settings } };
    const devices = this.routeDevices(method, path, params);
    if (devices !== null) return devices;
    if (method === 'GET' && userPath) return { response: this.view(this.user(userPath[1]!)) };
    if (method === 'POST' && path === '/admin/v1/users/bulk_create') return { response: this.bulkCreate(params) };
    if (method === 'POST' && path === '/admin/v1/bulk') return this.bulkOperations(params);
    if (method === 'POST' && path === '/admin/v1/users/bulk_send_to_trash') return { response: this.setStatusOfList(params, 'pending deletion') };
    if (method === 'POST' && path === '/admin/v1/users/bulk_restore') return { response: this.setStatusOfList(params, 'active') };
    if (method === 'POST' && path === '/admin/v1/users') return { response: this.view(this.create(params)) };
    if (method === 'POST' && userPath) return { response: this.view(this.modify(this.user(userPath[1]!), params)) };
    if (method === 'DELETE' && userPath) {
      // "Deletes a user. If the user is already deleted, does nothing." (duo_client_python's delete_user)
      const user = this.users.get(userPath[1]!);
      if (user === undefined) return { response: '' };
      this.release(user);
      for (const p of user.phones) {
        const phone = this.phones.get(p.phone_id);
        if (phone) phone.users = phone.users.filter((id) => id !== user.user_id);
      }
      for (const token of this.tokensOf(user.user_id)) token.users = token.users.filter((id) => id !== user.user_id);
      this.tokensOfUser.delete(user.user_id);
      this.users.delete(user.user_id);
      return { response: '' };
    }
    // Not "Resource not found": a rehearsal must never take an endpoint this model lacks for an object Duo lacks.
    throw new Refusal(501, 50100, `Not modelled: the duo-bridge simulator does not serve ${method} ${path} (Duo may); see "duo-bridge simulator --help"`);
  }

  /** Groups, phones, memberships, enrollment. Null: not one of these paths. */
  private routeDevices(method: string, path: string, params: Record<string, string>): { response?: unknown; metadata?: unknown } | null {
    const userGroups = /^\/admin\/v1\/users\/([A-Z0-9]+)\/groups(?:\/([A-Z0-9]+))?$/.exec(path);
    const userPhones = /^\/admin\/v1\/users\/([A-Z0-9]+)\/phones(?:\/([A-Z0-9]+))?$/.exec(path);
    const phonePath = /^\/admin\/v1\/phones\/([A-Z0-9]+)(\/send_sms_activation)?$/.exec(path);
    const groupPath = /^\/admin\/v1\/groups\/([A-Z0-9]+)$/.exec(path);
    if (path === '/admin/v1/groups' && method === 'GET') return this.page([...this.groups.values()], params, 500, (g) => ({ ...g }));
    if (path === '/admin/v1/groups' && method === 'POST') return { response: { ...this.createGroup(params) } };
    if (groupPath && method === 'DELETE') {
      const group = this.group(groupPath[1]!);
      for (const user of this.users.values()) user.groups = user.groups.filter((id) => id !== group.group_id);
      this.groups.delete(group.group_id);
      return { response: '' };
    }
    if (userGroups && method === 'GET' && !userGroups[2]) return this.page(this.user(userGroups[1]!).groups, params, 500, (id) => ({ ...this.groups.get(id)! }));
    const tokens = this.routeTokens(method, path, params);
    if (tokens !== null) return tokens;
    const userKeys = /^\/admin\/v1\/users\/([A-Z0-9]+)\/(u2ftokens|webauthncredentials)$/.exec(path);
    // U2F keys and WebAuthn credentials are not modelled: every user has none.
    if (userKeys && method === 'GET') {
      this.user(userKeys[1]!);
      return this.page([] as unknown[], params, 500, (x) => x);
    }
    if (userGroups && method === 'POST' && !userGroups[2]) {
      const user = this.user(userGroups[1]!);
      if (!params.group_id) throw new Refusal(400, 40001, 'Missing required request parameters', 'group_id');
      const group = this.group(params.group_id);
      if (!user.groups.includes(group.group_id)) {
        if (user.groups.length >= MAX_GROUPS_PER_USER) throw new Refusal(500, 50001, 'Maximum number of groups per user reached');
        user.groups.push(group.group_id);
      }
      return { response: '' };
    }
    if (userGroups && method === 'DELETE' && userGroups[2]) {
      const user = this.user(userGroups[1]!);
      if (!user.groups.includes(userGroups[2])) throw new Refusal(404, 40401, 'Resource not found', 'group_id');
      user.groups = user.groups.filter((id) => id !== userGroups[2]);
      return { response: '' };
    }
    if (path === '/admin/v1/phones' && method === 'GET') {
      if (params.number !== undefined) {
        const number = this.e164(params.number);
        const matches = [...this.phoneIndex].filter(([key]) => key.startsWith(`${number} `) && (params.extension === undefined || key === `${number} ${params.extension}`));
        return { response: matches.map(([, id]) => this.phoneView(this.phones.get(id)!)) };
      }
      return this.page([...this.phones.values()], params, 500, (p) => this.phoneView(p));
    }
    if (path === '/admin/v1/phones' && method === 'POST') return { response: this.phoneView(this.createPhone(params)) };
    if (phonePath && method === 'GET' && !phonePath[2]) return { response: this.phoneView(this.phone(phonePath[1]!)) };
    if (phonePath && method === 'DELETE' && !phonePath[2]) {
      const phone = this.phone(phonePath[1]!);
      for (const id of phone.users) {
        const user = this.users.get(id);
        if (user) user.phones = user.phones.filter((p) => p.phone_id !== phone.phone_id);
      }
      this.phones.delete(phone.phone_id);
      this.phoneIndex.delete(`${phone.number} ${phone.extension}`);
      return { response: '' };
    }
    if (phonePath && method === 'POST' && phonePath[2]) {
      const phone = this.phone(phonePath[1]!);
      if (phone.type !== 'mobile') throw new Refusal(400, 40002, 'Invalid request parameters: the phone is not a mobile phone', 'phone_id');
      phone.smsActivations++;
      return { response: { activation_msg: 'sent', installation_msg: 'sent', valid_secs: Number(params.valid_secs ?? 86400) } };
    }
    if (userPhones && method === 'GET' && !userPhones[2]) {
      const user = this.user(userPhones[1]!);
      return this.page(user.phones.map((p) => p.phone_id).filter((id) => this.phones.has(id)), params, 500, (id) => this.phoneView(this.phones.get(id)!));
    }
    if (userPhones && method === 'POST' && !userPhones[2]) {
      const user = this.user(userPhones[1]!);
      if (!params.phone_id) throw new Refusal(400, 40001, 'Missing required request parameters', 'phone_id');
      this.attach(user, this.phone(params.phone_id));
      return { response: '' };
    }
    if (userPhones && method === 'DELETE' && userPhones[2]) {
      const user = this.user(userPhones[1]!);
      const phone = this.phones.get(userPhones[2]);
      if (!phone || !phone.users.includes(user.user_id)) throw new Refusal(404, 40401, 'Resource not found', 'phone_id');
      phone.users = phone.users.filter((id) => id !== user.user_id);
      user.phones = user.phones.filter((p) => p.phone_id !== phone.phone_id);
      return { response: '' };
    }
    if (path === '/admin/v1/users/enroll' && method === 'POST') {
      if (!params.username || !params.email) throw new Refusal(400, 40001, 'Missing required request parameters', params.username ? 'email' : 'username');
      const id = this.names.get(nameKey(params.username));
      if (id === undefined) throw new Refusal(404, 40401, 'Resource not found', 'username');
      if (this.users.get(id)!.phones.length > 0) throw new Refusal(400, 40002, 'Invalid request parameters: the user already has a phone', 'username');
      this.enrollments.push({ username: params.username, email: params.email });
      return { response: '' };
    }
    return null;
  }

  private page<T>(all: T[], params: Record<string, string>, max: number, view: (item: T) => unknown): { response: unknown; metadata: unknown } {
    const { limit, offset } = this.paging(params, 100, max);
    const next = offset + limit < all.length ? offset + limit : undefined;
    return {
      response: all.slice(offset, offset + limit).map(view),
      metadata: { total_objects: all.length, ...(next === undefined ? {} : { next_offset: next }), prev_offset: Math.max(0, offset - limit) },
    };
  }

  private createGroup(params: Record<string, string>): SimulatedGroup {
    for (const key of Object.keys(params)) if (!['name', 'desc', 'status'].includes(key)) throw new Refusal(400, 40002, 'Invalid request parameters', key);
    const name = params.name?.trim() ?? '';
    if (name === '') throw new Refusal(400, 40001, 'Missing required request parameters', 'name');
    if ([...this.groups.values()].some((g) => nameKey(g.name) === nameKey(name))) throw new Refusal(400, 40002, `Group '${name}' already exists`, 'name');
    if (params.status !== undefined && !STATUSES.has(params.status)) throw new Refusal(400, 40002, 'Invalid request parameters', 'status');
    return this.seedGroup(name, params.desc ?? '');
  }

  /** Hardware tokens: list, find by type and serial, create, delete; a user's tokens, attach, detach. Null: not a token path. */
  private routeTokens(method: string, path: string, params: Record<string, string>): { response?: unknown; metadata?: unknown } | null {
    const tokenPath = /^\/admin\/v1\/tokens\/([A-Z0-9]+)$/.exec(path);
    const userTokens = /^\/admin\/v1\/users\/([A-Z0-9]+)\/tokens(?:\/([A-Z0-9]+))?$/.exec(path);
    if (path === '/admin/v1/tokens' && method === 'GET') {
      if (params.serial !== undefined || params.type !== undefined) {
        if (!params.serial || !params.type) throw new Refusal(400, 40001, 'Missing required request parameters', params.serial ? 'type' : 'serial');
        const found = [...this.tokens.values()].filter((t) => t.type === params.type && t.serial === params.serial);
        return { response: found.map((t) => this.tokenView(t)) };
      }
      return this.page([...this.tokens.values()], params, 500, (t) => this.tokenView(t));
    }
    if (path === '/admin/v1/tokens' && method === 'POST') {
      if (!params.type || !params.serial) throw new Refusal(400, 40001, 'Missing required request parameters', params.type ? 'serial' : 'type');
      const needs = TOKEN_SECRETS[params.type];
      if (needs === undefined) throw new Refusal(400, 40002, 'Invalid request parameters', 'type');
      const missing = needs.find((name) => !params[name]);
      if (missing !== undefined) throw new Refusal(400, 40001, 'Missing required request parameters', missing);
      if ([...this.tokens.values()].some((t) => t.type === params.type && t.serial === params.serial)) {
        throw new Refusal(400, 40002, 'Invalid request parameters: a token of this type and serial exists', 'serial');
      }
      const token = this.newToken(params.type, params.serial);
      if (params.totp_step !== undefined) token.totp_step = Number(params.totp_step);
      else if (params.type.startsWith('t')) token.totp_step = 30;
      return { response: this.tokenView(token) };
    }
    if (tokenPath && method === 'GET') return { response: this.tokenView(this.token(tokenPath[1]!)) };
    if (tokenPath && method === 'DELETE') {
      // "Deletes a token. If the token is already deleted, does nothing." (duo_client_python's delete_token)
      const token = this.tokens.get(tokenPath[1]!);
      if (token === undefined) return { response: '' };
      for (const id of token.users) this.tokensOfUser.set(id, (this.tokensOfUser.get(id) ?? []).filter((t) => t !== token.token_id));
      this.tokens.delete(token.token_id);
      return { response: '' };
    }
    if (userTokens && method === 'GET' && !userTokens[2]) return this.page(this.tokensOf(this.user(userTokens[1]!).user_id), params, 500, (t) => this.tokenView(t));
    if (userTokens && method === 'POST' && !userTokens[2]) {
      const user = this.user(userTokens[1]!);
      if (!params.token_id) throw new Refusal(400, 40001, 'Missing required request parameters', 'token_id');
      this.attachToken(user, this.token(params.token_id));
      return { response: '' };
    }
    if (userTokens && method === 'DELETE' && userTokens[2]) {
      const user = this.user(userTokens[1]!);
      const token = this.tokens.get(userTokens[2]);
      if (!token || !token.users.includes(user.user_id)) throw new Refusal(404, 40401, 'Resource not found', 'token_id');
      token.users = token.users.filter((id) => id !== user.user_id);
      this.tokensOfUser.set(user.user_id, (this.tokensOfUser.get(user.user_id) ?? []).filter((id) => id !== token.token_id));
      return { response: '' };
    }
    return null;
  }

  private newToken(type: string, serial: string): SimulatedToken {
    const token: SimulatedToken = { token_id: `DH${String(this.nextId++).padStart(18, '0')}`, type, serial, totp_step: null, users: [] };
    this.tokens.set(token.token_id, token);
    return token;
  }

  private token(id: string): SimulatedToken {
    const token = this.tokens.get(id);
    if (token === undefined) throw new Refusal(404, 40401, 'Resource not found', 'token_id');
    return token;
  }

  /** A token is one person's (assumptions.ts): attaching one another user holds is refused (a snapshot is taken as Duo had it). */
  private attachToken(user: SimulatedUser, token: SimulatedToken, seeding = false): void {
    if (token.users.includes(user.user_id)) return;
    if (token.users.length > 0 && !seeding) throw new Refusal(400, 40002, 'Invalid request parameters: the token is assigned to another user', 'token_id');
    const held = this.tokensOfUser.get(user.user_id) ?? [];
    if (held.length >= MAX_TOKENS_PER_USER) throw new Refusal(500, 50001, 'Maximum number of tokens per user reached');
    token.users.push(user.user_id);
    this.tokensOfUser.set(user.user_id, [...held, token.token_id]);
  }

  private tokenView(token: SimulatedToken): unknown {
    return {
      token_id: token.token_id, type: token.type, serial: token.serial, totp_step: token.totp_step,
      users: token.users.map((id) => this.users.get(id)).filter((u) => u !== undefined).map((u) => ({ user_id: u.user_id, username: u.username })),
    };
  }

  private createPhone(params: Record<string, string>): SimulatedPhone {
    for (const key of Object.keys(params)) {
      if (!['number', 'extension', 'name', 'type', 'platform', 'predelay', 'postdelay'].includes(key)) throw new Refusal(400, 40002, 'Invalid request parameters', key);
    }
    if (params.type !== undefined && !PHONE_TYPES.has(params.type)) throw new Refusal(400, 40002, 'Invalid request parameters', 'type');
    if (params.platform !== undefined && !PHONE_PLATFORMS.has(params.platform)) throw new Refusal(400, 40002, 'Invalid request parameters', 'platform');
    const number = this.e164(params.number ?? '');
    const extension = params.extension ?? '';
    if (this.phoneIndex.has(`${number} ${extension}`)) throw new Refusal(400, 40002, 'Invalid request parameters: a phone with this number exists', 'number');
    const phone = this.newPhone({ number, extension });
    phone.type = params.type ?? 'unknown';
    phone.platform = params.platform ?? 'unknown';
    return phone;
  }

  /** Duo's reading of a number: a leading + kept, otherwise +1 (US); separators ignored. */
  private e164(text: string): string {
    const digits = text.replace(/[\s\-.()]/g, '');
    if (!/^\+?\d{3,15}$/.test(digits)) throw new Refusal(400, 40002, 'Invalid request parameters', 'number');
    return digits.startsWith('+') ? digits : `+1${digits}`;
  }

  private newPhone(phone: { number: string; extension: string }, id?: string): SimulatedPhone {
    const created: SimulatedPhone = { phone_id: id ?? `DP${String(this.nextId++).padStart(18, '0')}`, number: phone.number, extension: phone.extension,
      type: 'mobile', platform: 'unknown', users: [], smsActivations: 0 };
    this.phones.set(created.phone_id, created);
    this.phoneIndex.set(`${created.number} ${created.extension}`, created.phone_id);
    return created;
  }

  private attach(user: SimulatedUser, phone: SimulatedPhone): void {
    if (phone.users.includes(user.user_id)) return;
    if (user.phones.length >= MAX_PHONES_PER_USER) throw new Refusal(500, 50001, 'Maximum number of phones per user reached');
    if (phone.users.length >= MAX_USERS_PER_PHONE) throw new Refusal(500, 50001, 'Maximum number of users per phone reached');
    phone.users.push(user.user_id);
    user.phones.push({ phone_id: phone.phone_id, number: phone.number, extension: phone.extension });
  }

  private group(id: string): SimulatedGroup {
    const group = this.groups.get(id);
    if (!group) throw new Refusal(404, 40401, 'Resource not found', 'group_id');
    return group;
  }

  private phone(id: string): SimulatedPhone {
    const phone = this.phones.get(id);
    if (!phone) throw new Refusal(404, 40401, 'Resource not found', 'phone_id');
    return phone;
  }

  private phoneView(phone: SimulatedPhone): unknown {
    const { smsActivations: _sent, users, ...fields } = phone;
    return { ...fields, users: users.map((id) => ({ user_id: id, username: this.users.get(id)?.username ?? '' })) };
  }

  private bulkOperations(params: Record<string, string>): { response?: unknown } {
    if (this.bulkAnswer === 'refused') throw new Refusal(404, 40401, 'Resource not found');
    if (this.bulkAnswer === 'forbidden') throw new Refusal(403, 40301, 'Access forbidden');
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
        return { status: 'OK', response: this.handle(method, path, body).response };
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
        return { status: 'FAIL', code: error.code, message: error.message };
      }
    });
    return this.bulkAnswer === 'results' ? { response: results } : {};
  }

  private listUsers(params: Record<string, string>): { response: unknown; metadata?: unknown } {
    const exclusive = ['username_list', 'user_id_list', 'username', 'email'].filter((k) => k in params);
    if (exclusive.length > 1) throw new Refusal(400, 40002, 'Invalid request parameters', exclusive.join(','));
    const { limit, offset } = this.paging(params, this.defaultLimit, 300);
    const page = (all: SimulatedUser[]): { response: unknown; metadata: unknown } => {
      const next = offset + limit < all.length ? offset + limit : undefined;
      return {
        response: all.slice(offset, offset + limit).map((u) => this.view(u)),
        metadata: { total_objects: all.length, ...(next === undefined ? {} : { next_offset: next }), prev_offset: Math.max(0, offset - limit) },
      };
    };
    if (params.username_list !== undefined) {
      const names = this.jsonList(params.username_list, 'username_list');
      const ids = new Set(names.map((n) => this.names.get(nameKey(n))).filter((id): id is string => id !== undefined));
      return page([...ids].map((id) => this.users.get(id)!));
    }
    if (params.user_id_list !== undefined) {
      const ids = new Set(this.jsonList(params.user_id_list, 'user_id_list'));
      return page([...ids].map((id) => this.users.get(id)).filter((u): u is SimulatedUser => u !== undefined));
    }
    if (params.username !== undefined) {
      const id = this.names.get(nameKey(params.username));
      return { response: id ? [this.view(this.users.get(id)!)] : [] };
    }
    if (params.email !== undefined) {
      const email = params.email.trim().toLowerCase();
      return page([...this.users.values()].filter((u) => u.email !== null && u.email.toLowerCase() === email));
    }
    return page([...this.users.values()]);
  }

  /** limit and offset as Duo documents them: whole numbers, limit 1..max; anything else is refused, never looped on. */
  private paging(params: Record<string, string>, fallback: number, max: number): { limit: number; offset: number } {
    const whole = (name: string, value: string | undefined, least: number): number | undefined => {
      if (value === undefined) return undefined;
      if (!/^\d+$/.test(value.trim()) || Number(value) < least) throw new Refusal(400, 40002, 'Invalid request parameters', name);
      return Number(value);
    };
    return { limit: Math.min(whole('limit', params.limit, 1) ?? fallback, max), offset: whole('offset', params.offset, 0) ?? 0 };
  }

  private bulkCreate(params: Record<string, string>): unknown[] {
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
      this.checkFields(entry as Record<string, string>);
      const key = nameKey(String(entry.username));
      if (this.names.has(key) || batchNames.has(key)) throw new Refusal(400, 40002, `Username '${entry.username}' already exists`, 'username');
      batchNames.add(key);
    }
    // All or nothing: nothing above has changed the store.
    return (list as Record<string, string>[]).map((fields) => {
      const user = this.newUser(fields as unknown as Partial<SimulatedUser> & { username: string });
      this.claim(user, [user.username]);
      this.users.set(user.user_id, user);
      return this.view(user);
    });
  }

  private create(params: Record<string, string>): SimulatedUser {
    if (params.username === undefined) throw new Refusal(400, 40001, 'Missing required request parameters', 'username');
    this.checkFields(params);
    if (this.names.has(nameKey(params.username))) throw new Refusal(400, 40002, `Username '${params.username}' already exists`, 'username');
    const user = this.newUser(params as unknown as Partial<SimulatedUser> & { username: string });
    const aliases = this.aliasParams(params) ?? {};
    const keys = [user.username, ...Object.values(aliases)].map(nameKey);
    if (new Set(keys).size !== keys.length) throw new Refusal(400, 40002, 'Invalid request parameters: an alias equals the username or another alias', 'aliases');
    Object.assign(user.aliases, aliases);
    this.claim(user, [user.username, ...Object.values(user.aliases)]);
    this.users.set(user.user_id, user);
    return user;
  }

  private modify(user: SimulatedUser, params: Record<string, string>): SimulatedUser {
    for (const key of Object.keys(params)) {
      if (![...USER_FIELDS, 'aliases', ...LEGACY_ALIASES].includes(key)) throw new Refusal(400, 40002, 'Invalid request parameters', key);
    }
    const username = params.username ?? user.username;
    const aliases = { ...user.aliases };
    const given = this.aliasParams(params);
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
      const owner = this.names.get(key);
      if (owner !== undefined && owner !== user.user_id) throw new Refusal(400, 40002, `'${key}' is already in use by another user`, 'aliases');
    }
    this.checkFields(params);
    this.release(user);
    for (const field of USER_FIELDS) if (params[field] !== undefined) (user as unknown as Record<string, string>)[field] = params[field]!;
    user.username = username;
    user.aliases = aliases;
    this.claim(user, wanted);
    return user;
  }

  private setStatusOfList(params: Record<string, string>, status: string): unknown[] {
    const ids = this.jsonList(params.user_id_list, 'user_id_list');
    const users = ids.map((id) => this.user(id));
    for (const user of users) user.status = status;
    return users.map((u) => this.view(u));
  }

  /** `aliases` ("alias1=a&alias2=b"), or the legacy discrete alias1..alias4 Duo's Python client sends; never both. */
  private aliasParams(params: Record<string, string>): Record<string, string> | null {
    const legacy = LEGACY_ALIASES.filter((slot) => params[slot] !== undefined);
    if (legacy.length > 0 && params.aliases !== undefined) throw new Refusal(400, 40002, 'Invalid request parameters: give aliases or alias1..alias4, not both', 'aliases');
    if (legacy.length > 0) return Object.fromEntries(legacy.map((slot) => [slot, params[slot]!]));
    return params.aliases === undefined ? null : this.parseAliases(params.aliases);
  }

  private parseAliases(text: string): Record<string, string> {
    const result: Record<string, string> = {};
    for (const pair of text.split('&').filter(Boolean)) {
      const [slot, value = ''] = pair.split('=');
      if (!/^alias[1-8]$/.test(slot ?? '')) throw new Refusal(400, 40002, 'Invalid request parameters', 'aliases');
      result[slot!] = decodeURIComponent(value);
    }
    return result;
  }

  private checkFields(fields: Record<string, string | undefined>): void {
    if (fields.username !== undefined && fields.username.trim() === '') throw new Refusal(400, 40002, 'Invalid request parameters', 'username');
    if (fields.status !== undefined && !STATUSES.has(fields.status)) throw new Refusal(400, 40002, 'Invalid request parameters', 'status');
  }

  private jsonList(text: string | undefined, name: string): string[] {
    let list: unknown;
    try {
      list = JSON.parse(text ?? '');
    } catch {
      throw new Refusal(400, 40002, 'Invalid request parameters', name);
    }
    if (!Array.isArray(list) || list.length > 100 || list.some((v) => typeof v !== 'string')) throw new Refusal(400, 40002, 'Invalid request parameters', name);
    return list as string[];
  }

  private newUser(fields: Partial<SimulatedUser> & { username: string }): SimulatedUser {
    if (!fields.username || fields.username.trim() === '') throw new Refusal(400, 40001, 'Missing required request parameters', 'username');
    return {
      user_id: `DU${String(this.nextId++).padStart(18, '0')}`,
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
      created: Math.floor(this.now() / 1000),
      last_directory_sync: fields.last_directory_sync ?? null,
      ...(fields.external_id ? { external_id: fields.external_id } : {}),
      is_enrolled: fields.is_enrolled ?? false,
    };
  }

  private user(id: string): SimulatedUser {
    const user = this.users.get(id);
    if (!user) throw new Refusal(404, 40401, 'Resource not found', 'user_id');
    return user;
  }

  private claim(user: SimulatedUser, names: string[]): void {
    for (const name of names) {
      const owner = this.names.get(nameKey(name));
      if (owner !== undefined && owner !== user.user_id) throw new Refusal(400, 40002, `'${name}' is already in use`, 'username');
    }
    for (const name of names) this.names.set(nameKey(name), user.user_id);
  }

  private release(user: SimulatedUser): void {
    for (const name of [user.username, ...Object.values(user.aliases)]) this.names.delete(nameKey(name));
  }

  private view(user: SimulatedUser): unknown {
    const legacy = Object.fromEntries([1, 2, 3, 4].map((n) => [`alias${n}`, user.aliases[`alias${n}`] ?? null]));
    const phones = user.phones.map((p) => {
      const phone = this.phones.get(p.phone_id);
      return phone ? { phone_id: phone.phone_id, number: phone.number, extension: phone.extension, type: phone.type, platform: phone.platform } : { ...p };
    });
    const groups = user.groups.map((id) => ({ ...this.groups.get(id)! }));
    const tokens = this.tokensOf(user.user_id).map((t) => ({ token_id: t.token_id, type: t.type, serial: t.serial, totp_step: t.totp_step }));
    // U2F keys, WebAuthn credentials and logins are not modelled: Duo's fields, empty.
    return { ...user, ...legacy, aliases: { ...user.aliases }, phones, groups, last_login: null, tokens, u2ftokens: [], webauthncredentials: [] };
  }
}
