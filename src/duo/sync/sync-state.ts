import { once } from 'node:events';
import { readFile, rename } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Ajv } from 'ajv';
import { lazyValidator } from '../../lazy-validator.js';
import { writeFileAtomically } from '../../atomic-file.js';
import { UsageError } from '../../errors.js';
import { describeFsError } from '../../input-file.js';

/** What the directory side of a sync is: a different one is never a reason to deprovision. */
export interface SourceIdentity {
  /** The DC= suffix of the users' DNs, lower-cased: the AD domain. */
  readonly domain: string;
  /** The LDAP search base ('' for an LDIF dump). */
  readonly base: string;
  /** The LDAP filter the users were selected with. */
  readonly filter: string;
}

/** The values a sync last wrote to (or adopted from) a Duo user: what drift is measured against. */
export interface AppliedValues {
  readonly username: string;
  /** alias1..alias8, only the ones set. */
  readonly aliases: Readonly<Record<string, string>>;
  readonly realname: string;
  readonly firstname: string;
  readonly lastname: string;
  readonly email: string;
  readonly status: string;
  /** The mapped Duo groups it is a member of, lower-cased names, sorted. */
  readonly groups: readonly string[];
}

/** One AD user that this sync manages, by objectGUID. */
export interface ManagedUser {
  readonly user_id: string;
  /** created: a sync created it · adopted: it existed and `sync --adopt` took it over. */
  readonly origin: 'created' | 'adopted';
  readonly applied: AppliedValues;
  /** ISO times of the deprovisioning ladder; absent when not on it. */
  readonly missing_since?: string;
  /** The sync disabled it (AD disabled it, or it left AD): only then does a sync enable it again. */
  readonly disabled_by_sync?: string;
  readonly trashed_by_sync?: string;
}

/** One destructive action a safeguard held, as the state keeps it until approved. */
export interface HeldAction {
  readonly kind: string;
  readonly guid: string;
  readonly user_id: string | null;
  readonly username: string;
  readonly detail: string;
}

export interface RunSummary {
  readonly at: string;
  readonly plan_id: string;
  readonly mode: 'apply';
  readonly exit: number;
  readonly counts: Readonly<Record<string, number>>;
  readonly held: number;
  /** The held set an approval released in this run: its counts were reviewed, so the rolling window leaves them out. */
  readonly approved?: string | null;
}

export interface SyncState {
  readonly version: 1;
  readonly host: string;
  readonly source: SourceIdentity | null;
  readonly users: Readonly<Record<string, ManagedUser>>;
  /** The Duo groups the config maps, by lower-cased name: their group_id when known. */
  readonly groups: Readonly<Record<string, string>>;
  /** Set when a safeguard held destructive actions: later runs hold them too until approved. */
  readonly blocked: { readonly plan_id: string; readonly since: string; readonly reasons: readonly string[]; readonly held: readonly HeldAction[] } | null;
  /** How many AD users the last complete read held (what a shrink is measured against). */
  readonly ad_users: number | null;
  /** The journal of the last run that wrote to Duo, and whether it finished. */
  readonly last_journal: { readonly path: string; readonly plan: string; readonly finished: boolean } | null;
  readonly runs: readonly RunSummary[];
}

export const STATE_VERSION = 1;
const KEPT_RUNS = 30;

export function emptyState(host: string): SyncState {
  return { version: STATE_VERSION, host, source: null, users: {}, groups: {}, blocked: null, ad_users: null, last_journal: null, runs: [] };
}

/**
 * Where the state lives unless --state names a file: one file per tenant × source, under the
 * user's state directory (XDG_STATE_HOME, else ~/.local/state; %LOCALAPPDATA% on Windows).
 */
export function defaultStatePath(env: NodeJS.ProcessEnv, host: string, source: { base: string; filter: string; usernameAttribute: string; ldif: boolean }): string {
  const root = process.platform === 'win32'
    ? join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'duo-bridge')
    : join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'duo-bridge');
  const id = createHash('sha256').update(JSON.stringify([source.ldif ? 'ldif' : 'ldap', source.base.toLowerCase(), source.filter, source.usernameAttribute.toLowerCase()])).digest('hex').slice(0, 10);
  return join(root, `sync-${host.split('.')[0]}-${id}.state.json`);
}

export type LoadedState =
  | { readonly status: 'ok'; readonly state: SyncState }
  /** No file: a first run. */
  | { readonly status: 'new'; readonly state: SyncState }
  /** A file that is not a state (damaged, another version): set aside; the run behaves as a first one. */
  | { readonly status: 'unreadable'; readonly state: SyncState; readonly problem: string; readonly setAside: string };

/**
 * Reads the state. A missing or unreadable file is never a license to deprovision: the run starts
 * from an empty state, which manages nobody until users are adopted again. An unreadable file is
 * kept beside it (renamed; left in place by a run that only plans), never overwritten. A state of
 * another Duo host is refused.
 */
