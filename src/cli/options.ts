import { UsageError } from '../errors.js';
import { wholeNumber } from '../option-values.js';

/** `--delimiter` as users type it: `,` `;` `|`, or `tab` / `\t` for a tab. */
export function parseDelimiter(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value === 'tab' || value === '\\t' || value === '\t') return '\t';
  if ([...value].length === 1 && value !== '"' && value !== '\n' && value !== '\r') return value;
  throw new UsageError('BAD_OPTION', `--delimiter must be one character or "tab", got ${JSON.stringify(value)}`);
}

export function parseIntegerOption(name: string, value: number | string | undefined, min: number, max: number): number | undefined {
  return value === undefined ? undefined : wholeNumber(name, value, min, max);
}
