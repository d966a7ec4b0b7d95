import { createHash } from 'node:crypto';
import { readDirectoryChanges, type ChangedObject, type ChangesRead } from '../../ad/dirsync.js';
import type { DcIdentity, ExpectedDc } from '../../ad/dc-identity.js';
import type { DirectoryOptions } from '../../ad/export-options.js';
import { attributesToRead } from '../../ad/map-user.js';
import { buildUserFilter, filterAttributes } from '../../ad/user-filter.js';
import { UsageError } from '../../errors.js';
import { describeDuration } from '../../option-values.js';
import { changesMarkPath, markMatchesState, readChangesMark, sourceKey, type ChangesMark } from './changes-mark.js';
import { CHANGES_LIMIT } from './read-changes.js';
import { rollbacksSince } from './rolled-back.js';
import type { SyncPlan } from './sync-model.js';
import { runsFolderOf } from './sync-state.js';

/** How this run reads AD: everything, or only what changed since the last run (and why it could not). */
export interface ReadKind {
  readonly kind: 'full' | 'changes';
  /** Why a `--changes-only` run read in full; null on a plain run or an incremental one. */
  readonly why: string | null;
  /** Objects DirSync named (incremental runs). */
  readonly changed?: number;
}

/** What `sync --changes-only` starts from, before the state is loaded. */
export type LaneStart =
  /** DirSync named these objects since the mark's cookie (none: a quiet run, which reads nothing else). */
  | { readonly kind: 'changes'; readonly mark: ChangesMark; readonly dc: DcIdentity; readonly cookie: string; readonly changed: readonly ChangedObject[] }
  /** A full read follows, for this reason; `dc`/`cookie` is where the next run resumes (taken before the full read), if DirSync answered. */
  | { readonly kind: 'full'; readonly why: string; readonly dc: DcIdentity | null; readonly cookie: string | null };

/** Reads the changes since a cookie (null: only the cookie of now); `expect`: the DC the cookie came from. DirSync over LDAP, or a test's stand-in. */
export type ChangeReader = (cookie: string | null, expect: ExpectedDc | undefined) => Promise<ChangesRead>;

export interface LaneOptions {
  readonly directory: DirectoryOptions;
  readonly statePath: string;
  readonly host: string;
  readonly now: Date;
  readonly fullReadEveryMs: number;
  /** --approve or --plan: an admin's decision is made on a full read. */
  readonly approving: string | null;
  /** Absent: DirSync against the directory's LDAP source. */
  readonly reader?: ChangeReader | undefined;
}

/**
 * Decides whether this run may read only AD's changes, and reads them. Everything it needs is in
 * the mark beside the state: a quiet run (nothing changed) never loads the state, lists Duo or
 * calls it. Whatever it can't vouch for, a full read settles.
 */
export async function startLane(options: LaneOptions): Promise<LaneStart> {
  const read = options.reader ?? dirSyncReader(options.directory);
  const mark = await readChangesMark(changesMarkPath(options.statePath));
  const why = await whyFullRead(mark, options);
  const changes = await read(why === null ? mark!.cookie : null, why === null ? { host: mark!.dc, invocationId: mark!.invocation_id } : undefined);
  if (why === null && changes.kind === 'changes') return { kind: 'changes', mark: mark!, dc: changes.dc, cookie: changes.cookie, changed: changes.changed };
  if (why !== null) return changes.kind === 'changes' ? { kind: 'full', why, dc: changes.dc, cookie: changes.cookie } : { kind: 'full', why: `${why}; DirSync: ${describe(changes)}`, dc: null, cookie: null };
  // The mark's cookie was refused, or too much changed: the cookie of now, before the full read.
  const fresh = await read(null, undefined);
  return { kind: 'full', why: describe(changes), dc: fresh.dc, cookie: fresh.kind === 'changes' ? fresh.cookie : null };
}

function dirSyncReader(directory: DirectoryOptions): ChangeReader {
  const { source } = directory;
  if (source.kind !== 'ldap') throw new UsageError('BAD_OPTION', '--changes-only reads AD\'s changes through DirSync: it needs an LDAP source (--url), not an LDIF dump');
  return (cookie, expect) => readDirectoryChanges(source, cookie, { attributes: changeAttributes(directory), limit: CHANGES_LIMIT, expect });
}

function describe(read: ChangesRead): string {
  if (read.kind === 'refused') return read.why;
  if (read.kind === 'too-many') return `${read.count} objects changed, more than ${CHANGES_LIMIT}: a full read is cheaper`;
  return 'read';
}

async function whyFullRead(mark: ChangesMark | null, options: LaneOptions): Promise<string | null> {
  const { statePath, host, now } = options;
  if (options.approving !== null) return `${options.approving} is decided on a full read`;
  if (mark === null) return 'no DirSync cookie yet (the first --changes-only run, or the mark beside the state is missing or damaged)';
  if (mark.host !== host) return `the mark beside the state is for Duo host ${mark.host}`;
  if (mark.source_key !== sourceKey(options.directory)) return 'the source, the selection or the mapping changed since the last full read';
  if (mark.full_next !== null) return mark.full_next;
  const last = Date.parse(mark.full_read_at);
  if (!(now.getTime() - last < options.fullReadEveryMs) || last > now.getTime()) return `the last full read was at ${mark.full_read_at} (--full-read-every ${describeDuration(options.fullReadEveryMs)}): deletions and changes made in Duo are found there`;
  if (!(await markMatchesState(mark, statePath))) return 'the state was written since by another run (a plain sync) or by hand';
  if ((await rollbacksSince(statePath, runsFolderOf(statePath), host)).length > 0) return 'a rollback ran since the last run';
  return null;
}

/**
 * What a change must touch for DirSync to name the object: every mapped attribute, the status, the
 * name (a move), the members, and what the admin's filter tests (a change there moves a user in or out).
 */
export function changeAttributes(directory: DirectoryOptions): string[] {
  return [...new Set([...attributesToRead(directory.mapping), 'userAccountControl', 'name', 'member', ...filterAttributes(directory.selection.filter)])];
}

/** The plan of a quiet run: nothing changed in AD, nothing read from Duo; the sizes are the last full read's. */
export function quietPlan(host: string, directory: DirectoryOptions, mark: ChangesMark, now: Date): SyncPlan {
  const madeAt = now.toISOString();
  return {
    plan_id: createHash('sha256').update(JSON.stringify([madeAt, mark.cookie])).digest('hex').slice(0, 12), approve_id: null, made_at: madeAt, host,
    source: { domain: '', base: directory.source.kind === 'ldap' ? directory.source.base : '', filter: buildUserFilter(directory.selection) },
    ad_users: mark.ad_users, ad_unusable: 0, duo_users: 0, managed: mark.managed, actions: [], held: [], hold_reasons: [], conflicts: [], drift: [], gone: [], untouched: [],
    notices: [], basis: {}, state_sha256: '', approved: null, read_complete: true, baseline: false, source_trusted: false,
  };
}
