import { once } from 'node:events';
import { constants } from 'node:fs';
import { lstat, open, realpath, rename, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve, win32 } from 'node:path';
import { createHash } from 'node:crypto';
import { lazyValidator } from '../../lazy-validator.js';
import { writeFileAtomically } from '../../atomic-file.js';
import { UsageError } from '../../errors.js';
import { describeFsError } from '../../input-file.js';
import { INSTANT, kindOf, readRegularFile, syncAjv } from './sync-files.js';

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
/** Runs this recent are kept whatever their number: the safeguards sum a week of runs (WINDOW_DAYS), and the fast lane may run every minute. */
const KEPT_MS = 8 * 86_400_000;

export function emptyState(host: string): SyncState {
  return { version: STATE_VERSION, host, source: null, users: {}, groups: {}, blocked: null, ad_users: null, last_journal: null, runs: [] };
}

/**
 * Where the state lives unless --state names a file: one file per tenant × source, under the
 * user's state directory (XDG_STATE_HOME, else ~/.local/state). On Windows it is the machine's
 * %ProgramData%\duo-bridge, where the MSI's Task Scheduler task runs (issue 31): a scheduled sync
 * runs as a service account, and the admins who look at its state and journals are other users.
 */
export function defaultStatePath(env: NodeJS.ProcessEnv, host: string, source: StateSource, platform: NodeJS.Platform = process.platform): string {
  const name = stateFileName(host, source);
  if (platform === 'win32') return win32.join(windowsVariable(env, 'ProgramData') ?? windowsVariable(env, 'ALLUSERSPROFILE') ?? 'C:\\ProgramData', 'duo-bridge', name);
  return join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'duo-bridge', name);
}

/** What the default state file's name is made of: the tenant and the source. */
export interface StateSource {
  readonly base: string;
  readonly filter: string;
  readonly usernameAttribute: string;
  readonly ldif: boolean;
}

function stateFileName(host: string, source: StateSource): string {
  const id = createHash('sha256').update(JSON.stringify([source.ldif ? 'ldif' : 'ldap', source.base.toLowerCase(), source.filter, source.usernameAttribute.toLowerCase()])).digest('hex').slice(0, 10);
  return `sync-${host.split('.')[0]}-${id}.state.json`;
}

/**
 * Before the Windows executables (issue 31) the default state on Windows was the user's
 * %LOCALAPPDATA%\duo-bridge. Found there and not at the default, a run refuses: started from no
 * state, every user it managed would be a stranger again (adoptions, conflicts, holds).
 */
export async function refuseEarlierDefaultState(env: NodeJS.ProcessEnv, host: string, source: StateSource, platform: NodeJS.Platform = process.platform,
  exists: (path: string) => Promise<boolean> = fileExists): Promise<void> {
  if (platform !== 'win32') return;
  const current = defaultStatePath(env, host, source, platform);
  const earlier = win32.join(windowsVariable(env, 'LOCALAPPDATA') ?? win32.join(homedir(), 'AppData', 'Local'), 'duo-bridge', stateFileName(host, source));
  if (await exists(current) || !(await exists(earlier))) return;
  throw new UsageError('STATE_MOVED', `the sync state of this tenant and source is at ${earlier}, where earlier builds kept it: move that folder's files to ${win32.dirname(current)} (where the scheduled task looks), or pass --state ${earlier}`);
}

