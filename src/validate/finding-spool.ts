import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding } from './findings.js';

const FLUSH_CHARS = 1 << 20;

/**
 * A finding as the spool keeps it: its sort key, its `--format json` text (the contract's keys,
 * compact) and its fix. The JSON output copies `json` as it is; everything else parses it once.
 */
export interface SpooledFinding {
  readonly line: number;
  readonly columnRank: number;
  readonly codeRank: number;
  readonly json: string;
  readonly fix: string | null;
}

export function spooled(f: Finding, columnRank: number, codeRank: number): SpooledFinding {
  const { severity, code, line, row, column, value, message, related_lines, cell, previous } = f;
  const json = JSON.stringify({ severity, code, line, row, column, value, message, related_lines, ...(cell === undefined ? {} : { cell }), ...(previous === undefined ? {} : { previous }) });
  return { line: line ?? 0, columnRank, codeRank, json, fix: f.fix };
}

export function unspooled(entry: SpooledFinding): Finding {
  return { ...(JSON.parse(entry.json) as Omit<Finding, 'fix'>), fix: entry.fix };
}

/** By line, then left to right along the row (line-wide findings first), then by code. */
export function entryOrder(a: SpooledFinding, b: SpooledFinding): number {
  return a.line - b.line || a.columnRank - b.columnRank || a.codeRank - b.codeRank;
}

/**
 * Findings on disk instead of in memory: a file with 30 % bad rows has hundreds of thousands of
 * them. Appended as lines in the order they are found (`line \t columnRank \t codeRank \t json \t
 * fix`: JSON text never holds a raw tab or newline), read back as often as the caller needs. The
 * temp file exists only once a finding arrives, and is removed by dispose().
 */
export class FindingSpool {
  private dir: string | null = null;
  private file: FileHandle | null = null;
  private buffer = '';
  private writing: Promise<void> = Promise.resolve();

  /**
   * Returns a promise only when it hands ~1 MiB to the disk: the caller awaits the write before
   * that one, so one write is always under way while validation goes on, and at most two are held.
   */
  add(entry: SpooledFinding): Promise<void> | undefined {
    this.buffer += `${entry.line}\t${entry.columnRank}\t${entry.codeRank}\t${entry.json}\t${entry.fix === null ? '' : JSON.stringify(entry.fix)}\n`;
    if (this.buffer.length < FLUSH_CHARS) return undefined;
    const previous = this.writing;
    this.writing = this.flush(previous);
    return previous;
  }

  /** Every entry added, in order. Call after the last add(). */
  async *read(): AsyncGenerator<SpooledFinding> {
    this.writing = this.flush(this.writing);
    await this.writing;
    if (this.dir === null) return;
    let carry = '';
    for await (const chunk of createReadStream(this.path(), { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      const text = carry + (chunk as string);
      let start = 0;
      for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
        yield parseLine(text, start, end);
        start = end + 1;
      }
      carry = text.slice(start);
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
      this.dir = await mkdtemp(join(tmpdir(), 'duo-bridge-findings-'));
      this.file = await open(this.path(), 'w');
    }
    const text = this.buffer;
    this.buffer = '';
    await this.file.write(text);
  }

  private path(): string {
    return join(this.dir!, 'findings.tsv');
  }
}

function parseLine(text: string, start: number, end: number): SpooledFinding {
  const t1 = text.indexOf('\t', start);
  const t2 = text.indexOf('\t', t1 + 1);
  const t3 = text.indexOf('\t', t2 + 1);
  const t4 = text.lastIndexOf('\t', end);
  return {
    line: Number(text.slice(start, t1)),
    columnRank: Number(text.slice(t1 + 1, t2)),
    codeRank: Number(text.slice(t2 + 1, t3)),
    json: text.slice(t3 + 1, t4),
    fix: t4 + 1 === end ? null : (JSON.parse(text.slice(t4 + 1, end)) as string),
  };
}
