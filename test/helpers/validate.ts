import { Readable } from 'node:stream';
import type { Finding } from '../../src/validate/findings.js';
import { validateCsv, type ValidateOptions, type ValidationResult } from '../../src/validate/validate-csv.js';
import { readCsvRecordBatches } from '../../src/csv/read-records.js';

export type CollectedResult = Omit<ValidationResult, 'findings'> & { findings: Finding[] };

/**
 * Validates CSV text (or bytes), fed in chunks of `chunkSize` to exercise chunk boundaries, and
 * collects the streamed findings into an array for the assertions.
 */
export async function validateText(content: string | Buffer, options: ValidateOptions = {}, chunkSize = 0): Promise<CollectedResult> {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const chunks: Buffer[] = [];
  if (chunkSize <= 0) chunks.push(bytes);
  else for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  // The file can be read again, as validate and import read it (the first sightings of repeated names).
  const reread = async () => readCsvRecordBatches(Readable.from(chunks), { delimiter: options.delimiter });
  const result = await validateCsv(Readable.from(chunks), { reread, ...options });
  const findings: Finding[] = [];
  for await (const f of result.findings()) findings.push(f);
  await result.dispose();
  return { ...result, findings };
}

/** The parts of each finding a test asserts on (never the message text). */
export function brief(result: CollectedResult): Array<{ code: string; line: number | null; row: number | null; column: string | null; related_lines: readonly number[] }> {
  return result.findings.map(({ code, line, row, column, related_lines }) => ({ code, line, row, column, related_lines }));
}

export function codes(result: CollectedResult): string[] {
  return result.findings.map((f) => f.code);
}
