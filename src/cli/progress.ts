import type { CliIo } from './io.js';

/**
 * Progress on stderr: one line rewritten in place on a terminal, a plain line every few seconds
 * otherwise (logs, CI), so a long run is never silent.
 */
export class ProgressLine {
  private readonly started = Date.now();
  private lastPrinted = Date.now();
  private shown = false;

  constructor(
    private readonly io: CliIo,
    private readonly intervalMs = io.errIsTTY ? 100 : 5000,
  ) {}

  update(text: (elapsedSeconds: number) => string): void {
    const now = Date.now();
    if (now - this.lastPrinted < this.intervalMs) return;
    this.lastPrinted = now;
    const line = text((now - this.started) / 1000);
    if (this.io.errIsTTY) {
      this.io.err(`\r\u001b[K${line}`);
      this.shown = true;
    } else {
      this.io.err(`${line}\n`);
    }
  }

  /** A line of its own (a warning), above the progress line. */
  note(text: string): void {
    if (this.shown) this.io.err('\r\u001b[K');
    this.shown = false;
    this.io.err(`${text}\n`);
  }

  /** Clears the in-place line before the final summary. */
  done(): void {
    if (this.shown) this.io.err('\r\u001b[K');
    this.shown = false;
  }

  elapsedSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }
}

export function rate(count: number, seconds: number): string {
  return seconds > 0 ? `${Math.round(count / seconds).toLocaleString('en-US')}/s` : '';
}

export { count, counted } from '../counted.js';

/** `[########------------]` for a share from 0 to 1. */
export function bar(share: number, width = 20): string {
  const filled = Math.round(Math.min(1, Math.max(0, share)) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** "a", "a and b", "a, b and c". */
export function listed(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
