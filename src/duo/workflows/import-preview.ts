import type { DuoUserRow } from '../../csv/duo-row.js';
import { PLAN_ACTIONS, type Plan, type PlanAction } from '../plan/decide.js';
import type { CheckedInput } from '../../input/checked-input.js';

export interface PreviewInput {
  readonly input: CheckedInput;
  readonly batchSize: number;
}

/**
 * What the import will do, counted by the same decision engine and from the same lookups the
 * import makes for each batch (`planBatch` is the import's own): its cost grows with the CSV (one
 * lookup per 100 names), never with the tenant, and memory holds one batch.
 */
export async function previewImport(options: PreviewInput, planBatch: (rows: readonly DuoUserRow[]) => Promise<Plan>): Promise<Record<PlanAction, number>> {
  const summary = Object.fromEntries(PLAN_ACTIONS.map((a) => [a, 0])) as Record<PlanAction, number>;
  for await (const { rows } of options.input.batches(options.batchSize)) {
    if (rows.length === 0) continue;
    const plan = await planBatch(rows);
    for (const action of PLAN_ACTIONS) summary[action] += plan.summary[action];
  }
  return summary;
}