export async function loadSyncState(path: string, host: string, options: { setAside: boolean } = { setAside: true }): Promise<LoadedState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'new', state: emptyState(host) };
    throw new UsageError('STATE_UNREADABLE', `sync state ${path}: ${describeFsError(error)}`, { cause: error });
  }
  let data: unknown = null;
  let problem: string | null = null;
  try {
    data = JSON.parse(text);
  } catch {
    problem = 'not JSON';
  }
  if (problem === null && !validateState(data)) {
    const first = validateState.errors?.[0];
    problem = first ? `${first.instancePath || 'the file'} ${first.message}` : 'not a sync state';
  }
  if (problem === null) {
    const state = data as SyncState;
    if (state.host !== host) {
      throw new UsageError('STATE_MISMATCH', `sync state ${path} belongs to Duo host ${state.host}, not ${host}: use another --state (one file per tenant and source)`);
    }
    return { status: 'ok', state };
  }
  if (!options.setAside) return { status: 'unreadable', state: emptyState(host), problem, setAside: '(left in place: a plan changes nothing)' };
  const setAside = `${path}.unreadable-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  await rename(path, setAside).catch((error: unknown) => {
    throw new UsageError('STATE_UNREADABLE', `sync state ${path}: ${describeFsError(error)}`, { cause: error });
  });
  return { status: 'unreadable', state: emptyState(host), problem, setAside };
}

/**
 * Written to a temp file, synced, renamed: a crash leaves the old state or the new one. One user a
 * line, streamed: a 100,000-user state is never one string in memory.
 */
export async function saveSyncState(path: string, state: SyncState): Promise<void> {
  const { users, ...rest } = { ...state, runs: state.runs.slice(-KEPT_RUNS) };
  await writeFileAtomically(path, async (out) => {
    const write = async (text: string): Promise<void> => {
      if (!out.write(text)) await once(out, 'drain');
    };
    const head = JSON.stringify(rest);
    await write(`${head.slice(0, -1)},"users":{`);
    let first = true;
    for (const [guid, user] of Object.entries(users)) {
      await write(`${first ? '' : ','}\n${JSON.stringify(guid)}:${JSON.stringify(user)}`);
      first = false;
    }
    await write('\n}}\n');
  });
}

/** A digest of the state, fed one user at a time (what a saved plan was made against). */
export function stateDigest(state: SyncState, leaveOut: readonly (keyof SyncState)[]): string {
  const hash = createHash('sha256');
  const { users, ...rest } = state;
  const kept = Object.fromEntries(Object.entries(rest).filter(([key]) => !leaveOut.includes(key as keyof SyncState)));
  hash.update(JSON.stringify(kept));
  for (const [guid, user] of Object.entries(users)) hash.update(`${guid}\u0000${JSON.stringify(user)}\n`);
  return hash.digest('hex');
}

const text = { type: 'string' };
const iso = { type: 'string' };
const validateState = lazyValidator(() => new Ajv({ allErrors: false, strict: true }).compile({
  type: 'object',
  required: ['version', 'host', 'source', 'users', 'groups', 'blocked', 'ad_users', 'last_journal', 'runs'],
  properties: {
    version: { const: STATE_VERSION },
    host: text,
    source: { anyOf: [{ type: 'null' }, { type: 'object', required: ['domain', 'base', 'filter'], properties: { domain: text, base: text, filter: text }, additionalProperties: false }] },
    users: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['user_id', 'origin', 'applied'],
        properties: {
          user_id: text,
          origin: { enum: ['created', 'adopted'] },
          applied: {
            type: 'object',
            required: ['username', 'aliases', 'realname', 'firstname', 'lastname', 'email', 'status', 'groups'],
            properties: {
              username: text, aliases: { type: 'object', additionalProperties: text }, realname: text, firstname: text, lastname: text, email: text, status: text,
              groups: { type: 'array', items: text },
            },
            additionalProperties: false,
          },
          missing_since: iso, disabled_by_sync: iso, trashed_by_sync: iso,
        },
        additionalProperties: false,
      },
    },
    groups: { type: 'object', additionalProperties: text },
    blocked: {
      anyOf: [{ type: 'null' }, {
        type: 'object', required: ['plan_id', 'since', 'reasons', 'held'],
        properties: {
          plan_id: text, since: iso, reasons: { type: 'array', items: text },
          held: { type: 'array', items: { type: 'object', required: ['kind', 'guid', 'user_id', 'username', 'detail'], properties: { kind: text, guid: text, user_id: { type: ['string', 'null'] }, username: text, detail: text }, additionalProperties: false } },
        },
        additionalProperties: false,
      }],
    },
    ad_users: { type: ['integer', 'null'], minimum: 0 },
    last_journal: { anyOf: [{ type: 'null' }, { type: 'object', required: ['path', 'plan', 'finished'], properties: { path: text, plan: text, finished: { type: 'boolean' } }, additionalProperties: false }] },
    runs: { type: 'array', items: { type: 'object' } },
  },
  additionalProperties: false,
}));
