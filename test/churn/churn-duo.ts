import { DuoClient } from '../../src/duo/api/client.js';
import { nameKey } from '../../src/names.js';
import { DuoEngine } from '../../src/simulator/duo-engine.js';
import { Refusal } from '../../src/simulator/engine-state.js';

/*
 * The churn simulation's Duo: the simulator's engine (src/simulator/duo-engine.ts), reached by
 * duo-bridge's own DuoClient through an in-process `fetch` — no HTTP, no signatures, no sockets —
 * so a simulated day costs milliseconds. The fetch is where the test's faults live:
 *   - a kill at the k-th write (before Duo applies it, or after, its answer lost): the call never
 *     answers, every later call of that client neither, and the run is abandoned as a SIGKILL
 *     would leave it (its lock files are then taken over, as a dead process's are);
 *   - an incomplete listing: GET /admin/v1/users leaves some users out while `total_objects`
 *     still counts them (a test-only hook: Duo can answer so when users change between pages).
 */

export const DUO_HOST = '127.0.0.1:8443';
const BASE_URL = new URL(`http://${DUO_HOST}`);
const LIST_PARAMS = new Set(['username_list', 'user_id_list']);

/** Who is writing to Duo: a sync run, a rollback, or the admin by hand. */
export type Actor = { kind: 'sync'; run: number } | { kind: 'rollback'; run: number } | { kind: 'admin' };

export interface KillAt {
  readonly k: number;
  readonly point: 'before' | 'after';
}

/** One user as the invariants compare it. */
export interface UserView {
  readonly user_id: string;
  readonly username: string;
  /** Alias values, lower-cased, sorted, joined with a space. */
  readonly aliases: string;
  readonly realname: string;
  readonly firstname: string;
  readonly lastname: string;
  readonly email: string;
  readonly status: string;
  /** Group names, sorted, joined with a comma. */
  readonly groups: string;
  readonly external_id: string;
}

export type Snapshot = ReadonlyMap<string, UserView>;

/** The run was killed: thrown from inside the dead client, never caught by duo-bridge. */
export class KilledError extends Error {
  override readonly name = 'KilledError';
}

export const VIEW_FIELDS = ['username', 'aliases', 'realname', 'firstname', 'lastname', 'email', 'status', 'groups'] as const;
export type ViewField = (typeof VIEW_FIELDS)[number];

export class ChurnDuo {
  readonly engine = new DuoEngine();
  /** User ids the next full listings leave out (total_objects still counts them). */
  hidden = new Set<string>();
  /** Every request that reached the engine: who sent it. */
  readonly requests: { actor: Actor; method: string; path: string; body: string }[] = [];

