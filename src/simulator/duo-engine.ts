import { nameKey } from '../names.js';
import type { TenantSnapshot } from '../duo/tenant/tenant.js';
import { BULK_ROUTES } from './bulk-engine.js';
import { EngineState, Refusal, type BulkAnswer, type SimulatedGroup, type SimulatedPhone, type SimulatedToken, type SimulatedUser } from './engine-state.js';
import { GROUP_ROUTES, seedGroup } from './groups-engine.js';
import { attachPhone, newPhone, PHONE_ROUTES, seedPhone } from './phones-engine.js';
import type { Answer, Params, Route } from './route.js';
import { attachToken, seedToken, TOKEN_ROUTES } from './tokens-engine.js';
import { newUser, seedUser, USER_ROUTES } from './users-engine.js';

// What this model of Duo believes, confirmed and assumed, with sources and confidence: ./assumptions.ts.

/** A write the simulator applied, in the form it can apply again: its state is its seed plus these. */
export interface AppliedWrite {
  readonly method: string;
  readonly path: string;
  readonly params: Record<string, string>;
  /** The id counter before the write: a refused write may have used ids, so a replay restores it. */
  readonly nextId?: number;
}

/** Every endpoint the model serves, by resource; no two match one request. */
const ROUTES: readonly Route[] = [
  ...USER_ROUTES,
  ...GROUP_ROUTES,
  ...PHONE_ROUTES,
  ...TOKEN_ROUTES,
  ...BULK_ROUTES,
  { method: 'GET', path: /^\/admin\/v1\/settings$/, answer: ({ state }) => ({ response: { ...state.settings } }) },
];

/**
 * The Duo Admin API as a pure model: requests in, answers (or refusals) out, over a tenant held in
 * memory (./engine-state.ts). No HTTP, no clock beyond `created` and Date, no faults:
 * ./duo-simulator.ts serves it, and the tests add faults around it. `handle` routes a request to
 * its resource's endpoints (./users-engine.ts, ./groups-engine.ts, ./phones-engine.ts,
 * ./tokens-engine.ts, ./bulk-engine.ts). Everything it believes about Duo that no official source
 * confirms is listed in ./assumptions.ts.
 */
export class DuoEngine {
  readonly state: EngineState;
  readonly users: Map<string, SimulatedUser>;
  readonly groups: Map<string, SimulatedGroup>;
  readonly phones: Map<string, SimulatedPhone>;
  readonly tokens: Map<string, SimulatedToken>;
  /** Enrollment emails sent: username and address, in order. */
  readonly enrollments: { username: string; email: string }[];
  /** The tenant's settings, as GET /admin/v1/settings answers them. */
  readonly settings: Record<string, unknown>;

  /** The router as a route's handler calls it (the bulk endpoint, for each of its operations). */
  private readonly route = (method: string, path: string, params: Params): Answer => this.handle(method, path, params);

  /** @param clockOffsetMs Duo's clock minus this machine's: users' `created` follows it. */
  constructor(clockOffsetMs = 0) {
    this.state = new EngineState(clockOffsetMs);
    this.users = this.state.users;
    this.groups = this.state.groups;
    this.phones = this.state.phones;
    this.tokens = this.state.tokens;
    this.enrollments = this.state.enrollments;
    this.settings = this.state.settings;
  }

  /** Users per page when a listing names no limit (Duo: 100). */
  get defaultLimit(): number {
    return this.state.defaultLimit;
  }
  set defaultLimit(limit: number) {
    this.state.defaultLimit = limit;
  }

  /** How POST /admin/v1/bulk answers: every test of the bulk path runs under each. */
  get bulkAnswer(): BulkAnswer {
    return this.state.bulkAnswer;
  }
  set bulkAnswer(answer: BulkAnswer) {
    this.state.bulkAnswer = answer;
  }

  /** Now, on this Duo's clock. */
  /** Sets this Duo's clock (a simulation's days): users' `created` and the Date header follow it. */
  setClock(at: number): void {
    this.state.clockOffsetMs = at - Date.now();
  }

  now(): number {
    return this.state.now();
  }

