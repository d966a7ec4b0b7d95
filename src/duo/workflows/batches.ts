import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../../atomic-file.js';
import type { DuoUserRow } from '../../csv/duo-row.js';
import { UsageError } from '../../errors.js';
import { describeFsError } from '../../input-file.js';
import type { NewDuoUser } from '../api/users-api.js';
import { rowAliases } from '../plan/decide.js';

/** One user of an offline batch file (README, "import"): keys without a value are omitted. */
export interface BatchUser extends NewDuoUser {
  readonly aliases?: Readonly<Record<string, string>>;
}

/** The fields bulk_create takes, without aliases (they are set afterwards). */
export function newDuoUser(row: DuoUserRow): NewDuoUser {
  const user: Record<string, string> = { username: row.username };
  for (const key of ['realname', 'firstname', 'lastname', 'email', 'status', 'notes'] as const) if (row[key] !== '') user[key] = row[key];
  return user as unknown as NewDuoUser;
}

export function batchUser(row: DuoUserRow): BatchUser {
  if (row.aliases.length === 0) return newDuoUser(row);
  return { ...newDuoUser(row), aliases: rowAliases(row) };
}

/** The bytes of batch-NNNN.json: the same rows always give the same bytes. */
export function batchFileContent(rows: readonly DuoUserRow[]): string {
  return JSON.stringify({ users: rows.map(batchUser) }, null, 2) + '\n';
}

export function batchFileName(index: number): string {
  return `batch-${String(index).padStart(4, '0')}.json`;
}

/**
 * Writes rows as batch-0001.json, batch-0002.json, … of at most `batchSize` users, in file order.
 * Refuses a directory that already holds batches, so an old run's files never mix with a new one.
 */
export interface BatchFilesWritten {
  readonly files: number;
  readonly users: number;
  readonly droppedAliases: number;
  /** What bulk_create cannot carry, left out of the files: group memberships, phones and hardware tokens (users with any, and how many). */
  readonly leftOut: { readonly groups: number; readonly groupUsers: number; readonly phones: number; readonly phoneUsers: number; readonly tokens: number; readonly tokenUsers: number };
}

export async function writeBatchFiles(rows: AsyncIterable<DuoUserRow>, outDir: string, batchSize: number): Promise<BatchFilesWritten> {
  try {
    await mkdir(outDir, { recursive: true });
    const existing = (await readdir(outDir)).filter((name) => /^batch-\d+\.json$/.test(name));
    if (existing.length > 0) throw new UsageError('BAD_OPTION', `${outDir} already holds ${existing.length} batch files: use an empty directory`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError('OUTPUT_UNWRITABLE', `${outDir}: ${describeFsError(error)}`, { cause: error });
  }
  let batch: DuoUserRow[] = [];
  let files = 0;
  let users = 0;
  let droppedAliases = 0;
  const leftOut = { groups: 0, groupUsers: 0, phones: 0, phoneUsers: 0, tokens: 0, tokenUsers: 0 };
  const flush = async (): Promise<void> => {
    const content = batchFileContent(batch);
    await writeFileAtomically(join(outDir, batchFileName(++files)), async (out) => void out.write(content));
    users += batch.length;
    batch = [];
  };
  for await (const row of rows) {
    droppedAliases += row.droppedAliases.length;
    leftOut.groups += row.groups.length;
    leftOut.groupUsers += row.groups.length > 0 ? 1 : 0;
    leftOut.phones += row.phones.length;
    leftOut.phoneUsers += row.phones.length > 0 ? 1 : 0;
    leftOut.tokens += row.tokens.length;
    leftOut.tokenUsers += row.tokens.length > 0 ? 1 : 0;
    batch.push(row);
    if (batch.length === batchSize) await flush();
  }
  if (batch.length > 0) await flush();
  return { files, users, droppedAliases, leftOut };
}