async function fileExists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** Windows' environment names are case-insensitive; a copy of process.env is not. */
function windowsVariable(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const key = Object.keys(env).find((k) => k.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? undefined : env[key];
  return value === undefined || value === '' ? undefined : value;
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
 *
 * The state is an input like any other: only a regular file is read (a pipe, directory or device is
 * a UsageError, exit 2, never a hang), a BOM is stripped, and every field is checked against a
 * schema (times must be real ISO date-times). Its `last_journal` is the one path in it the sync
 * opens for writing (an interrupted run's journal is appended to), so it must name a journal in
 * this state's own runs folder (see isInsideRunsFolder) that is a sync journal of this host, or no
 * file yet; anything else makes the state unreadable: a state naming another file never gets
 * that file truncated or appended to. `<state>.runs` in the way as a file is refused here too
 * (checkRunsFolder), before anything is read from Duo.
 */
export async function loadSyncState(path: string, host: string, options: { setAside: boolean } = { setAside: true }): Promise<LoadedState> {
  const text = await readRegularFile(path, 'sync state');
  if (text === null) {
    await checkRunsFolder(path);
    return { status: 'new', state: emptyState(host) };
  }
  await checkRunsFolder(path);
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
    const state = withAbsoluteJournal(data as SyncState, path);
    if (state.host !== host) {
      throw new UsageError('STATE_MISMATCH', `sync state ${path} belongs to Duo host ${state.host}, not ${host}: use another --state (one file per tenant and source)`);
    }
    problem = await lastJournalProblem(path, state);
    if (problem === null) return { status: 'ok', state };
  }
  if (!options.setAside) return { status: 'unreadable', state: emptyState(host), problem, setAside: '(left in place: a plan changes nothing)' };
  const setAside = `${path}.unreadable-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  await rename(path, setAside).catch((error: unknown) => {
    throw new UsageError('STATE_UNREADABLE', `sync state ${path}: ${describeFsError(error)}`, { cause: error });
  });
  return { status: 'unreadable', state: emptyState(host), problem, setAside };
}

/**
 * A state written by a run given a relative --state names its last journal relative to that run's
 * folder ("corp.state.runs/….jsonl"). The journal is always directly in the runs folder, so such a
 * name is read as that file of this state's runs folder: the state is the same from any folder.
 * Any other relative name is left as it is (and checked as it is).
 */
function withAbsoluteJournal(state: SyncState, statePath: string): SyncState {
  const last = state.last_journal;
  if (last === null) return state;
  const folder = resolve(runsFolderOf(statePath));
  const fix = (p: string): string => (!isAbsolute(p) && !win32.isAbsolute(p) && !p.split(/[\\/]/).includes('..') && basename(dirname(p)) === basename(folder) ? join(folder, basename(p)) : p);
  return { ...state, last_journal: { ...last, path: fix(last.path), plan: fix(last.plan) } };
}

/**
 * The folder beside the state where each applying run writes its plan, journal and held file:
 * `<state path without .json>.runs` (as run-sync builds it; not resolved). Call it wherever that
 * folder is named, so the writer and the checks agree.
 */
export function runsFolderOf(statePath: string): string {
  return `${statePath.replace(/\.json$/, '')}.runs`;
}

/**
 * Whether `path` names a file directly inside the runs folder of the state at `statePath`, by its
 * text alone: both resolved against the working directory, no `..` segment anywhere in `path`, and
 * its parent is the runs folder itself (the sync writes nothing deeper). Pure, no I/O: a link in
 * that place (the other half of a symlink escape) is refused where the file is opened
 * (loadSyncState, rebuildState open such files with O_NOFOLLOW).
 */
export function isInsideRunsFolder(statePath: string, path: string): boolean {
  if (path === '' || path.split(/[\\/]/).includes('..')) return false;
  const folder = resolve(runsFolderOf(statePath));
  const file = resolve(path);
  const same = (a: string, b: string): boolean => (process.platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b);
  return basename(file) !== '' && same(dirname(file), folder);
}

/**
 * Checked before a run reads or writes anything: `<state>.runs` (runsFolderOf) must be a folder or
 * not exist yet. A file (or pipe, device) in its place is a UsageError (exit 2) naming it; so is a
 * folder that cannot be looked at. Resolves when all is well.
 */
export async function checkRunsFolder(statePath: string): Promise<void> {
  const folder = runsFolderOf(statePath);
  let info;
  try {
    info = await stat(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new UsageError('STATE_UNREADABLE', `sync runs folder ${folder}: ${describeFsError(error)}`, { cause: error });
  }
  if (!info.isDirectory()) {
    throw new UsageError('STATE_UNREADABLE', `sync runs folder ${folder}: is ${kindOf(info)}, not a folder; move it away (the sync keeps each run's plan and journal there)`);
  }
}

/** The start of every sync journal's first line, as JSON.stringify writes the start record. */
const JOURNAL_HEAD = '{"t":"start","kind":"sync",';

/**
 * Why the state's last_journal cannot be trusted, or null. A run that stopped part-way has its
 * journal appended to by the next run: so it must be a file this sync wrote (in the runs folder,
 * not a link, a regular file that starts as a sync journal of this host) or not exist yet (killed
 * before its first write). The plan beside it is only read, but a pipe there would hang the run.
 */
async function lastJournalProblem(statePath: string, state: SyncState): Promise<string | null> {
  const last = state.last_journal;
  if (last === null) return null;
  for (const [field, path, suffix] of [['path', last.path, '.jsonl'], ['plan', last.plan, '.plan.json']] as const) {
    if (!path.endsWith(suffix) || !(isInsideRunsFolder(statePath, path) || (await sameFolderByRealPath(statePath, path)))) {
      return `/last_journal/${field} ${JSON.stringify(path)} is not a ${suffix} file in this state's runs folder ${runsFolderOf(statePath)}`;
    }
    const info = await lstat(path).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : error));
    if (info instanceof Error) return `/last_journal/${field} ${path}: ${describeFsError(info)}`;
    if (info !== null && !info.isFile()) return `/last_journal/${field} ${path} is ${kindOf(info)}, not a file the sync wrote`;
  }
  const head = await firstBytes(last.path, 65536).catch((error: unknown) => error as Error);
  if (head instanceof Error) return `/last_journal/path ${last.path}: ${describeFsError(head)}`;
  if (head === null || head === '') return null;
  const newline = head.indexOf('\n');
  if (newline === -1) {
    // Torn inside its first line (a crash during the first append): only a sync journal's own start.
    return JOURNAL_HEAD.startsWith(head) || head.startsWith(JOURNAL_HEAD) ? null : `/last_journal/path ${last.path} is not a sync journal`;
  }
  let start: unknown;
  try {
    start = JSON.parse(head.slice(0, newline));
  } catch {
    start = null;
  }
  const record = start as { t?: unknown; kind?: unknown; host?: unknown } | null;
  if (record === null || typeof record !== 'object' || record.t !== 'start' || record.kind !== 'sync') return `/last_journal/path ${last.path} is not a sync journal`;
  if (record.host !== state.host) return `/last_journal/path ${last.path} is the journal of a run against Duo host ${String(record.host)}, not ${state.host}`;
  return null;
}

