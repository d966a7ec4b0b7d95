import { PLAN_ACTIONS, splitFix, type Plan, type PlanAction } from '../../duo/plan/decide.js';
import { count } from '../progress.js';

/** The summary, then the first rows of each class. */
export function renderPlanText(plan: Plan, source: string, shown = 10): string {
  const lines = [`plan against ${source}:`, `  ${shownActions(plan.summary).map((a) => `${a} ${count(plan.summary[a])}`).join(' · ')}`, ''];
  for (const action of PLAN_ACTIONS) {
    const rows = plan.rows.filter((p) => p.action === action);
    if (rows.length === 0) continue;
    lines.push(`${action} (${count(rows.length)})`);
    for (const p of rows.slice(0, shown)) {
      const { reason, fix } = splitFix(p.reason);
      lines.push(`  line ${p.row.line} ${p.row.username || '(blank)'}: ${reason}`, ...(fix === null ? [] : [`    fix: ${fix}`]));
    }
    if (rows.length > shown) lines.push(`  … and ${count(rows.length - shown)} more (all of them with --format json, --out plan.csv or --report plan.html)`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Every action, but `restore` only when a row has it (most tenants have nobody in the Trash). */
export function shownActions(summary: Readonly<Record<PlanAction, number>>): PlanAction[] {
  return PLAN_ACTIONS.filter((a) => a !== 'restore' || summary[a] > 0);
}