  /**
   * A client for one run: `kill` stops it at its k-th write, as SIGKILL would. The write's intent
   * is journaled already; 'after': Duo applied it. Then the client dies: the answer it reads, and
   * every later use of its clock, throw KilledError, which no layer of duo-bridge catches (it is
   * neither Duo's refusal nor a transport failure), so the run unwinds without another journal
   * record or state write. Its `finally` blocks close the journal and release the locks, which a
   * killed process leaves for the next run to take over: the same files either way.
   */
  client(actor: Actor, kill: KillAt | null = null, onKill: () => void = () => undefined): DuoClient {
    let writes = 0;
    let dead = false;
    const fetchInProcess = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      if (dead) throw new KilledError();
      const url = new URL(String(input instanceof Request ? input.url : input));
      const method = (init?.method ?? 'GET').toUpperCase();
      const body = typeof init?.body === 'string' ? init.body : '';
      if (method !== 'GET' && kill !== null && ++writes === kill.k) {
        if (kill.point === 'after') this.answer(actor, method, url, body);
        dead = true;
        onKill();
        // Read by DuoClient outside its transport catch: the error reaches the run as it is.
        return { status: 200, ok: true, headers: { get: () => { throw new KilledError(); } } } as unknown as Response;
      }
      return this.answer(actor, method, url, body);
    };
    return new DuoClient({
      credentials: { baseUrl: BASE_URL, ikey: 'DIFAKEINTEGRATIONKEY', skey: 'fake-secret-key-0123456789abcdefghijklmn' },
      ratePerMinute: 100_000_000,
      timeoutMs: 5000,
      fetch: fetchInProcess as typeof fetch,
      now: () => {
        if (dead) throw new KilledError();
        return Date.now();
      },
    });
  }

  private answer(actor: Actor, method: string, url: URL, body: string): Response {
    const path = url.pathname;
    this.requests.push({ actor, method, path, body });
    const json = (status: number, payload: unknown): Response =>
      new Response(JSON.stringify(payload), { status, headers: { 'Content-Type': 'application/json', Date: new Date(this.engine.now()).toUTCString() } });
    try {
      const params = method === 'POST' ? postParams(body) : Object.fromEntries(url.searchParams);
      const result = this.engine.handle(method, path, params);
      if (method === 'GET' && path === '/admin/v1/users' && this.hidden.size > 0 && !['username_list', 'user_id_list', 'username', 'email'].some((k) => k in params)) {
        const listed = (result.response as { user_id: string }[]).filter((u) => !this.hidden.has(u.user_id));
        return json(200, { stat: 'OK', ...result, response: listed });
      }
      return json(200, { stat: 'OK', ...result });
    } catch (error) {
      if (error instanceof Refusal) return json(error.status, { stat: 'FAIL', code: error.code, message: error.message, ...(error.detail ? { message_detail: error.detail } : {}) });
      return json(500, { stat: 'FAIL', code: 50000, message: `simulator bug: ${(error as Error).message}` });
    }
  }

  /** The admin, by hand in the Admin Panel: one modify of one user. */
  adminModify(userId: string, params: Record<string, string>): void {
    this.requests.push({ actor: { kind: 'admin' }, method: 'POST', path: `/admin/v1/users/${userId}`, body: JSON.stringify(params) });
    this.engine.handle('POST', `/admin/v1/users/${userId}`, params);
  }

  /** The admin creates a user by hand (or a directory sync left one): null when Duo refuses (name taken). */
  adminCreate(fields: { username: string; email?: string; realname?: string; external_id?: string }): string | null {
    try {
      const user = this.engine.seed({ ...fields });
      this.requests.push({ actor: { kind: 'admin' }, method: 'POST', path: '/admin/v1/users', body: JSON.stringify(fields) });
      return user.user_id;
    } catch (error) {
      if (error instanceof Refusal) return null;
      throw error;
    }
  }

  snapshot(): Snapshot {
    const views = new Map<string, UserView>();
    for (const u of this.engine.users.values()) {
      views.set(u.user_id, {
        user_id: u.user_id, username: u.username, aliases: Object.values(u.aliases).map(nameKey).sort().join(' '),
        realname: u.realname ?? '', firstname: u.firstname ?? '', lastname: u.lastname ?? '', email: u.email ?? '', status: u.status,
        groups: this.engine.groupNamesOf(u).join(','), external_id: u.external_id ?? '',
      });
    }
    return views;
  }
}

/** A POST body as the simulator reads it: JSON, lists as JSON strings. */
function postParams(body: string): Record<string, string> {
  if (body === '') return {};
  const parsed = JSON.parse(body) as Record<string, unknown>;
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === 'string') params[key] = value;
    else if (Array.isArray(value) && (LIST_PARAMS.has(key) || key === 'operations')) params[key] = JSON.stringify(value);
    else throw new Refusal(400, 40002, 'Invalid request parameters', 'values must be strings');
  }
  return params;
}

/** One change a step made to one user. */
export interface Change {
  readonly user_id: string;
  readonly field: ViewField | 'created' | 'vanished';
  readonly from: string;
  readonly to: string;
}

export function diff(before: Snapshot, after: Snapshot): Change[] {
  const changes: Change[] = [];
  for (const [id, a] of after) {
    const b = before.get(id);
    if (b === undefined) {
      changes.push({ user_id: id, field: 'created', from: '', to: a.username });
      continue;
    }
    for (const f of VIEW_FIELDS) if (a[f] !== b[f]) changes.push({ user_id: id, field: f, from: b[f], to: a[f] });
  }
  for (const [id, b] of before) if (!after.has(id)) changes.push({ user_id: id, field: 'vanished', from: b.username, to: '' });
  return changes;
}

export const TRASHED = 'pending deletion';

/** What takes access or names away, keyed as held actions are: disable:ID, trash:ID, remove:ID:group, rename:ID. */
export function destructiveKeys(changes: readonly Change[]): string[] {
  const keys: string[] = [];
  for (const c of changes) {
    if (c.field === 'status' && c.to === 'disabled' && c.from !== TRASHED) keys.push(`disable:${c.user_id}`);
    if (c.field === 'status' && c.to === TRASHED) keys.push(`trash:${c.user_id}`);
    if (c.field === 'username' || c.field === 'aliases') keys.push(`rename:${c.user_id}`);
    if (c.field === 'groups') {
      const now = new Set(c.to.split(',').filter(Boolean).map(nameKey));
      for (const g of c.from.split(',').filter(Boolean)) if (!now.has(nameKey(g))) keys.push(`remove:${c.user_id}:${nameKey(g)}`);
    }
    if (c.field === 'vanished') keys.push(`delete:${c.user_id}`);
  }
  return [...new Set(keys)];
}
