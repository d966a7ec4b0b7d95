import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding } from './findings.js';

const FLUSH_CHARS = 1 << 20;

/**
 * Findings on disk instead of in memory: a file with 30 % bad rows has hundreds of thousands of
 * them. Appended as JSON lines in the order they are found, read back as often as the caller needs
 * (JSON output, the report, the import's list of rows to skip). The temp file exists only once a
 * finding arrives, and is removed by dispose().
 */
export class FindingSpool {
  private dir: string | null = null;
  private file: FileHandle | null = null;
  private buffer = '';
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Returns a promise only when it writes to disk (every ~1 MiB): the caller awaits that alone. */
  add(finding: Finding): Promise<void> | undefined {
    this.buffer += JSON.stringify(finding) + '\n';
    this.count++;
    return this.buffer.length >= FLUSH_CHARS ? this.flush() : undefined;
  }

  /** Every finding added, in order. Call after the last add(). */
  async *read(): AsyncGenerator<Finding> {
    await this.flush();
    if (this.dir === null) return;
    let carry = '';
    for await (const chunk of createReadStream(this.path(), { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      const text = carry + (chunk as string);
      const lines = text.split('\n');
      carry = lines.pop()!;
      for (const line of lines) yield JSON.parse(line) as Finding;
    }
  }

  async dispose(): Promise<void> {
    await this.file?.close();
    this.file = null;
    if (this.dir !== null) await rm(this.dir, { recursive: true, force: true });
    this.dir = null;
  }

  private async flush(): Promise<void> {
    if (this.buffer === '') return;
    if (this.file === null) {
      this.dir = await mkdtemp(join(tmpdir(), 'duo-bridge-findings-'));
      this.file = await open(this.path(), 'w');
    }
    const text = this.buffer;
    this.buffer = '';
    await this.file.write(text);
  }

  private path(): string {
    return join(this.dir!, 'findings.jsonl');
  }
}
