import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { writeFileAtomically } from '../../atomic-file.js';
import { ALIAS_COLUMNS } from '../../csv/columns.js';
import { createCsvWriter } from '../../csv/write-csv.js';
import { DataError, UsageError } from '../../errors.js';
import { describeFsError } from '../../input-file.js';
import type { DuoClient } from '../api/client.js';
import { listAllUsers, type DuoUser } from '../api/users-api.js';

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
  readonly phones: readonly { readonly phone_id: string; readonly number: string }[];
}

export interface TenantSnapshot {
  readonly host: string;
  readonly exported_at: string;
  readonly users: readonly TenantUser[];
}

export function toTenantUser(user: DuoUser): TenantUser {
  const phones = (user.phones ?? []) as { phone_id?: string; number?: string }[];
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
    phones: phones.map((p) => ({ phone_id: p.phone_id ?? '', number: p.number ?? '' })),
  };
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
export async function writeTenantSnapshot(path: string, host: string, users: AsyncIterable<TenantUser>, format: 'json' | 'csv'): Promise<number> {
  let count = 0;
  await writeFileAtomically(path, async (out) => {
    if (format === 'json') {
      const write = async (text: string): Promise<void> => {
        if (!out.write(text)) await once(out, 'drain');
      };
      await write(`{"host":${JSON.stringify(host)},"exported_at":${JSON.stringify(new Date().toISOString())},"users":[`);
      for await (const user of users) await write(`${count++ === 0 ? '' : ','}\n${JSON.stringify(user)}`);
      await write('\n]}\n');
      return;
    }
    const csv = createCsvWriter(['user_id', 'username', ...ALIAS_COLUMNS, 'email', 'realname', 'firstname', 'lastname', 'status', 'notes',
      'last_directory_sync', 'external_id', 'is_enrolled', 'phones'], { crlf: true });
    csv.pipe(out, { end: false });
    for await (const user of users) {
      count++;
      const row = [user.user_id, user.username, ...ALIAS_COLUMNS.map((slot) => user.aliases[slot] ?? ''), user.email ?? '', user.realname ?? '',
        user.firstname ?? '', user.lastname ?? '', user.status, user.notes ?? '', user.last_directory_sync ?? '', user.external_id ?? '',
        String(user.is_enrolled), user.phones.map((p) => p.number).join(' ')];
      if (!csv.write(row)) await once(csv, 'drain');
    }
    csv.end();
    await finished(csv);
  });
  return count;
}

export async function loadTenantSnapshot(path: string): Promise<TenantSnapshot> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError('INPUT_UNREADABLE', `${path}: ${describeFsError(error)}`, { cause: error });
  }
  let data: Partial<TenantSnapshot>;
  try {
    data = JSON.parse(text) as Partial<TenantSnapshot>;
  } catch {
    throw new DataError('BAD_SNAPSHOT', `${path}: not a tenant snapshot (not JSON; make one with "duo-bridge tenant export --out FILE")`);
  }
  if (!Array.isArray(data.users) || data.users.some((u) => typeof u?.user_id !== 'string' || typeof u?.username !== 'string')) {
    throw new DataError('BAD_SNAPSHOT', `${path}: not a tenant snapshot (no "users" list of Duo users)`);
  }
  return { host: String(data.host ?? ''), exported_at: String(data.exported_at ?? ''), users: data.users.map((u) => toTenantUser(u as unknown as DuoUser)) };
}
