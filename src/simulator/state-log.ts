import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fdatasyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { describeFsError } from '../input-file.js';
import type { AppliedWrite } from './duo-engine.js';

interface StateHeader {
  readonly t: 'simulator';
  /** The snapshot the state grows from: a state never replays onto another tenant. */
  readonly tenant_sha256: string;
  readonly ikey: string;
  readonly skey: string;
  /**
   * The port it first listened on: a restart listens there again, so that DUO_HOST (and the host
   * every journal of the rehearsal is bound to) stays the same.
   */
  port?: number;
}

/**
 * The simulator's state on disk: its seed (named by the snapshot's hash), its keys, and every write
 * it applied, one JSON line each, flushed before the write is answered. Restarting replays the lines
 * onto the same seed, so a rehearsal survives a restart (or a kill) exactly as far as Duo would have.
 */
export class StateLog {
  private constructor(
    private readonly fd: number,
    readonly header: StateHeader,
    readonly writes: readonly AppliedWrite[],
    private written: boolean,
  ) {}

  static open(path: string, tenantText: string): StateLog {
    const tenant_sha256 = createHash('sha256').update(tenantText).digest('hex');
    let lines: string[] = [];
    try {
      const bytes = readFileSync(path);
      // A line torn by a kill (no newline yet) was never answered: cut it off, or the next append would be glued to it.
      const complete = bytes.lastIndexOf(10) + 1;
      if (complete < bytes.length) truncateSync(path, complete);
      lines = bytes.subarray(0, complete).toString('utf8').split('\n').filter((line) => line !== '');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError('INPUT_UNREADABLE', `--state ${path}: ${describeFsError(error)}`, { cause: error });
    }
    let fd: number;
    try {
      fd = openSync(path, 'a', 0o600);
    } catch (error) {
      throw new UsageError('INPUT_UNREADABLE', `--state ${path}: ${describeFsError(error)}`, { cause: error });
    }
    if (lines.length === 0) return new StateLog(fd, { t: 'simulator', tenant_sha256, ...newKeys() }, [], false);
    const parse = (line: string, n: number): unknown => {
      try {
        return JSON.parse(line);
      } catch {
        throw new UsageError('STATE_DAMAGED', `--state ${path}:${n + 1} is not a simulator state line`);
      }
    };
    const header = parse(lines[0]!, 0) as StateHeader | null;
    if (header?.t !== 'simulator') throw new UsageError('STATE_DAMAGED', `--state ${path} is not a simulator state file`);
    if (header.tenant_sha256 !== tenant_sha256) {
      closeSync(fd);
      throw new UsageError('STATE_MISMATCH', `--state ${path} grew from another tenant snapshot: use the --tenant it started from, or a new --state`);
    }
    const writes = lines.slice(1).map((line, i) => parse(line, i + 1) as AppliedWrite);
    return new StateLog(fd, header, writes, true);
  }

  /** Once listening: a new state file's header, with the port, is written first. */
  begin(port: number): void {
    if (this.written) return;
    this.header.port = port;
    writeLine(this.fd, this.header);
    this.written = true;
  }

  append(write: AppliedWrite): void {
    writeLine(this.fd, write);
  }

  close(): void {
    closeSync(this.fd);
  }
}

function writeLine(fd: number, record: unknown): void {
  writeSync(fd, JSON.stringify(record) + '\n');
  fdatasyncSync(fd);
}

/** A fresh integration key and secret for a simulator run. */
export function newKeys(): { ikey: string; skey: string } {
  return { ikey: `DI${randomKey(18)}`, skey: randomBytes(20).toString('hex') };
}

function randomKey(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join('');
}
