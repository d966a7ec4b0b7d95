import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

const FLUSH_CHARS = 1 << 20;
const READ_BYTES = 1 << 20;

/**
 * Lines on disk instead of in memory (validation's findings, a checked file's records): appended
 * in order, read back as often as needed. The temp file exists only once a line arrives, and is
 * unlinked as soon as it is open where the platform allows it (POSIX keeps it for whoever holds it
 * open: nothing is left behind, even by kill -9); dispose() removes it elsewhere (Windows).
 */
export class LineSpool {
  private dir: string | null = null;
  private file: FileHandle | null = null;
  private buffer = '';
  private size = 0;
  private writing: Promise<void> = Promise.resolve();

  /** `prefix`: the temp directory's name starts with it. */
  constructor(private readonly prefix: string) {}

  /**
   * Appends a line (without a raw newline in it). Returns a promise only when it hands ~1 MiB to
   * the disk: the caller awaits the write before that one, so one write is always under way while
   * the caller goes on, and at most two are held.
   */
  add(line: string): Promise<void> | undefined {
    this.buffer += line;
    this.buffer += '\n';
    if (this.buffer.length < FLUSH_CHARS) return undefined;
    const previous = this.writing;
    this.writing = this.flush(previous);
    return previous;
  }

  /** Every line added, in order, as `parse(text, start, end)` sees it, a batch per chunk read. Call after the last add(). */
  async *batches<T>(parse: (text: string, start: number, end: number) => T): AsyncGenerator<T[]> {
    this.writing = this.flush(this.writing);
    await this.writing;
    const file = this.file;
    if (file === null) return;
    const decoder = new StringDecoder('utf8');
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    let carry = '';
    for (let position = 0; position < this.size; ) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const text = carry + decoder.write(buffer.subarray(0, bytesRead));
      const batch: T[] = [];
      let start = 0;
      for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
        batch.push(parse(text, start, end));
        start = end + 1;
      }
      carry = text.slice(start);
      if (batch.length > 0) yield batch;
    }
  }

  async dispose(): Promise<void> {
    await this.writing.catch(() => undefined);
    await this.file?.close();
    this.file = null;
    if (this.dir !== null) await rm(this.dir, { recursive: true, force: true });
    this.dir = null;
  }

  private async flush(previous: Promise<void>): Promise<void> {
    await previous;
    if (this.buffer === '') return;
    if (this.file === null) {
      const dir = await mkdtemp(join(tmpdir(), this.prefix));
      this.file = await open(join(dir, 'spool'), 'w+');
      this.dir = await rm(dir, { recursive: true, force: true }).then(() => null, () => dir);
    }
    const bytes = Buffer.from(this.buffer, 'utf8');
    this.buffer = '';
    for (let done = 0; done < bytes.length; ) done += (await this.file.write(bytes, done, bytes.length - done, this.size + done)).bytesWritten;
    this.size += bytes.length;
  }
}
