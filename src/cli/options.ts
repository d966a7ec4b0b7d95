import { UsageError } from '../errors.js';

/** `--delimiter` as users type it: `,` `;` `|`, or `tab` / `\t` for a tab. */
export function parseDelimiter(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value === 'tab' || value === '\\t' || value === '\t') return '\t';
  if ([...value].length === 1 && value !== '"' && value !== '\n' && value !== '\r') return value;
  throw new UsageError('BAD_OPTION', `--delimiter must be one character or "tab", got ${JSON.stringify(value)}`);
}

export function parseIntegerOption(name: string, value: number | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError('BAD_OPTION', `--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}
