import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { writeFileAtomically } from '../../atomic-file.js';
import { createCsvWriter } from '../../csv/write-csv.js';
import { nameKey } from '../../names.js';
import { phoneKey } from '../../phone.js';
import type { TenantSnapshot, TenantUser } from './tenant.js';
import { TRASHED } from '../api/users-api.js';


/** One difference in one field; a membership or phone added has an empty `before`, one removed an empty `after`. */
export interface FieldChange {
  readonly field: 'username' | 'aliases' | 'realname' | 'firstname' | 'lastname' | 'email' | 'status' | 'notes' | 'last_directory_sync' | 'group' | 'phone';
  readonly before: string;
  readonly after: string;
}

export type TenantChange =
  | { readonly kind: 'created' | 'deleted' | 'restored'; readonly user: TenantUser }
  | { readonly kind: 'changed'; readonly user: TenantUser; readonly changes: readonly FieldChange[] }
  | { readonly kind: 'group created' | 'group deleted'; readonly group: string };

/** A user in Duo's Trash after: gone, and purged for good by `until` at the latest (when the snapshot says the Trash period). */
export interface TrashedUser {
  readonly user: TenantUser;
  readonly until: string | null;
}

export interface TenantDiff {
  readonly changes: readonly TenantChange[];
  /** Set apart: users in the Trash after (not counted, unless includeTrash). */
  readonly trash: readonly TrashedUser[];
}

const FIELDS = ['realname', 'firstname', 'lastname', 'email', 'status', 'notes', 'last_directory_sync'] as const;

/**
 * What changed between two snapshots of a tenant. A user live before and in the Trash after is
 * deleted; a user absent before and in the Trash after (what a rollback leaves of the users a run
 * created) is listed apart and not counted; with `includeTrash` trashed users are compared like any other. Names compare as Duo compares them.
 */
export function diffTenants(before: TenantSnapshot, after: TenantSnapshot, options: { includeTrash?: boolean } = {}): TenantDiff {
  const present = (user: TenantUser): boolean => options.includeTrash === true || user.status !== TRASHED;
  const beforeById = new Map(before.users.map((u) => [u.user_id, u]));
  const afterById = new Map(after.users.map((u) => [u.user_id, u]));
  const changes: TenantChange[] = [];
  const trash: TrashedUser[] = [];
  const until = trashedUntil(after);

  for (const user of after.users) {
    const old = beforeById.get(user.user_id);
    if (!present(user)) {
      // A user the run created and trashed is no difference (a rollback leaves that); one that was live is gone.
      if (old === undefined) trash.push({ user, until });
      else if (present(old)) changes.push({ kind: 'deleted', user });
    } else if (old === undefined) changes.push({ kind: 'created', user });
    else if (!present(old)) changes.push({ kind: 'restored', user });
    else {
      const fields = userChanges(old, user);
      if (fields.length > 0) changes.push({ kind: 'changed', user, changes: fields });
    }
  }
  for (const user of before.users) if (present(user) && !afterById.has(user.user_id)) changes.push({ kind: 'deleted', user });

  if (before.groups !== null && after.groups !== null) {
    const names = (groups: readonly { name: string }[]): Map<string, string> => new Map(groups.map((g) => [nameKey(g.name), g.name]));
    const [was, is] = [names(before.groups), names(after.groups)];
    for (const [key, name] of is) if (!was.has(key)) changes.push({ kind: 'group created', group: name });
    for (const [key, name] of was) if (!is.has(key)) changes.push({ kind: 'group deleted', group: name });
  }
  return { changes, trash };
}

