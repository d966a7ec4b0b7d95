import { MAX_GROUPS, MAX_PHONES, MAX_TOKENS } from '../../csv/columns.js';

import type { DuoUserRow, RowPhone, RowToken } from '../../csv/duo-row.js';

import { nameKey } from '../../names.js';

import { phoneKey } from '../../phone.js';

import { describeToken, tokenKey, TOKEN_TYPES, type TokenRef } from '../../token.js';

import type { TenantUser } from '../tenant/tenant.js';

import { append, describeUser, matchPerson, TenantIndex } from './match-person.js';
import { aliasSlot, type DuoNames } from '../tenant/duo-names.js';
import { TRASHED } from '../api/users-api.js';


export const PLAN_ACTIONS = ['create', 'unchanged', 'update', 'migrate', 'restore', 'conflict'] as const;
export type PlanAction = (typeof PLAN_ACTIONS)[number];


/** Between a conflict's reason and what to do about it: every conflict ends with its fix. */
const FIX = '; fix: ';

/** A conflict's reason and its fix apart (the fix is null for a reason without one). */
export function splitFix(reason: string): { reason: string; fix: string | null } {
  const at = reason.lastIndexOf(FIX);
  return at === -1 ? { reason, fix: null } : { reason: reason.slice(0, at), fix: reason.slice(at + FIX.length) };
}

export interface PlannedRow {
  readonly row: DuoUserRow;
  readonly action: PlanAction;
  /** The Duo user the row is about (null for a create, unless this import already made it; null for a conflict without one). */
  readonly user: TenantUser | null;
  readonly reason: string;
  /** The names and fields the Duo user will have (update and migrate). */
  readonly target: (DuoNames & { readonly fields: Readonly<Record<string, string>> }) | null;
  /** Group memberships, phones and hardware tokens the row adds to its Duo user (never removes any). */
  readonly adds: Additions;
}

export interface Additions {
  /** Group names as the row spells them. */
  readonly groups: readonly string[];
  readonly phones: readonly RowPhone[];
  /** Tokens with a type (validate refuses the rest). */
  readonly tokens: readonly (RowToken & TokenRef)[];
}

/** A hardware token as Duo has it: what a row's token is attached as, and who holds it. */
export interface KnownToken {
  readonly token_id: string;
  /** The Duo users it is attached to. */
  readonly owners: readonly string[];
}

/** A Duo group as the decision needs it. */
export interface KnownGroup {
  readonly group_id: string;
  readonly name: string;
  /** Managed by a directory sync: its next sync would undo any change. */
  readonly synced: boolean;
}

export interface Plan {
  readonly rows: readonly PlannedRow[];
  readonly summary: Readonly<Record<PlanAction, number>>;
}

const FIELDS = ['realname', 'firstname', 'lastname', 'email', 'status', 'notes'] as const;

export function rowAliases(row: DuoUserRow): Record<string, string> {
  return Object.fromEntries(row.aliases.map(([n, value]) => [aliasSlot(n), value]));
}


interface Match {
  readonly row: DuoUserRow;
  user: TenantUser | null;
  how: 'username' | 'evidence' | 'hint' | 'ours' | null;
  evidence: string;
  conflict: string | null;
  /** The Duo user is managed by a directory sync and the row would change it. */
  synced: boolean;
  adds: Additions;
}

const NO_ADDITIONS: Additions = { groups: [], phones: [], tokens: [] };

