import { readFile } from 'node:fs/promises';
import { UsageError } from './errors.js';
import { describeFsError } from './input-file.js';

/** Checks a numeric option once, with a message naming the flag, the range and what was given. */
export function wholeNumber(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError('BAD_OPTION', `--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Reads a file an option names (a CA, a password file, a config); a failure names the option. */
export async function readOptionFile(path: string, option: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError('BAD_OPTION', `${option} ${path}: ${describeFsError(error)}`, { cause: error });
  }
}
