import { LineSpool } from '../line-spool.js';
import type { Finding } from './findings.js';

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
 * temp file exists only once a finding arrives, and is gone after dispose() (see LineSpool).
 */
export class FindingSpool {
  private readonly lines = new LineSpool('duo-bridge-findings-');

  /** Returns a promise only when it writes to the disk: await it before adding more. */
  add(entry: SpooledFinding): Promise<void> | undefined {
    return this.lines.add(`${entry.line}\t${entry.columnRank}\t${entry.codeRank}\t${entry.json}\t${entry.fix === null ? '' : JSON.stringify(entry.fix)}`);
  }

  /** Every entry added, in order. Call after the last add(). */
  async *read(): AsyncGenerator<SpooledFinding> {
    for await (const batch of this.lines.batches(parseLine)) yield* batch;
  }

  dispose(): Promise<void> {
    return this.lines.dispose();
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