/** What the row has that its Duo user lacks: memberships by group name, phones by number, tokens by type and serial. */
function additions(row: DuoUserRow, user: TenantUser | null): Additions {
  if (row.groups.length === 0 && row.phones.length === 0 && row.tokens.length === 0) return NO_ADDITIONS;
  const held = new Set(user?.groups.map((g) => nameKey(g.name)) ?? []);
  const numbers = new Set(user?.phones.map(phoneKey) ?? []);
  const seen = new Set<string>();
  const phones = row.phones.filter((p) => {
    const key = p.phone === null ? '' : phoneKey(p.phone);
    if (key === '' || numbers.has(key) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const heldTokens = new Set(user?.tokens.map((t) => tokenKey({ type: t.type as TokenRef['type'], serial: t.serial })) ?? []);
  const tokens = row.tokens.filter((t): t is RowToken & TokenRef => {
    if (t.type === null) return false;
    const key = tokenKey(t as TokenRef);
    if (heldTokens.has(key) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { groups: row.groups.filter((g) => !held.has(nameKey(g))), phones, tokens };
}

/** Groups that are missing or synced, a phone or token that is someone else's, a token Duo lacks, Duo's per-user limits. */
function deviceConflict(m: Match, otherOwner: (key: string, userId: string | undefined) => string | undefined, byId: ReadonlyMap<string, TenantUser>, options: DecideOptions): string | null {
  const { groups, phones, tokens } = m.adds;
  const known = options.groups;
  for (const name of known === undefined ? [] : groups) {
    const group = known!.get(nameKey(name));
    if (group === undefined && !options.createGroups) return `Duo has no group "${name}"${FIX}create it in Duo, or import with --create-groups`;
    if (group?.synced) return `Duo group "${group.name}" is managed by a directory sync, which would undo the membership (duo-bridge never changes it)${FIX}take the group off this row, or out of the directory sync`;
  }
  if ((m.user?.groups.length ?? 0) + groups.length > MAX_GROUPS) return `the user would be in more than Duo's ${MAX_GROUPS} groups${FIX}take groups off the row, or off the user in Duo`;
  if ((m.user?.phones.length ?? 0) + phones.length > MAX_PHONES) return `the user would have more than Duo's ${MAX_PHONES} phones${FIX}take phones off the row, or delete unused ones from the user in Duo`;
  if ((m.user?.tokens.length ?? 0) + tokens.length > MAX_TOKENS) return `the user would have more than Duo's ${MAX_TOKENS} hardware tokens${FIX}take tokens off the row, or detach unused ones in Duo`;
  for (const token of tokens) {
    const problem = tokenConflict(token, options.tokens?.(tokenKey(token)), m.user?.user_id, byId);
    if (problem !== null) return problem;
  }
  if (options.sharePhones) return null;
  for (const phone of phones) {
    const other = otherOwner(phoneKey(phone.phone!), m.user?.user_id);
    if (other === undefined) continue;
    const owner = byId.get(other);
    return `phone ${phone.phone!.number}${phone.phone!.extension ? ` x${phone.phone!.extension}` : ''} belongs to Duo user ${owner ? describeUser(owner) : other}: ` +
      `attaching it would let that device approve this user's logins too${FIX}give the row this person's own number, or import with --share-phones if the phone really is shared`;
  }
  return null;
}

/**
 * A token Duo does not have (duo-bridge attaches tokens, it never creates one: that needs the
 * token's secret), or one attached to another user. Unknown (undefined) is not checked: a
 * snapshot without the tenant's tokens.
 */
export function tokenConflict(token: TokenRef, known: KnownToken | null | undefined, userId: string | undefined, byId: ReadonlyMap<string, TenantUser> = new Map()): string | null {
  if (known === null) {
    return `Duo has no ${TOKEN_TYPES[token.type]} token with serial ${token.serial} (type ${token.type})${FIX}add it under 2FA Devices → Hardware Tokens in the Duo Admin Panel, then run again`;
  }
  const other = known?.owners.find((id) => id !== userId);
  if (other === undefined) return null;
  const owner = byId.get(other);
  return `${describeToken(token)} is attached to Duo user ${owner ? describeUser(owner) : other}: a hardware token is one person's${FIX}detach it from that user in Duo first, or take it off the row`;
}

export interface DecideOptions {
  /** Row username → user_id that an earlier, interrupted migrate was renaming (its journal). */
  readonly hints?: ReadonlyMap<string, string>;
  /** Did this run (an import being resumed) create this Duo user? Then the row is its own create, half done. */
  readonly ours?: (user: TenantUser) => boolean;
  /**
   * The admin asserts that the directory sync which created these users is deleted, so their
   * `last_directory_sync` is history, not a sync that would undo the change (--assert-sync-deleted).
   */
  readonly syncDeleted?: boolean;
  /** The tenant's groups by lower-cased name; without it, groups are not checked (a snapshot without them). */
  readonly groups?: ReadonlyMap<string, KnownGroup> | undefined;
  /** A missing group will be created (--create-groups), rather than failing the row. */
  readonly createGroups?: boolean;
  /** The Duo users holding a phone (by phoneKey) besides those in the tenant given: the import's phone book. */
  readonly phoneOwners?: ((key: string) => readonly string[]) | undefined;
  /** A phone another Duo user holds may be attached to this one too (--share-phones). */
  readonly sharePhones?: boolean;
  /**
   * The tenant's hardware token of a tokenKey: null when Duo has none, undefined when unknown (not
   * checked). From the import's token book, or a snapshot's tokens.
   */
  readonly tokens?: ((key: string) => KnownToken | null | undefined) | undefined;
  /** A row whose Duo user is in the Trash restores it (--restore-trashed); otherwise that is a conflict. */
  readonly restoreTrashed?: boolean;
  /** The tenant's pending_deletion_days, to say how long a trashed user has left. */
  readonly pendingDeletionDays?: number | null;
}

/** The flag that lets a run take a user out of Duo's Trash. */
export const RESTORE_TRASHED_FLAG = '--restore-trashed';

/** Duo's status for a user in its Trash. */

/** The flag an admin gives to assert that the old directory sync is gone. */
export const SYNC_DELETED_FLAG = '--assert-sync-deleted';

/** What the admin asserted for a run, recorded in its journal. */
export function assertions(options: { readonly syncDeleted?: boolean | undefined }): string[] {
  return options.syncDeleted ? [`${SYNC_DELETED_FLAG}: the directory sync that created these users is deleted`] : [];
}

/**
 * Classifies every row against the tenant (live, a snapshot, or the users an import looked up for
 * a batch), without changing anything: create, unchanged, update (same username), migrate (the same
 * person under another username, found by an alias or the email), or conflict. A row may take a
 * name that another Duo user holds only if that user is itself renamed away from it by another row
 * (a chain or a cycle, which migrate orders). plan, import, migrate and the import's preview all
 * decide here, so they cannot disagree.
 */
export function planRows(rows: readonly DuoUserRow[], tenant: Iterable<TenantUser>, options: DecideOptions = {}): Plan {
  const index = new TenantIndex(tenant);
  const { byName, byId } = index;

  const byPhone = new Map<string, string[]>();
  for (const user of byId.values()) for (const phone of user.phones) append(byPhone, phoneKey(phone), user.user_id);
  // The first holder other than the row's own user: a number 100,000 users share costs one step, not a copy.
  const otherOwner = (key: string, userId: string | undefined): string | undefined =>
    byPhone.get(key)?.find((id) => id !== userId) ?? options.phoneOwners?.(key).find((id) => id !== userId);

  const matches = rows.map((row) => identify(row, index, options));
  for (const m of matches) {
    m.adds = additions(m.row, m.user);
    m.conflict ??= deviceConflict(m, otherOwner, byId, options);
  }

  // Two rows cannot both become the same Duo user.
  const matchesOf = new Map<string, Match[]>();
  for (const m of matches) if (m.user && !m.conflict) append(matchesOf, m.user.user_id, m);
  for (const matching of matchesOf.values()) {
    if (matching.length < 2) continue;
    for (const m of matching) {
      const others = matching.slice(0, 6).filter((c) => c !== m).slice(0, 5).map((c) => `${c.row.line} (${c.evidence})`).join(', ');
      const more = matching.length - 1 - Math.min(5, matching.length - 1);
      m.conflict = `line ${m.row.line} (${m.evidence}) and line${matching.length > 2 ? 's' : ''} ${others}${more > 0 ? ` and ${more} more` : ''} all match Duo user ${describeUser(m.user!)}, and one Duo user is one person` +
        `${FIX}keep one row for this person; give the other${matching.length > 2 ? 's' : ''} ${matching.length > 2 ? 'their' : 'its'} own username, aliases and email`;
    }
  }
  for (const m of matches) m.synced = m.user !== null && !m.conflict && m.how !== 'ours' && m.user.last_directory_sync != null && needsChange(m);

  // First as if no sync were in the way: which synced rows have no other obstacle?
  const settled = matches.map((m) => m.conflict);
  resolveNames(matches, byName);
  const onlySync = new Set(matches.filter((m) => m.synced && !m.conflict));
  if (!options.syncDeleted && matches.some((m) => m.synced)) {
    matches.forEach((m, i) => (m.conflict = settled[i]!));
    for (const m of matches) if (m.synced) m.conflict = syncConflict(m.user!, onlySync.has(m));
    resolveNames(matches, byName);
  }

  const planned = matches.map((m) => toPlannedRow(m, options));
  const summary = Object.fromEntries(PLAN_ACTIONS.map((a) => [a, 0])) as Record<PlanAction, number>;
  for (const p of planned) summary[p.action]++;
  return { rows: planned, summary };
}

function syncConflict(user: TenantUser, onlyObstacle: boolean): string {
  return `Duo user ${describeUser(user)} is managed by a directory sync (last sync ${new Date(user.last_directory_sync! * 1000).toISOString()}); ` +
    `its next sync would undo this change${FIX}take the user out of the directory sync first` +
    (onlyObstacle ? ` (if that sync has been deleted and Duo only kept the date, re-run with ${SYNC_DELETED_FLAG})` : '');
}

/** A name held by another Duo user is available only if a non-conflicting row renames that user away from it. */
function resolveNames(matches: Match[], byName: ReadonlyMap<string, TenantUser>): void {
  for (let changed = true; changed; ) {
    changed = false;
    const releasing = new Map<string, Match>();
    for (const m of matches) if (m.user && !m.conflict) releasing.set(m.user.user_id, m);
    for (const m of matches) {
      if (m.conflict) continue;
      for (const name of [m.row.username, ...m.row.aliases.map(([, a]) => a)]) {
        const holder = byName.get(nameKey(name));
        if (!holder || holder.user_id === m.user?.user_id) continue;
        const mover = releasing.get(holder.user_id);
        const keeps = mover !== undefined && [mover.row.username, ...mover.row.aliases.map(([, a]) => a)].some((n) => nameKey(n) === nameKey(name));
        if (mover === undefined || keeps) {
          m.conflict = `"${name}" belongs to Duo user ${describeUser(holder)}, ${mover === undefined ? 'a different person' : `which line ${mover.row.line} keeps`}${FIX}${mover === undefined ? `give line ${m.row.line} another name, or rename that Duo user first (a row for it with its new username)` : `give line ${m.row.line} or line ${mover.row.line} another name`}`;
          changed = true;
          break;
        }
      }
    }
  }
}

function identify(row: DuoUserRow, index: TenantIndex, options: DecideOptions): Match {
  const found = (user: TenantUser | null, how: Match['how'], evidence: string, conflict: string | null = null): Match =>
    ({ row, user, how, evidence, conflict, synced: false, adds: NO_ADDITIONS });
  const hinted = index.byId.get(options.hints?.get(nameKey(row.username)) ?? '');
  // An earlier run of this migrate already gave it the row's username: an ordinary same-username match.
  if (hinted && nameKey(hinted.username) === nameKey(row.username)) return found(hinted, 'username', 'same username');
  if (hinted) return found(hinted, 'hint', 'an interrupted migrate was renaming it');
  const sameUsername = index.withUsername(row.username);
  if (sameUsername && options.ours?.(sameUsername)) return found(sameUsername, 'ours', 'created by this import');
  const match = matchPerson({ username: row.username, aliases: row.aliases.map(([, a]) => a), email: row.email, guid: row.adGuid }, index);
  return found(match.user, match.how, match.evidence, match.conflict === null ? null : match.conflict.replace(/^it matches/, 'the row matches'));
}

function needsChange(m: Match): boolean {
  return m.how !== 'username' || userChanges(m.row, m.user!) !== null || hasAdditions(m.adds);
}

export function hasAdditions(adds: Additions): boolean {
  return adds.groups.length > 0 || adds.phones.length > 0 || adds.tokens.length > 0;
}

function describeAdditions(adds: Additions): string {
  return [
    ...(adds.groups.length > 0 ? [`adds group${adds.groups.length > 1 ? 's' : ''} ${adds.groups.join(', ')}`] : []),
    ...(adds.phones.length > 0 ? [`adds phone${adds.phones.length > 1 ? 's' : ''} ${adds.phones.map((p) => p.phone!.number).join(', ')}`] : []),
    ...(adds.tokens.length > 0 ? [`adds hardware token${adds.tokens.length > 1 ? 's' : ''} ${adds.tokens.map((t) => `${t.serial} (${t.type})`).join(', ')}`] : []),
  ].join('; ');
}

/** What an update of `user` to `row` would change: field values, and whether the aliases differ; null if nothing. */
export function userChanges(row: DuoUserRow, user: TenantUser): { fields: Record<string, string>; aliases: boolean } | null {
  const fields = Object.fromEntries(fieldChanges(row, user).map((f) => [f, row[f]]));
  const aliases = aliasesDiffer(row, user);
  return Object.keys(fields).length === 0 && !aliases ? null : { fields, aliases };
}

type Field = (typeof FIELDS)[number];

function fieldChanges(row: DuoUserRow, user: TenantUser): Field[] {
  // Only cells with a value change Duo: an empty cell never blanks a field. Emails compare like names.
  const same = (field: Field): boolean =>
    field === 'email' ? nameKey(row.email) === nameKey(user.email ?? '') : row[field] === (user[field] ?? '');
  return FIELDS.filter((field) => row[field] !== '' && !same(field));
}

function aliasesDiffer(row: DuoUserRow, user: TenantUser): boolean {
  const wanted = new Set(row.aliases.map(([, a]) => nameKey(a)));
  const held = new Set(Object.values(user.aliases).map(nameKey));
  return wanted.size !== held.size || [...wanted].some((a) => !held.has(a));
}

function toPlannedRow(m: Match, options: DecideOptions): PlannedRow {
  const syncDeleted = options.syncDeleted === true;
  const { row, user, adds } = m;
  const also = hasAdditions(adds) ? `; ${describeAdditions(adds)}` : '';
  if (m.conflict) return { row, action: 'conflict', user, reason: m.conflict, target: null, adds: NO_ADDITIONS };
  if (!user) return { row, action: 'create', user: null, reason: `no Duo user has any of its names or its email${also}`, target: null, adds };
  // Never "unchanged" or "created": Duo purges it after the Trash period, and until then it can still sign in.
  if (user.status === TRASHED) {
    const days = options.pendingDeletionDays == null ? 'the tenant\'s pending_deletion_days' : `${options.pendingDeletionDays} days`;
    const where = `Duo user ${describeUser(user)} is in Duo's Trash, which deletes it for good ${days} after it was trashed`;
    if (!options.restoreTrashed) return { row, action: 'conflict', user, reason: `${where}${FIX}restore it with ${RESTORE_TRASHED_FLAG}, or empty the Trash first`, target: null, adds: NO_ADDITIONS };
    const changes = userChanges(row, user);
    const target = { username: row.username, aliases: rowAliases(row), fields: changes?.fields ?? {} };
    return { row, action: 'restore', user, reason: `${where}: restore it, then bring it in line with the row${also}`, target, adds };
  }
  if (m.how === 'ours') return { row, action: 'create', user, reason: `created by this import; an earlier run was interrupted${also}`, target: null, adds };
  const asserted = m.synced && syncDeleted ? ` (directory sync asserted deleted with ${SYNC_DELETED_FLAG})` : '';
  const changes = userChanges(row, user);
  const target = { username: row.username, aliases: rowAliases(row), fields: changes?.fields ?? {} };
  if (m.how === 'username') {
    if (changes === null && !hasAdditions(adds)) return { row, action: 'unchanged', user, reason: 'same username, fields, aliases, groups, phones and tokens', target: null, adds };
    const changed = changes === null ? [] : [...Object.keys(changes.fields), ...(changes.aliases ? ['aliases'] : [])];
    return { row, action: 'update', user, target, adds,
      reason: `same username; ${[...(changed.length > 0 ? [`changes ${changed.join(', ')}`] : []), ...(also ? [describeAdditions(adds)] : [])].join('; ')}${asserted}` };
  }
  return {
    row, action: 'migrate', user, target, adds,
    reason: `Duo user ${describeUser(user)} is this person (${m.evidence}): rename to "${row.username}" with aliases [${Object.values(target.aliases).join(', ')}]${also}${asserted}`,
  };
}
