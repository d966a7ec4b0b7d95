import { createReadStream } from 'node:fs';

import { open, stat, type FileHandle } from 'node:fs/promises';

import { dirname } from 'node:path';

import { UsageError } from '../../errors.js';

import { describeFsError, fileSha256 } from '../../input-file.js';

import type { BulkOperation } from '../api/bulk-api.js';

import { lockFile, type FileLock } from './lock.js';
import type { DuoNames } from '../tenant/duo-names.js';


export type JournalKind = 'import' | 'migrate' | 'rollback' | 'sync';


/** What a guarded write is about to do, journaled before the call. */
export type Intent =
  | { op: 'rename'; user_id: string; before: DuoNames; after: DuoNames; fields?: Record<string, string> }
  | { op: 'trash'; user_ids: string[] }
  /** Out of Duo's Trash (bulk_restore). */
  | { op: 'restore'; user_ids: string[] }
  /** One user's status (a rollback disables the users it created before they go to the Trash). */
  | { op: 'status'; user_id: string; status: string }
  | { op: 'bulk_create'; usernames: string[] }
  | { op: 'create'; usernames: [string] }
  | { op: 'aliases'; usernames: [string]; user_id: string; aliases: string }
  /** One user's fields (realname, email, status…) changed: the values before, for a rollback, and after. */
  | ({ op: 'update' } & FieldStep)
  /**
   * One call to /admin/v1/bulk, with every operation it holds (and, for renames, each user's names
   * before and after; for field changes, each user's values before and after).
   */
  | { op: 'bulk'; operations: BulkOperation[]; renames?: RenameStep[]; updates?: FieldStep[] }
  | { op: 'group_create'; name: string }
  | { op: 'membership'; user_id: string; group_id: string }
  | { op: 'membership_remove'; user_id: string; group_id: string }
  | { op: 'phone_create'; number: string; extension: string }
  | { op: 'phone_attach'; user_id: string; phone_id: string }
  | { op: 'phone_detach'; user_id: string; phone_id: string }
  | { op: 'phone_delete'; phone_id: string }
  /** A hardware token (found in Duo by type and serial, never created) attached to a user, or detached (rollback). */
  | { op: 'token_attach'; user_id: string; token_id: string }
  | { op: 'token_detach'; user_id: string; token_id: string }
  /** Sent at most once: a resume never sends an email or a text twice, even when Duo's answer was lost. */
  | { op: 'enroll'; username: string; email: string }
  | { op: 'sms_activation'; phone_id: string };

/** A user's fields moved from some values to others (only the fields that change). */
export interface FieldStep {
  user_id: string;
  before: Record<string, string>;
  after: Record<string, string>;
}

/** A user moved from one set of names to another: what migrate resumes and rollback undoes. */
export interface RenameStep {
  user_id: string;
  before: DuoNames;
  after: DuoNames;
}

/** ok: Duo applied it · refused: certainly not applied · unknown: maybe applied; only reading Duo tells. */
export type OutcomeStatus = 'ok' | 'refused' | 'unknown';

export interface CreatedUser {
  username: string;
  user_id: string;
}

export type JournalRecord =
  | { t: 'start'; kind: JournalKind; input: string; sha256: string; host: string; at: string; assertions?: string[] }
  /**
   * `at`: when it was sent, on Duo's clock (ms, as its Date header tells it); `deadline`: the latest
   * time Duo can have applied it (sent + the client's timeout). Journals older than these fields lack them.
   */
  | ({ t: 'intent'; id: number; at?: number; deadline?: number } & Intent)
  | { t: 'outcome'; id: number; status: OutcomeStatus; at?: number; created?: CreatedUser[]; error?: string; failed_operations?: number[]; group_id?: string; phone_id?: string }
  /** A group or phone this run created, learned by reading Duo after an unanswered create. */
  | { t: 'claim_group'; name: string; group_id: string }
  | { t: 'claim_phone'; number: string; extension: string; phone_id: string }
  /** A user this run created, learned by reading Duo after an unanswered create: rollback must find it. */
  | { t: 'claim'; username: string; user_id: string }
  /** Duo refused the bulk endpoint: this run, and its resumes, use single calls. */
  | { t: 'mode'; bulk: false; reason: string }
  | { t: 'row'; line: number; username: string; result: RowResult; user_id: string | null; error: string | null }
  | { t: 'done'; at: string };