  /** The id counter: a write's log entry keeps it, so a replay draws the same ids. */
  get idCounter(): number {
    return this.state.nextId;
  }

  /** Adds a user directly, as an earlier sync or admin would have. */
  seed(fields: Partial<SimulatedUser> & { username: string }, aliases: string[] = []): SimulatedUser {
    return seedUser(this.state, fields, aliases);
  }

  /**
   * The tenant a `tenant export` snapshot describes: its users (ids, names, fields, status, sync date),
   * their phones and memberships, and its groups and Trash period. Ids are kept, so the
   * snapshot's user_ids, phone_ids and group_ids are the simulator's.
   */
  seedSnapshot(snapshot: TenantSnapshot): void {
    const state = this.state;
    const idNumber = (id: string): number => Number(/^D[UGPH](\d{18})$/.exec(id)?.[1] ?? 0);
    for (const token of snapshot.tokens ?? []) state.tokens.set(token.token_id, { ...token, totp_step: null, users: [] });
    for (const group of snapshot.groups ?? []) state.groups.set(group.group_id, { group_id: group.group_id, name: group.name, desc: '', status: 'active' });
    for (const user of snapshot.users) {
      for (const group of user.groups) if (!state.groups.has(group.group_id)) state.groups.set(group.group_id, { group_id: group.group_id, name: group.name, desc: '', status: 'active' });
      const seeded = newUser(state, { ...user, username: user.username, phones: [], groups: user.groups.map((g) => g.group_id) } as unknown as Partial<SimulatedUser> & { username: string });
      seeded.user_id = user.user_id;
      seeded.aliases = { ...user.aliases };
      state.claim(seeded, [seeded.username, ...Object.values(seeded.aliases)]);
      state.users.set(seeded.user_id, seeded);
      for (const p of user.phones) {
        const phone = state.phones.get(p.phone_id) ?? newPhone(state, { number: p.number, extension: p.extension }, p.phone_id);
        attachPhone(seeded, phone);
      }
      for (const t of user.tokens) {
        if (!state.tokens.has(t.token_id)) state.tokens.set(t.token_id, { ...t, totp_step: null, users: [] });
        attachToken(state, seeded, state.tokens.get(t.token_id)!, true);
      }
    }
    if (snapshot.settings?.pending_deletion_days !== undefined) state.settings.pending_deletion_days = snapshot.settings.pending_deletion_days;
    let highest = state.nextId;
    for (const ids of [state.users.keys(), state.groups.keys(), state.phones.keys(), state.tokens.keys()]) for (const id of ids) highest = Math.max(highest, idNumber(id));
    state.nextId = highest + 1;
  }

  /** Adds a group directly, as an admin or a directory sync would have. */
  seedGroup(name: string, desc = ''): SimulatedGroup {
    return seedGroup(this.state, name, desc);
  }

  /** Adds a phone directly, attached to the given users. */
  seedPhone(number: string, userIds: string[] = [], extension = ''): SimulatedPhone {
    return seedPhone(this.state, number, userIds, extension);
  }

  /** Adds a hardware token directly (as an admin's token import would), attached to the given users. */
  seedToken(type: string, serial: string, userIds: string[] = []): SimulatedToken {
    return seedToken(this.state, type, serial, userIds);
  }

  /** The hardware tokens attached to a user. */
  tokensOf(userId: string): SimulatedToken[] {
    return this.state.tokensOf(userId);
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
    if (write.nextId !== undefined) this.state.nextId = write.nextId;
    this.handle(write.method, write.path, write.params);
  }

  /** Answers one request (its parameters decoded); throws a Refusal where Duo would refuse. */
  handle(method: string, path: string, params: Params): Answer {
    for (const route of ROUTES) {
      const ids = route.method === method ? route.path.exec(path) : null;
      if (ids === null) continue;
      return route.answer({ state: this.state, params, id: ids[1] ?? '', sub: ids[2] ?? '', handle: this.route });
    }
    // Not "Resource not found": a rehearsal must never take an endpoint this model lacks for an object Duo lacks.
    throw new Refusal(501, 50100, `Not modelled: the duo-bridge simulator does not serve ${method} ${path} (Duo may); see "duo-bridge simulator --help"`);
  }
}
