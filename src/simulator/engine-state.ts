import { nameKey } from '../names.js';
import { lengthOver, MAX_NAME_LENGTH } from '../name-rules.js';

// What this model of Duo believes, confirmed and assumed, with sources and confidence: ./assumptions.ts.

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

/** Duo refusing a request: HTTP status, Duo's code, message and detail. */
export class Refusal extends Error {
  constructor(readonly status: number, readonly code: number, message: string, readonly detail?: string) {
    super(message);
  }
}

/** The statuses a user may be given (Duo's Trash status is set by bulk_send_to_trash only). */
export const STATUSES = new Set(['active', 'bypass', 'disabled']);

/**
 * The tenant the engine holds, shared by the endpoints of every resource (./users-engine.ts,
 * ./groups-engine.ts, ./phones-engine.ts, ./tokens-engine.ts, ./bulk-engine.ts): the objects, the
 * indexes that keep Duo's rules (one namespace of names, one phone per number), the id counter and
 * the clock, and how this Duo answers where tests vary it.
 */
export class EngineState {
  readonly users = new Map<string, SimulatedUser>();
  readonly groups = new Map<string, SimulatedGroup>();
  readonly phones = new Map<string, SimulatedPhone>();
  /** Phone ids by "number extension". */
  readonly phoneIndex = new Map<string, string>();
  readonly tokens = new Map<string, SimulatedToken>();
  /** Token ids by user id, in the order attached. */
  readonly tokensOfUser = new Map<string, string[]>();
  /** User ids by each name they hold (username and aliases), by nameKey: one namespace. */
  readonly names = new Map<string, string>();
  /** Enrollment emails sent: username and address, in order. */
  readonly enrollments: { username: string; email: string }[] = [];
  /** The tenant's settings, as GET /admin/v1/settings answers them. */
  readonly settings: Record<string, unknown> = { pending_deletion_days: 7 };
  /** Users per page when a listing names no limit (Duo: 100). */
  defaultLimit = 100;
  /** How POST /admin/v1/bulk answers: every test of the bulk path runs under each. */
  bulkAnswer: BulkAnswer = 'results';
  /** The number in the next id drawn, whatever its kind. */
  nextId = 1;

  /** @param clockOffsetMs Duo's clock minus this machine's: users' `created` follows it. */
  constructor(public clockOffsetMs = 0) {}

  /** Now, on this Duo's clock. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** A new id: DU a user, DG a group, DP a phone, DH a hardware token. */
  newId(prefix: 'DU' | 'DG' | 'DP' | 'DH'): string {
    return `${prefix}${String(this.nextId++).padStart(18, '0')}`;
  }

  user(id: string): SimulatedUser {
    return found(this.users.get(id), 'user_id');
  }

  group(id: string): SimulatedGroup {
    return found(this.groups.get(id), 'group_id');
  }

  phone(id: string): SimulatedPhone {
    return found(this.phones.get(id), 'phone_id');
  }

  token(id: string): SimulatedToken {
    return found(this.tokens.get(id), 'token_id');
  }

  /** The hardware tokens attached to a user. */
  tokensOf(userId: string): SimulatedToken[] {
    return (this.tokensOfUser.get(userId) ?? []).map((id) => this.tokens.get(id)!);
  }

  /** Gives the user these names; refused, changing nothing, when another user holds one. */
  claim(user: SimulatedUser, names: string[]): void {
    for (const name of names) {
      // The name limit duo-bridge holds itself to (an assumption, ./assumptions.ts).
      if (lengthOver(name, MAX_NAME_LENGTH) !== null) throw new Refusal(400, 40002, 'Invalid request parameters', `names are at most ${MAX_NAME_LENGTH} characters`);
      const owner = this.names.get(nameKey(name));
      if (owner !== undefined && owner !== user.user_id) throw new Refusal(400, 40002, `'${name}' is already in use`, 'username');
    }
    for (const name of names) this.names.set(nameKey(name), user.user_id);
  }

  /** Frees every name the user holds. */
  release(user: SimulatedUser): void {
    for (const name of [user.username, ...Object.values(user.aliases)]) this.names.delete(nameKey(name));
  }
}

/** The phone or token, when the user holds it; Duo answers 404 otherwise. */
export function heldBy<T extends { users: string[] }>(item: T | undefined, user: SimulatedUser, field: string): T {
  if (!item || !item.users.includes(user.user_id)) throw new Refusal(404, 40401, 'Resource not found', field);
  return item;
}

function found<T>(item: T | undefined, field: string): T {
  if (item === undefined) throw new Refusal(404, 40401, 'Resource not found', field);
  return item;
}
