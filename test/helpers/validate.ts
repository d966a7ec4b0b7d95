import { Readable } from 'node:stream';
import { validateCsv, type ValidateOptions, type ValidationResult } from '../../src/validate/validate-csv.js';

/** Validates CSV text (or bytes), fed in chunks of `chunkSize` to exercise chunk boundaries. */
export function validateText(content: string | Buffer, options: ValidateOptions = {}, chunkSize = 0): Promise<ValidationResult> {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const chunks: Buffer[] = [];
  if (chunkSize <= 0) chunks.push(bytes);
  else for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return validateCsv(Readable.from(chunks), options);
}

/** The parts of each finding a test asserts on (never the message text). */
export function brief(result: ValidationResult): Array<{ code: string; line: number | null; row: number | null; column: string | null; related_lines: readonly number[] }> {
  return result.findings.map(({ code, line, row, column, related_lines }) => ({ code, line, row, column, related_lines }));
}

export function codes(result: ValidationResult): string[] {
  return result.findings.map((f) => f.code);
}
