import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { Readable } from 'node:stream';
import { UsageError } from './errors.js';

const CHUNK_BYTES = 256 * 1024;

/**
 * A file the user named as input: it must exist and be a regular file. A directory, and a named
 * pipe, socket or device (opening a FIFO blocks until someone writes to it; /dev/zero never ends)
 * are refused at once with one clear UsageError (exit 2).
 */
export async function regularFile(path: string, what = 'input'): Promise<Stats> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (error) {
    throw new UsageError('INPUT_UNREADABLE', `${path}: ${describeFsError(error)}`, { cause: error });
  }
  if (info.isDirectory()) throw new UsageError('INPUT_UNREADABLE', `${path}: is a directory, not a file`);
  if (!info.isFile()) {
    const kind = info.isFIFO() ? 'a named pipe' : info.isSocket() ? 'a socket' : info.isCharacterDevice() || info.isBlockDevice() ? 'a device' : 'something else';
    throw new UsageError('INPUT_UNREADABLE', `${path}: is ${kind}, not a regular file: give the ${what} as a file`);
  }
  return info;
}

/** Opens a file the user named, turning "not there / not a file / not readable" into one clear UsageError. */
export async function openInputFile(path: string): Promise<AsyncIterable<Buffer>> {
  await regularFile(path);
  const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) => reject(new UsageError('INPUT_UNREADABLE', `${path}: ${describeFsError(error)}`, { cause: error })));
  });
  return stream;
}

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'EEXIST':
      return 'a file is in the way (a directory was expected)';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a directory';
    default:
      return (error as Error).message;
  }
}

/** A file's sha256 (hex), read as a stream. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A file the user named, opened once: its head read in place (what kind of file it is), its
 * bytes streamed once from the start, and its sha256 taken from what streamed through. Ranges read
 * on the same open serve a workbook's zip directory beside the sequential read. Close it.
 */
export class InputFile {
  private readonly hash = createHash('sha256');
  /** The bytes hashed so far: always the file's first `hashed` bytes, in order. */
  private hashed = 0;
  /** The stream's read under way: it hashes what it gets. */
  private reading: Promise<void> = Promise.resolve();
  private streamed: Readable | null = null;
  private digest: Promise<string> | null = null;

  private constructor(readonly path: string, private readonly handle: FileHandle) {}

  /** Refuses what is not a regular file (`what` names it in the message) or cannot be opened: one UsageError (exit 2). */
  static async open(path: string, what = 'input'): Promise<InputFile> {
    await regularFile(path, what);
    try {
      return new InputFile(path, await open(path, 'r'));
    } catch (error) {
      throw new UsageError('INPUT_UNREADABLE', `${path}: ${describeFsError(error)}`, { cause: error });
    }
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  /** Up to `bytes` bytes from the start, read in place: the stream still starts at byte 0. */
  async head(bytes: number): Promise<Buffer> {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await this.handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  }

  /** The bytes from `start` up to `end` (exclusive; default the end of the file), read in place. */
  range(start: number, end = Number.POSITIVE_INFINITY): Readable {
    return this.reader(start, end, (reading) => reading);
  }

  /** The file's bytes from the start, in order, hashed as they are read: once per open. */
  stream(): Readable {
    if (this.streamed !== null) throw new Error(`${this.path} is streamed once per open`);
    this.streamed = this.reader(0, Number.POSITIVE_INFINITY, (reading) => {
      this.reading = reading.then((chunk) => {
        if (chunk === null) return;
        this.hash.update(chunk);
        this.hashed += chunk.length;
      });
      return reading;
    });
    return this.streamed;
  }

  /**
   * The whole file's sha256 (hex), once its reader is done: of what streamed through, and of the
   * rest, read now, when the reader stopped before the end (a damaged file, a zip's directory).
   */
  sha256(): Promise<string> {
    this.streamed?.destroy();
    return (this.digest ??= this.hashRest());
  }

  async close(): Promise<void> {
    this.streamed?.destroy();
    await this.reading.catch(() => undefined);
    await this.handle.close();
  }

  private async hashRest(): Promise<string> {
    await this.reading;
    const buffer = Buffer.alloc(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, this.hashed);
      if (bytesRead === 0) return this.hash.digest('hex');
      this.hash.update(buffer.subarray(0, bytesRead));
      this.hashed += bytesRead;
    }
  }

  /**
   * A stream of positioned reads (never a ReadStream on the fd: destroying one closes the fd,
   * whatever autoClose says). `tap` sees each read's promise (its chunk, or null at the end).
   */
  private reader(start: number, end: number, tap: (reading: Promise<Buffer | null>) => Promise<Buffer | null>): Readable {
    const { handle, path } = this;
    let position = start;
    return new Readable({
      highWaterMark: CHUNK_BYTES,
      read() {
        const length = Math.min(CHUNK_BYTES, end - position);
        const reading = length <= 0 ? Promise.resolve(null) : handle.read(Buffer.allocUnsafe(length), 0, length, position)
          .then(({ bytesRead, buffer }) => (bytesRead === 0 ? null : buffer.subarray(0, bytesRead)));
        // Counted before the chunk is pushed: the next read() may come from within push().
        tap(reading.then((chunk) => ((position += chunk?.length ?? 0), chunk))).then(
          (chunk) => void this.push(chunk),
          (error: unknown) => this.destroy(new UsageError('INPUT_UNREADABLE', `${path}: ${describeFsError(error)}`, { cause: error })),
        );
      },
    });
  }
}
