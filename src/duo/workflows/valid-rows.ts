import type { DuoUserRow } from '../../csv/duo-row.js';
import { DataError } from '../../errors.js';
import { gateRows, type ImportGate } from './import-gate.js';

/** The valid rows of a checked CSV, in memory: plan and migrate look across all rows at once. */
export async function loadValidRows(input: string, gate: ImportGate): Promise<DuoUserRow[]> {
  if (gate.refused) throw new DataError('INPUT_INVALID', `${input} has ${gate.validation.errors} ${gate.validation.errors === 1 ? 'error' : 'errors'}: fix them, or use --skip-invalid`);
  const rows: DuoUserRow[] = [];
  for await (const row of gateRows(input, gate)) if (!gate.invalidRows.has(row.row)) rows.push(row);
  return rows;
}
