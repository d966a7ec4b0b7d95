import type { CheckedInput } from '../../input/checked-input.js';
import { writeBatchFiles, type BatchFilesWritten } from './batches.js';
import { writeDuoCsv, type DuoCsvWritten } from './duo-csv.js';
import { applyImport, type ImportSummary, type LiveImportOptions } from './importer.js';

/** How `import` delivers a checked file's valid rows. */
export type ImportMode =
  /** `--duo-csv FILE`: a CSV for Duo's Admin Panel "Import Users" page. */
  | { readonly kind: 'duo-csv'; readonly out: string }
  /** `--out-dir DIR`: bulk_create batch files to send later. */
  | { readonly kind: 'batch-files'; readonly outDir: string; readonly batchSize: number }
  /** `--apply`: into Duo through the Admin API, journaled (importer.ts). */
  | ({ readonly kind: 'apply' } & Omit<LiveImportOptions, 'input'>);

export type ImportOutcome =
  | { readonly kind: 'duo-csv'; readonly written: DuoCsvWritten }
  | { readonly kind: 'batch-files'; readonly written: BatchFilesWritten }
  /** null: the admin said no at the confirmation (nothing written). */
  | { readonly kind: 'apply'; readonly summary: ImportSummary | null };

/**
 * `import`, one call: the checked file's invalid rows written to `rejected` (with --skip-invalid;
 * a refused file never gets here), then its valid rows delivered as the mode says.
 */
export async function runImport<M extends ImportMode>(input: CheckedInput, mode: M, rejected: string): Promise<Extract<ImportOutcome, { kind: M['kind'] }>> {
  if (input.invalidRows.size > 0) await input.writeRejected(rejected);
  return (await deliver(input, mode)) as Extract<ImportOutcome, { kind: M['kind'] }>;
}

async function deliver(input: CheckedInput, mode: ImportMode): Promise<ImportOutcome> {
  switch (mode.kind) {
    case 'duo-csv':
      return { kind: 'duo-csv', written: await writeDuoCsv(() => input.validRows(), mode.out) };
    case 'batch-files':
      return { kind: 'batch-files', written: await writeBatchFiles(input.validRows(), mode.outDir, mode.batchSize) };
    case 'apply': {
      const { kind: _kind, ...options } = mode;
      return { kind: 'apply', summary: await applyImport({ ...options, input }) };
    }
  }
}
