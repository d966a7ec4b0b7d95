import { open, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { describeFsError } from '../input-file.js';

export type JournalRecord =
  | { t: 'start'; kind: 'import'; input: string; sha256: string; host: string; at: string }
  | { t: 'intent'; id: number; op: 'bulk_create'; usernames: string[] }
  | { t: 'intent'; id: number; op: 'create'; usernames: [string] }
  | { t: 'intent'; id: number; op: 'aliases'; usernames: [string]; user_id: string; aliases: string }
  | { t: 'outcome'; id: number; ok: true; created?: { username: string; user_id: string }[] }
  | { t: 'outcome'; id: number; ok: false; unknown: boolean; error: string }
  | { t: 'row'; line: number; username: string; result: RowResult; user_id: string | null; error: string | null }
  | { t: 'done'; at: string };

export type RowResult = 'created' | 'exists' | 'failed' | 'skipped';

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

  async append(record: JournalRecord): Promise<void> {
    const header = this.header === null ? '' : JSON.stringify(this.header) + '\n';
    this.header = null;
    await this.file.appendFile(header + JSON.stringify(record) + '\n', 'utf8');
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
