import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { writeFileAtomically } from '../../atomic-file.js';
import { ALIAS_COLUMNS } from '../../csv/columns.js';
import { createCsvWriter } from '../../csv/write-csv.js';
import { UsageError } from '../../errors.js';
import { describeFsError, regularFile } from '../../input-file.js';
import { snapshotProblem } from './snapshot-schema.js';
import type { DuoClient } from '../api/client.js';
import { listAllUsers, type DuoUser } from '../api/users-api.js';
import { listGroups } from '../api/groups-api.js';
import { pendingDeletionDays } from '../api/settings-api.js';
import { listTokens } from '../api/tokens-api.js';

/** One Duo user as a snapshot keeps it: what plan, migrate and rollback compare. */
export interface TenantUser {
  readonly user_id: string;
  readonly username: string;
  readonly aliases: Readonly<Record<string, string>>;
  readonly email: string | null;
  readonly realname: string | null;
  readonly firstname: string | null;
  readonly lastname: string | null;
  readonly status: string;
  readonly notes: string | null;
  readonly last_directory_sync: number | null;
  readonly external_id: string | null;
  readonly is_enrolled: boolean;
  readonly phones: readonly TenantPhone[];
  readonly groups: readonly TenantGroup[];
  /** Hardware tokens attached to the user (snapshots older than token support have none). */
  readonly tokens: readonly TenantToken[];
  /**
   * When Duo created the user (Unix seconds), as the live tenant reports it: how a run tells a user
   * it created from one someone else created under the same name. Snapshots leave it out.
   */
  readonly created?: number | null;
}

export interface TenantPhone {
  readonly phone_id: string;
  /** E.164, as Duo stores it. */
  readonly number: string;
  readonly extension: string;
}

export interface TenantToken {
  readonly token_id: string;
  /** Duo's type code (h6, h8, t6, t8, yk, d1). */
  readonly type: string;
  readonly serial: string;
}

export interface TenantGroup {
  readonly group_id: string;
  readonly name: string;
}

export interface TenantSnapshot {
  readonly host: string;
  readonly exported_at: string;
  readonly users: readonly TenantUser[];
  /** Every group of the tenant, members or not (snapshots older than groups support have none: null). */
  readonly groups: readonly TenantGroup[] | null;
  /** Every hardware token of the tenant, attached or not (snapshots older than token support have none: null). */
  readonly tokens?: readonly TenantToken[] | null;
  /** The tenant settings a rehearsal needs (how long the Trash keeps users); absent in older snapshots. */
  readonly settings?: { readonly pending_deletion_days?: number };
}

export function toTenantUser(user: DuoUser): TenantUser {
  const phones = (user.phones ?? []) as { phone_id?: string; number?: string; extension?: string }[];
  const groups = (user.groups ?? []) as { group_id?: string; name?: string }[];
  const tokens = (user.tokens ?? []) as { token_id?: string; type?: string; serial?: string }[];
  return {
    user_id: user.user_id,
    username: user.username,
    aliases: Object.fromEntries(Object.entries(user.aliases ?? {}).filter(([, v]) => typeof v === 'string' && v !== '').sort(([a], [b]) => a.localeCompare(b))),
    email: user.email ?? null,
    realname: user.realname ?? null,
    firstname: user.firstname ?? null,
    lastname: user.lastname ?? null,
    status: user.status ?? 'active',
    notes: user.notes ?? null,
    last_directory_sync: user.last_directory_sync ?? null,
    external_id: user.external_id ?? null,
    is_enrolled: user.is_enrolled ?? false,
    phones: phones.map((p) => ({ phone_id: p.phone_id ?? '', number: p.number ?? '', extension: p.extension ?? '' })),
    groups: groups.map((g) => ({ group_id: g.group_id ?? '', name: g.name ?? '' })),
    tokens: tokens.map(toTenantToken),
    ...(typeof user.created === 'number' ? { created: user.created } : {}),
  };
}

export function toTenantToken(token: { token_id?: string; type?: string; serial?: string }): TenantToken {
  return { token_id: token.token_id ?? '', type: token.type ?? '', serial: token.serial ?? '' };
}

/** Every user of the live tenant, read-only, 300 per call. */
export async function* readLiveTenant(client: DuoClient): AsyncGenerator<TenantUser> {
  for await (const user of listAllUsers(client)) yield toTenantUser(user);
}

/** The whole live tenant in memory: plan and migrate look across every user at once. */
export async function loadLiveTenant(client: DuoClient): Promise<TenantUser[]> {
  const users: TenantUser[] = [];
  for await (const user of readLiveTenant(client)) users.push(user);
  return users;
}

/** A snapshot as JSON (the input of `plan --tenant`), or as CSV for a spreadsheet. Streamed. */
/** What a snapshot keeps besides the users (older snapshots lack some). */
export interface SnapshotExtras {
  readonly groups?: () => AsyncIterable<TenantGroup>;
  readonly tokens?: () => AsyncIterable<TenantToken>;
  readonly pendingDeletionDays?: () => Promise<number | null>;
}