export type RowResult = 'created' | 'updated' | 'restored' | 'exists' | 'failed' | 'skipped';

export interface OpenJournalOptions {
  /**
   * Called with every record, in order: those already in the file as it streams by (never held
   * whole), then each one this run appends. One reader (RunHistory) sees the past and the present alike.
   */
  readonly replay?: (record: JournalRecord) => void;
  /**
   * The Duo host this run talks to: a journal whose start record names another host is refused
   * here, where it is opened, so no command can resume or undo one tenant's run on another.
   */
  readonly host?: string;
  /** Reading an existing journal (rollback): a missing file is a usage error, not a new journal. */
  readonly mustExist?: boolean;
}

/**
 * An append-only JSON-lines journal, flushed to disk after every append: an intent is durable
 * before the write it announces is sent, and its outcome before anything else happens. It never
 * holds secrets. A line torn by a crash is dropped on the next open. The file is created only by
 * the first append, so a run that writes nothing to Duo leaves no journal behind.
 */
export class Journal {
  private nextId = 1;
  private header: JournalRecord | null = null;
  private file: FileHandle | null = null;
  private start: Extract<JournalRecord, { t: 'start' }> | null = null;
  private observe: (record: JournalRecord) => void = () => undefined;
  /**
   * Duo's clock (ms) and how long after it is sent a write can still be applied (the client's
   * timeout): the workflow sets both from its client with timeWith().
   */
  private clock: { now: () => number; applyWithinMs: number } = { now: Date.now, applyWithinMs: 60_000 };

  private constructor(
    readonly path: string,
    private readonly lock: FileLock,
  ) {}

