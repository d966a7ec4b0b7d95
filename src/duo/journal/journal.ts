import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { UsageError } from '../../errors.js';
import { describeFsError } from '../../input-file.js';

export type JournalKind = 'import' | 'migrate' | 'rollback';

/** A user's names in a rename step: the username and alias1..alias8 by slot. */
export interface JournalNames {
  username: string;
  aliases: Record<string, string>;
}

export type JournalRecord =
  | { t: 'start'; kind: JournalKind; input: string; sha256: string; host: string; at: string }
  | { t: 'intent'; id: number; op: 'rename'; user_id: string; before: JournalNames; after: JournalNames; fields?: Record<string, string> }
  | { t: 'intent'; id: number; op: 'trash'; user_ids: string[] }
  | { t: 'intent'; id: number; op: 'bulk_create'; usernames: string[] }
  | { t: 'intent'; id: number; op: 'create'; usernames: [string] }
  | { t: 'intent'; id: number; op: 'aliases'; usernames: [string]; user_id: string; aliases: string }
  | { t: 'outcome'; id: number; ok: true; created?: { username: string; user_id: string }[] }
  | { t: 'outcome'; id: number; ok: false; unknown: boolean; error: string }
  | { t: 'row'; line: number; username: string; result: RowResult; user_id: string | null; error: string | null }
  | { t: 'done'; at: string };

export type RowResult = 'created' | 'updated' | 'exists' | 'failed' | 'skipped';

/**
 * An append-only JSON-lines journal, flushed to disk after every record: an intent is durable
 * before the write it announces is sent, and its outcome before anything else happens. It never
 * holds secrets. A line torn by a crash is dropped on the next open.
 */
export class Journal {
  private nextId = 1;
  private header: JournalRecord | null = null;

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
    readonly records: readonly JournalRecord[],
  ) {
    for (const record of records) if ('id' in record) this.nextId = Math.max(this.nextId, record.id + 1);
  }

  static async open(path: string): Promise<Journal> {
    let file: FileHandle;
    await lockJournal(path);
    try {
      file = await open(path, 'a+');
    } catch (error) {
      await rm(`${path}.lock`, { force: true });
      throw new UsageError('JOURNAL_UNWRITABLE', `journal ${path}: ${describeFsError(error)}`, { cause: error });
    }
    try {
      return new Journal(path, file, await readRecords(path, file));
    } catch (error) {
      await file.close();
      await rm(`${path}.lock`, { force: true });
      throw error;
    }
  }

  newId(): number {
    return this.nextId++;
  }

  /**
   * A record written just before the first other one: a run that fails before it changes anything
   * (bad credentials, a typo in the host) leaves the journal empty instead of bound to that run.
   */
  setHeader(record: JournalRecord): void {
    this.header = record;
  }

  async append(...records: JournalRecord[]): Promise<void> {
    if (records.length === 0) return;
    const lines = (this.header === null ? [] : [this.header]).concat(records).map((r) => JSON.stringify(r) + '\n');
    this.header = null;
    await this.file.appendFile(lines.join(''), 'utf8');
    await this.file.datasync();
  }

  async close(): Promise<void> {
    await this.file.close();
    await rm(`${this.path}.lock`, { force: true });
  }
}


async function readRecords(path: string, file: FileHandle): Promise<JournalRecord[]> {
  const text = await file.readFile('utf8');
  const complete = text.lastIndexOf('\n') + 1;
  if (complete < text.length) {
    // The process died in the middle of a line: that record never counted.
    await file.truncate(Buffer.byteLength(text.slice(0, complete)));
    await file.datasync();
  }
  const records: JournalRecord[] = [];
  text.slice(0, complete).split('\n').forEach((line, i) => {
    if (line === '') return;
    try {
      records.push(JSON.parse(line) as JournalRecord);
    } catch {
      throw new UsageError('JOURNAL_DAMAGED', `journal ${path}:${i + 1} is not a journal record; was the file edited?`);
    }
  });
  return records;
}

/**
 * Ties a journal to one input file (by hash), one Duo host and one kind of run, so that resuming
 * can never apply a journal to another file or tenant. Returns whether the journal was already in use.
 */
export async function bindJournal(journal: Journal, run: { kind: JournalKind; input: string; host: string }): Promise<boolean> {
  const sha256 = await fileSha256(run.input);
  const start = journal.records.find((r) => r.t === 'start');
  if (start === undefined) {
    journal.setHeader({ t: 'start', kind: run.kind, input: run.input, sha256, host: run.host, at: new Date().toISOString() });
    return false;
  }
  if (start.kind !== run.kind) throw new UsageError('JOURNAL_MISMATCH', `journal ${journal.path} is the journal of a ${start.kind}, not of a ${run.kind}: use another --journal`);
  if (start.sha256 !== sha256) {
    throw new UsageError('JOURNAL_MISMATCH', `journal ${journal.path} belongs to a different version of ${run.input}: ` +
      'finish that run with the original file, or start a new one with another --journal');
  }
  if (start.host !== run.host) throw new UsageError('JOURNAL_MISMATCH', `journal ${journal.path} was written for Duo host ${start.host}, not ${run.host}`);
  return true;
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Two runs on one journal would both act on the same rows: the second is refused. A lock left by a
 * process that no longer exists (killed) is taken over.
 */
async function lockJournal(path: string): Promise<void> {
  const lockPath = `${path}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockPath, String(process.pid), { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new UsageError('JOURNAL_UNWRITABLE', `journal ${path}: ${describeFsError(error)}`, { cause: error });
      }
      const holder = Number(await readFile(lockPath, 'utf8').catch(() => ''));
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
        throw new UsageError('JOURNAL_LOCKED', `journal ${path} is in use by another duo-bridge (pid ${holder})`);
      }
      await rm(lockPath, { force: true });
    }
  }
  throw new UsageError('JOURNAL_LOCKED', `journal ${path}: could not take ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