/**
 * The same runs folder reached by another spelling (the state's folder through a link one day, by
 * its real path the next): the real paths of the two folders agree. Still no `..`, still directly
 * in the folder; the file itself is checked for being a link apart.
 */
async function sameFolderByRealPath(statePath: string, path: string): Promise<boolean> {
  if (path.split(/[\\/]/).includes('..')) return false;
  const [a, b] = await Promise.all([realpath(dirname(path)).catch(() => null), realpath(runsFolderOf(statePath)).catch(() => null)]);
  return a !== null && a === b;
}

/** Up to `limit` bytes from the start of a regular file (never through a link); null: no file. */
async function firstBytes(path: string, limit: number): Promise<string | null> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    if (!(await handle.stat()).isFile()) throw new Error('not a regular file');
    const buffer = Buffer.alloc(limit);
    const { bytesRead } = await handle.read(buffer, 0, limit, 0);
    return buffer.toString('utf8', 0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The last KEPT_RUNS runs, and every run of the last KEPT_MS before the newest. */
function keptRuns(runs: readonly RunSummary[]): readonly RunSummary[] {
  const newest = runs.reduce((max, r) => Math.max(max, Date.parse(r.at) || 0), 0);
  return runs.filter((r, i) => i >= runs.length - KEPT_RUNS || (Date.parse(r.at) || 0) >= newest - KEPT_MS);
}

/**
 * Written to a temp file, synced, renamed: a crash leaves the old state or the new one. One user a
 * line, streamed: a 100,000-user state is never one string in memory.
 */
export async function saveSyncState(path: string, state: SyncState): Promise<void> {
  const { users, ...rest } = { ...state, runs: keptRuns(state.runs) };
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

const text = { type: 'string' } as const;
const iso = INSTANT;
const count = { type: 'integer', minimum: 0 } as const;
const names = { type: 'object', propertyNames: { pattern: '^alias[1-8]$' }, additionalProperties: text } as const;
/**
 * Every field is typed and every object closed (additionalProperties: false), so no value can nest
 * deeper than the schema itself: a state's depth is bounded, and nothing downstream (a stringify,
 * a digest) meets an arbitrarily deep structure.
 */
const validateState = lazyValidator(() => syncAjv().compile({
  type: 'object',
  required: ['version', 'host', 'source', 'users', 'groups', 'blocked', 'ad_users', 'last_journal', 'runs'],
  properties: {
    version: { const: STATE_VERSION },
    host: { type: 'string', minLength: 1 },
    source: { anyOf: [{ type: 'null' }, { type: 'object', required: ['domain', 'base', 'filter'], properties: { domain: text, base: text, filter: text }, additionalProperties: false }] },
    users: {
      type: 'object',
      propertyNames: { minLength: 1 },
      additionalProperties: {
        type: 'object',
        required: ['user_id', 'origin', 'applied'],
        properties: {
          user_id: { type: 'string', minLength: 1 },
          origin: { enum: ['created', 'adopted'] },
          applied: {
            type: 'object',
            required: ['username', 'aliases', 'realname', 'firstname', 'lastname', 'email', 'status', 'groups'],
            properties: {
              username: text, aliases: names, realname: text, firstname: text, lastname: text, email: text, status: text,
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
          held: { type: 'array', items: { type: 'object', required: ['kind', 'guid', 'user_id', 'username', 'detail'], properties: { kind: { type: 'string', pattern: '^[a-z_]+$' }, guid: text, user_id: { type: ['string', 'null'] }, username: text, detail: text }, additionalProperties: false } },
        },
        additionalProperties: false,
      }],
    },
    ad_users: { type: ['integer', 'null'], minimum: 0 },
    last_journal: { anyOf: [{ type: 'null' }, { type: 'object', required: ['path', 'plan', 'finished'], properties: { path: text, plan: text, finished: { type: 'boolean' } }, additionalProperties: false }] },
    runs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['at', 'plan_id', 'mode', 'exit', 'counts', 'held'],
        properties: {
          at: iso, plan_id: text, mode: { const: 'apply' }, exit: { type: 'integer', minimum: 0, maximum: 255 },
          counts: { type: 'object', propertyNames: { pattern: '^[a-z_]+$' }, additionalProperties: count }, held: count,
          approved: { type: ['string', 'null'] },
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
}));