export async function writeTenantSnapshot(
  path: string,
  host: string,
  users: AsyncIterable<TenantUser>,
  format: 'json' | 'csv',
  extras: SnapshotExtras = {},
): Promise<number> {
  let count = 0;
  await writeFileAtomically(path, async (out) => {
    if (format === 'json') {
      const write = async (text: string): Promise<void> => {
        if (!out.write(text)) await once(out, 'drain');
      };
      await write(`{"host":${JSON.stringify(host)},"exported_at":${JSON.stringify(new Date().toISOString())},"users":[`);
      for await (const user of users) await write(`${count++ === 0 ? '' : ','}\n${JSON.stringify({ ...user, created: undefined })}`);
      await write('\n],"groups":[');
      let first = true;
      for await (const group of extras.groups?.() ?? []) {
        await write(`${first ? '' : ','}\n${JSON.stringify({ group_id: group.group_id, name: group.name })}`);
        first = false;
      }
      await write('\n],"tokens":[');
      first = true;
      for await (const token of extras.tokens?.() ?? []) {
        await write(`${first ? '' : ','}\n${JSON.stringify(toTenantToken(token))}`);
        first = false;
      }
      const days = (await extras.pendingDeletionDays?.()) ?? null;
      await write(`\n]${days === null ? '' : `,"settings":${JSON.stringify({ pending_deletion_days: days })}`}}\n`);
      return;
    }
    const csv = createCsvWriter(['user_id', 'username', ...ALIAS_COLUMNS, 'email', 'realname', 'firstname', 'lastname', 'status', 'notes',
      'last_directory_sync', 'external_id', 'is_enrolled', 'phones', 'groups', 'tokens'], { crlf: true });
    csv.pipe(out, { end: false });
    for await (const user of users) {
      count++;
      const row = [user.user_id, user.username, ...ALIAS_COLUMNS.map((slot) => user.aliases[slot] ?? ''), user.email ?? '', user.realname ?? '',
        user.firstname ?? '', user.lastname ?? '', user.status, user.notes ?? '', user.last_directory_sync ?? '', user.external_id ?? '',
        String(user.is_enrolled), user.phones.map((p) => (p.extension ? `${p.number}x${p.extension}` : p.number)).join(' '), user.groups.map((g) => g.name).join('; '),
        user.tokens.map((t) => `${t.type} ${t.serial}`).join('; ')];
      if (!csv.write(row)) await once(csv, 'drain');
    }
    csv.end();
    await finished(csv);
  });
  return count;
}

/** Larger snapshots are refused before they are read (a 100,000-user tenant export is about 40 MB). */
export const MAX_SNAPSHOT_BYTES = 400 * 1024 * 1024;

/**
 * Reads a `tenant export` snapshot: a regular file, at most MAX_SNAPSHOT_BYTES, UTF-8 with or
 * without a BOM (Windows tools write one), JSON of a snapshot's shape (./snapshot-schema.ts). Any
 * other file is refused with one line naming the file and its first bad value (exit 2).
 */
export async function loadTenantSnapshot(path: string): Promise<TenantSnapshot> {
  const size = (await regularFile(path, 'tenant snapshot')).size;
  if (size > MAX_SNAPSHOT_BYTES) {
    throw new UsageError('BAD_SNAPSHOT', `${path}: ${(size / 1024 / 1024).toFixed(0)} MiB is larger than a tenant snapshot can be here (${MAX_SNAPSHOT_BYTES / 1024 / 1024} MiB)`);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError('INPUT_UNREADABLE', `${path}: ${describeFsError(error)}`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch {
    throw new UsageError('BAD_SNAPSHOT', `${path}: not a tenant snapshot (not JSON; make one with "duo-bridge tenant export --out FILE")`);
  }
  const problem = snapshotProblem(data);
  if (problem !== null) throw new UsageError('BAD_SNAPSHOT', `${path}: not a tenant snapshot: ${problem}`);
  const snapshot = data as Partial<TenantSnapshot> & { users: TenantUser[] };
  const days = snapshot.settings?.pending_deletion_days;
  return {
    host: String(snapshot.host ?? ''), exported_at: String(snapshot.exported_at ?? ''), users: snapshot.users.map((u) => toTenantUser(u as unknown as DuoUser)),
    groups: snapshot.groups ?? null, tokens: snapshot.tokens ?? null, ...(typeof days === 'number' ? { settings: { pending_deletion_days: days } } : {}),
  };
}

/** The live tenant as a snapshot, in memory (what `tenant diff FILE` compares a file against). */
export async function liveSnapshot(client: DuoClient, host: string): Promise<TenantSnapshot> {
  const extras = liveExtras(client);
  const exported_at = new Date().toISOString();
  const users = await loadLiveTenant(client);
  const groups: TenantGroup[] = [];
  for await (const group of extras.groups()) groups.push({ group_id: group.group_id, name: group.name });
  const tokens: TenantToken[] = [];
  for await (const token of extras.tokens()) tokens.push(toTenantToken(token));
  const days = await extras.pendingDeletionDays();
  return { host, exported_at, users, groups, tokens, ...(days === null ? {} : { settings: { pending_deletion_days: days } }) };
}

/** What a snapshot keeps besides the users, read from the live tenant. */
function liveExtras(client: DuoClient): Required<SnapshotExtras> {
  return { groups: () => listGroups(client), tokens: () => listTokens(client), pendingDeletionDays: () => pendingDeletionDays(client) };
}

/** `tenant export`: every user, group and token of the live tenant, streamed to a snapshot file. Returns the users written. */
export function exportLiveTenant(client: DuoClient, host: string, path: string, format: 'json' | 'csv'): Promise<number> {
  return writeTenantSnapshot(path, host, readLiveTenant(client), format, liveExtras(client));
}