function userChanges(before: TenantUser, after: TenantUser): FieldChange[] {
  const out: FieldChange[] = [];
  if (nameKey(before.username) !== nameKey(after.username)) out.push({ field: 'username', before: before.username, after: after.username });
  const aliases = (user: TenantUser): string => Object.entries(user.aliases).sort(([a], [b]) => a.localeCompare(b)).map(([, v]) => v).join(', ');
  if (aliases(before).toLowerCase() !== aliases(after).toLowerCase()) out.push({ field: 'aliases', before: aliases(before), after: aliases(after) });
  for (const field of FIELDS) {
    const [was, is] = [String(before[field] ?? ''), String(after[field] ?? '')];
    if (field === 'email' ? nameKey(was) !== nameKey(is) : was !== is) out.push({ field, before: was, after: is });
  }
  const groups = (user: TenantUser): Map<string, string> => new Map(user.groups.map((g) => [nameKey(g.name), g.name]));
  for (const change of setChanges('group', groups(before), groups(after))) out.push(change);
  const phones = (user: TenantUser): Map<string, string> => new Map(user.phones.map((p) => [phoneKey(p), p.extension ? `${p.number} x${p.extension}` : p.number]));
  for (const change of setChanges('phone', phones(before), phones(after))) out.push(change);
  return out;
}

function setChanges(field: 'group' | 'phone', before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): FieldChange[] {
  const out: FieldChange[] = [];
  for (const [key, value] of after) if (!before.has(key)) out.push({ field, before: '', after: value });
  for (const [key, value] of before) if (!after.has(key)) out.push({ field, before: value, after: '' });
  return out;
}

/** The latest date Duo keeps a user trashed before the `after` snapshot was taken: that snapshot's time plus the Trash period. */
function trashedUntil(after: TenantSnapshot): string | null {
  const days = after.settings?.pending_deletion_days;
  const taken = Date.parse(after.exported_at);
  if (days === undefined || Number.isNaN(taken)) return null;
  return new Date(taken + days * 86_400_000).toISOString().slice(0, 10);
}

/** The differences by kind, e.g. "changed 34 · created 6". */
export function diffSummary(changes: readonly TenantChange[]): string {
  const counts = new Map<string, number>();
  for (const c of changes) counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => `${kind} ${n.toLocaleString('en-US')}`).join(' · ');
}

export type TenantDiffJsonChange =
  | { readonly kind: 'group created' | 'group deleted'; readonly group: string }
  | { readonly kind: 'created' | 'deleted' | 'restored' | 'changed'; readonly user_id: string; readonly username: string; readonly changes?: readonly FieldChange[] };

/** What `tenant diff --format json` prints. */
export interface TenantDiffJson {
  readonly before: string;
  readonly after: string;
  readonly differences: number;
  readonly summary: string;
  readonly changes: readonly TenantDiffJsonChange[];
  readonly trash: readonly { readonly user_id: string; readonly username: string; readonly until: string | null }[];
}

export function tenantDiffJson(diff: TenantDiff, before: string, after: string): TenantDiffJson {
  return {
    before, after, differences: diff.changes.length, summary: diffSummary(diff.changes),
    changes: diff.changes.map((c) => ('group' in c ? c : { kind: c.kind, user_id: c.user.user_id, username: c.user.username, ...('changes' in c ? { changes: c.changes } : {}) })),
    trash: diff.trash.map((t) => ({ user_id: t.user.user_id, username: t.user.username, until: t.until })),
  };
}

/** `tenant diff --out diff.csv`: one row per difference. */
export async function writeTenantDiffCsv(path: string, diff: TenantDiff): Promise<void> {
  const rows = diff.changes.flatMap((c): string[][] => {
    if ('group' in c) return [['', '', c.kind, 'group', c.kind === 'group created' ? '' : c.group, c.kind === 'group created' ? c.group : '']];
    if (!('changes' in c)) return [[c.user.user_id, c.user.username, c.kind, '', '', '']];
    return c.changes.map((f) => [c.user.user_id, c.user.username, c.kind, f.field, f.before, f.after]);
  });
  for (const t of diff.trash) rows.push([t.user.user_id, t.user.username, 'in trash', 'until', '', t.until ?? '']);
  await writeFileAtomically(path, (out) =>
    pipeline(Readable.from(rows), createCsvWriter(['user_id', 'username', 'change', 'field', 'before', 'after'], { crlf: true }), out, { end: false }),
  );
}
