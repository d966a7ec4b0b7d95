import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';

/** A written CSV read back as objects keyed by header (the BOM removed). */
export function readCsvObjects(path: string): Record<string, string>[] {
  return parse(readFileSync(path), { bom: true, columns: true }) as Record<string, string>[];
}
