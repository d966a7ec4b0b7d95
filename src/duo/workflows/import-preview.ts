import { PLAN_ACTIONS, planRows, type PlanAction } from '../plan/decide.js';
import type { DuoClient } from '../api/client.js';
import type { ImportGate } from './import-gate.js';
import type { ImportState } from './import-state.js';
import { lookupBatch, usersOf, validRowBatches } from './import-batches.js';

export interface PreviewInput {
  readonly input: string;
  readonly delimiter?: string | undefined;
  readonly batchSize: number;
  readonly gate: ImportGate;
  readonly client: DuoClient;
  readonly syncDeleted?: boolean | undefined;
}

/**
 * What the import will do, counted by the same decision engine and from the same lookups the
 * import makes for each batch: its cost grows with the CSV (one lookup per 100 names), never with
 * the tenant, and memory holds one batch.
 */
export async function previewImport(options: PreviewInput, state: ImportState): Promise<Record<PlanAction, number>> {
  const summary = Object.fromEntries(PLAN_ACTIONS.map((a) => [a, 0])) as Record<PlanAction, number>;
  for await (const { rows } of validRowBatches(options.input, options.gate, options.batchSize, options.delimiter)) {
    if (rows.length === 0) continue;
    const plan = planRows(rows, usersOf(await lookupBatch(options.client, rows)), {
      ours: (user) => state.isOurs(user),
      syncDeleted: options.syncDeleted ?? false,
    });
    for (const action of PLAN_ACTIONS) summary[action] += plan.summary[action];
  }
  return summary;
}
