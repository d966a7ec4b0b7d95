import type { TenantDiffJson } from '../duo/tenant/tenant-diff.js';
import { countByAction, type Report, type ReportRow, type Risk } from './report-model.js';
import { runFacts, type RunInfo } from './run-facts.js';

const ORDER = ['created', 'restored', 'changed', 'deleted', 'group created', 'group deleted', 'in the Trash'] as const;

/** `tenant diff --report`: every difference of `tenant diff --format json`, deletions first among what needs attention. */
export async function tenantDiffReport(json: TenantDiffJson, run: RunInfo, includeTrash: boolean): Promise<Report> {
  const rows = (): ReportRow[] => [
    ...json.changes.map((c): ReportRow => ('group' in c
      ? { action: c.kind, user: `group ${c.group}`, userId: '', changes: [], reason: '', where: '', risk: c.kind === 'group deleted' ? 'destructive' : null }
      : {
          action: c.kind, user: c.username, userId: c.user_id, changes: c.changes ?? [], where: '',
          reason: c.kind === 'restored' ? 'taken out of the Trash' : '',
          risk: riskOf(c.kind, c.changes ?? []),
        })),
    ...json.trash.map((t): ReportRow => ({
      action: 'in the Trash', user: t.username, userId: t.user_id, changes: [], where: '', risk: includeTrash ? 'destructive' : null,
      reason: `gone from the tenant${t.until === null ? '' : `; purged for good by ${t.until} at the latest`}${includeTrash ? '' : ' (not counted as a difference)'}`,
    })),
  ];
  return {
    title: 'Tenant diff',
    facts: await runFacts(run, [['compared', `${json.before} → ${json.after}`], ['differences', json.differences === 0 ? 'none' : `${json.differences}: ${json.summary}`]]),
    counts: countByAction(rows(), ORDER),
    warnings: json.trash.length > 0 && !includeTrash ? [`${json.trash.length} users are in Duo's Trash: gone, and deleted for good when the Trash period ends.`] : [],
    rows,
  };
}

/** A deletion, and a change that takes access, a name, a membership or a phone away (as plan and sync count them). */
function riskOf(kind: string, changes: readonly { field: string; before: string; after: string }[]): Risk | null {
  if (kind === 'deleted') return 'destructive';
  const takesAway = changes.some((c) => (c.field === 'status' && c.after === 'disabled') || c.field === 'username' ||
    ((c.field === 'group' || c.field === 'phone' || c.field === 'aliases') && c.after === ''));
  return takesAway ? 'destructive' : null;
}
