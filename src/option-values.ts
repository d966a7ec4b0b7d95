import { readFile } from 'node:fs/promises';
import { UsageError } from './errors.js';
import { describeFsError, regularFile } from './input-file.js';

/**
 * Checks a numeric option once, with a message naming the flag, the range and what was given.
 * Flags arrive as numbers, or as the text typed when it is not one (src/cli/main.ts); config files give numbers.
 */
export function wholeNumber(name: string, value: number | string, min: number, max: number): number {
  const number = typeof value === 'string' ? (/^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN) : value;
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new UsageError('BAD_OPTION', `--${name} must be a whole number from ${min} to ${max}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
  return number;
}

const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A DURATION option (the contract's: a whole number with m, h or d, as 30m, 24h, 7d) in milliseconds. */
export function duration(name: string, value: string | number): number {
  const match = /^\s*(\d{1,6})\s*([mhd])\s*$/.exec(String(value));
  if (match === null) throw new UsageError('BAD_OPTION', `--${name} is a number with m, h or d (30m, 24h, 7d), got ${JSON.stringify(String(value))}`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** A duration as `duration` reads it back (7d, 24h, 30m). */
export function describeDuration(ms: number): string {
  if (ms % 86_400_000 === 0 && ms > 86_400_000) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  return `${Math.round(ms / 60_000)}m`;
}

/** How long ago, as people say it: "40 min", "5 h 12 min", "3 days 2 h". */
export function describeAge(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h${minutes % 60 > 0 ? ` ${minutes % 60} min` : ''}`;
  return `${Math.floor(hours / 24)} days${hours % 24 > 0 ? ` ${hours % 24} h` : ''}`;
}

/** Reads a file an option names (a CA, a password file, a config); a failure names the option. */
export async function readOptionFile(path: string, option: string): Promise<string> {
  try {
    await regularFile(path, option);
  } catch (error) {
    throw new UsageError('BAD_OPTION', `${option} ${(error as Error).message}`, { cause: error });
  }
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError('BAD_OPTION', `${option} ${path}: ${describeFsError(error)}`, { cause: error });
  }
}

/** A file's text without the byte-order mark Notepad and PowerShell put before UTF-8: JSON.parse refuses it. */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