  static async open(path: string, options: OpenJournalOptions = {}): Promise<Journal> {
    if (options.mustExist) await mustBeFile(path);
    const lock = await lockFile(path, 'journal');
    const journal = new Journal(path, lock);
    try {
      await journal.replay(options.replay ?? (() => undefined));
      const host = journal.start?.host;
      if (options.host !== undefined && host !== undefined && host !== options.host) {
        throw new UsageError('JOURNAL_MISMATCH', `journal ${path} records a run against Duo host ${host}, not ${options.host}: ` +
          'it can only be resumed or rolled back there (check DUO_HOST or --duo-config)');
      }
      journal.observe = options.replay ?? (() => undefined);
      return journal;
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /** The run this journal belongs to, if it has recorded any write. */
  get startRecord(): Extract<JournalRecord, { t: 'start' }> | null {
    return this.start;
  }

  newId(): number {
    return this.nextId++;
  }

  timeWith(client: { duoNow(): number; readonly timeoutMs: number }): this {
    this.clock = { now: () => client.duoNow(), applyWithinMs: client.timeoutMs };
    return this;
  }

  /** When a write sent now was sent, and the latest it can have been applied, on Duo's clock. */
  sendWindow(): { at: number; deadline: number } {
    const at = Math.round(this.clock.now());
    return { at, deadline: at + this.clock.applyWithinMs };
  }

  /** Now, on Duo's clock. */
  now(): number {
    return Math.round(this.clock.now());
  }

  /**
   * A record written just before the first other one: a run that fails before it changes anything
   * (bad credentials, a typo in the host) leaves no journal instead of one bound to that run.
   */
  setHeader(record: Extract<JournalRecord, { t: 'start' }>): void {
    this.header = record;
    this.start = record;
  }

  async append(...records: JournalRecord[]): Promise<void> {
    if (records.length === 0) return;
    const lines = (this.header === null ? [] : [this.header]).concat(records).map((r) => JSON.stringify(r) + '\n');
    this.header = null;
    const file = this.file ?? (await this.create());
    await file.appendFile(lines.join(''), 'utf8');
    await file.datasync();
    for (const record of records) this.observe(record);
  }

  async close(): Promise<void> {
    await this.file?.close();
    this.file = null;
    await this.lock.release();
  }

  private async create(): Promise<FileHandle> {
    let created = false;
    try {
      created = !(await stat(this.path).then(() => true, () => false));
      this.file = await open(this.path, 'a');
    } catch (error) {
      throw new UsageError('JOURNAL_UNWRITABLE', `journal ${this.path}: ${describeFsError(error)}`, { cause: error });
    }
    // A new file's name lives in its directory: sync that too, or a crash can lose the whole journal.
    if (created) await syncDirectory(dirname(this.path));
    return this.file;
  }

  private async replay(visit: (record: JournalRecord) => void): Promise<void> {
    const complete = await readLines(this.path, (line, lineNumber) => {
      let record: JournalRecord;
      try {
        record = JSON.parse(line) as JournalRecord;
      } catch {
        throw new UsageError('JOURNAL_DAMAGED', `journal ${this.path}:${lineNumber} is not a journal record; was the file edited?`);
      }
      if ('id' in record) this.nextId = Math.max(this.nextId, record.id + 1);
      if (record.t === 'start') this.start = record;
      visit(record);
    });
    if (complete !== null && complete.torn) {
      // The process died in the middle of a line: that record never counted.
      const file = await open(this.path, 'r+');
      try {
        await file.truncate(complete.bytes);
        await file.datasync();
      } finally {
        await file.close();
      }
    }
  }
}

/**
 * Another run's journal, read without taking its lock or mending a torn line (that run may still be
 * writing it): its start record, or null when the file is not a duo-bridge journal.
 */
export async function readJournalStart(path: string): Promise<Extract<JournalRecord, { t: 'start' }> | null> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch {
    return null;
  }
  try {
    // A start record is a few hundred bytes; a longer first line is not one.
    const { buffer, bytesRead } = await file.read(Buffer.alloc(16 * 1024), 0, 16 * 1024, 0);
    const end = buffer.subarray(0, bytesRead).indexOf(10);
    if (end === -1) return null;
    const record = JSON.parse(buffer.toString('utf8', 0, end)) as Partial<JournalRecord>;
    return record.t === 'start' && typeof record.host === 'string' && typeof record.at === 'string' ? (record as Extract<JournalRecord, { t: 'start' }>) : null;
  } catch {
    return null;
  } finally {
    await file.close();
  }
}

/** Streams another run's journal records, read-only (see readJournalStart); a line that is not a record is passed over. */
export async function readJournalRecords(path: string, visit: (record: JournalRecord) => void): Promise<void> {
  await readLines(path, (line) => {
    let record: JournalRecord;
    try {
      record = JSON.parse(line) as JournalRecord;
    } catch {
      return;
    }
    visit(record);
  });
}

/**
 * Streams a file's complete lines (split on LF, as the journal writes them) without holding the
 * file. Returns where the last complete line ends, and whether bytes follow it; null: no file.
 */
async function readLines(path: string, onLine: (line: string, lineNumber: number) => void): Promise<{ bytes: number; torn: boolean } | null> {
  try {
    await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UsageError('JOURNAL_UNWRITABLE', `journal ${path}: ${describeFsError(error)}`, { cause: error });
  }
  let carry: Buffer = Buffer.alloc(0);
  let consumed = 0;
  let lineNumber = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    const buffer: Buffer = carry.length === 0 ? (chunk as Buffer) : Buffer.concat([carry, chunk as Buffer]);
    let start = 0;
    for (let end = buffer.indexOf(10, start); end !== -1; end = buffer.indexOf(10, start)) {
      lineNumber++;
      if (end > start) onLine(buffer.toString('utf8', start, end), lineNumber);
      start = end + 1;
    }
    consumed += start;
    carry = buffer.subarray(start);
  }
  return { bytes: consumed, torn: carry.length > 0 };
}

async function mustBeFile(path: string): Promise<void> {
  try {
    if ((await stat(path)).isDirectory()) throw new UsageError('INPUT_UNREADABLE', `journal ${path}: is a directory, not a file`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError('INPUT_UNREADABLE', `journal ${path}: ${describeFsError(error)}`, { cause: error });
  }
}

/** fsync a directory, where the platform allows it (Windows does not open directories for writing). */
async function syncDirectory(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const directory = await open(path, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/**
 * Ties a journal to one input file (by hash), one Duo host and one kind of run, so that resuming
 * can never apply a journal to another file or tenant. Returns whether the journal was already in use.
 */
export async function bindJournal(
  journal: Journal,
  run: { kind: JournalKind; input: string; host: string; assertions?: readonly string[]; sha256?: string },
): Promise<boolean> {
  const sha256 = run.sha256 ?? (await fileSha256(run.input));
  const start = journal.startRecord;
  if (start === null) {
    journal.setHeader({
      t: 'start', kind: run.kind, input: run.input, sha256, host: run.host, at: new Date().toISOString(),
      ...(run.assertions && run.assertions.length > 0 ? { assertions: [...run.assertions] } : {}),
    });
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

