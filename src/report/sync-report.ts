import type { ActionResult } from '../duo/sync/apply-sync.js';
import { thresholdKindOf, type SyncAction } from '../duo/sync/sync-plan.js';
import { actionChanges, SYNC_LABELS, type SyncRunJson } from '../duo/sync/sync-summary.js';
import type { Report, ReportCount, ReportRow } from './report-model.js';
import { counted } from '../counted.js';
import { runFacts, type RunInfo } from './run-facts.js';

/** `sync --report`: the plan (and, after --apply, each action's outcome) of `sync --format json`. */
/** The safeguards in force, in words (sync's policy as the run used it). */
export interface SafeguardsInForce {
  readonly thresholds: Readonly<Record<string, { readonly count: number; readonly percent: number }>>;
  readonly maxShrinkPercent: number;
  readonly trashAfterDays: number;
}

export async function syncReport(json: SyncRunJson, run: RunInfo, approveCommand: (id: string) => string = (id) => `duo-bridge sync --apply --approve ${id} --yes`,
  safeguards: SafeguardsInForce | null = null): Promise<Report> {
  const { plan } = json;
  const outcomes = new Map<SyncAction, ActionResult>();
  const byKey = new Map((json.results ?? []).map((r) => [actionKey(r.action), r]));
  for (const action of plan.actions) {
    const outcome = byKey.get(actionKey(action));
    if (outcome !== undefined) outcomes.set(action, outcome);
  }
  const source = plan.source.base === '' ? `LDIF dump (domain ${plan.source.domain || 'unknown'})` : `${plan.source.base} (domain ${plan.source.domain})`;
  const facts = await runFacts(run, [
    ['sync plan', `${plan.plan_id}${plan.approved === null ? '' : ` (releases what plan ${plan.approved} held)`}`],
    ['mode', json.mode === 'plan' ? 'plan only: nothing was changed'
      : `applied${json.held > 0 ? ` with ${json.held} actions held by a safeguard` : ''}: ${json.results?.filter((r) => r.ok).length ?? 0} done, ${json.failed} failed`],
    ['AD source', `${source}${plan.source.filter === '' ? '' : `, filter ${plan.source.filter}`}`],
    ['users', `AD ${plan.ad_users} · Duo ${plan.duo_users} · managed by this sync ${plan.managed}`],
    ['state', json.state],
    ...(json.journal === null ? [] : [['journal (rollback undoes it)', json.journal] as [string, string]]),
    ['exit code', String(json.exit)],
    ['safeguards', `${plan.held.length === 0 ? 'none fired: nothing was held' : `fired: ${counted(plan.held.length, 'destructive action')} held`}${safeguards === null ? '' : `. In force: ${describeSafeguards(safeguards)}`}`],
  ]);
  const warnings = [
    ...plan.hold_reasons.map((reason) => `Held by a safeguard: ${reason}.`),
    ...(plan.held.length > 0 ? [plan.approve_id === null
      ? 'An incomplete read or an untrusted clock holds them: no approval releases them; the next complete read decides again.'
      : `Once the held actions are reviewed, ${approveCommand(plan.approve_id)} releases exactly them; until then every run holds them.`] : []),
    ...(plan.ad_unusable > 0 ? [`${plan.ad_unusable} AD users have no objectGUID or no username: not synced.`] : []),
    ...(json.failed > 0 ? [`${json.failed} actions failed: see the rows marked failed.`] : []),
  ];
  const counts: ReportCount[] = [
    ...Object.entries(SYNC_LABELS).map(([kind, action]) => ({ action, count: json.counts[kind] ?? 0, risk: destructive(kind as SyncAction['kind']) ? 'destructive' as const : null })),
    ...[...new Set(plan.held.map((a) => a.kind))].map((kind) => ({ action: `held: ${SYNC_LABELS[kind]}`, count: plan.held.filter((a) => a.kind === kind).length, risk: 'held' as const })),
    { action: 'conflict', count: plan.conflicts.length, risk: 'conflict' },
    { action: 'drift', count: plan.drift.length, risk: null },
  ];
  return {
    title: json.mode === 'plan' ? 'Sync plan' : 'Sync run',
    facts,
    counts: counts.filter((c) => c.count > 0),
    warnings,
    rows: function* () {
      for (const action of plan.held) yield { ...actionRow(action), action: `held: ${SYNC_LABELS[action.kind]}`, risk: 'held' };
      for (const action of plan.actions) {
        const row = actionRow(action);
        const outcome = outcomes.get(action);
        yield outcome !== undefined && !outcome.ok ? { ...row, reason: `failed: ${outcome.error ?? 'unknown error'}${row.reason === '' ? '' : ` (${row.reason})`}`, risk: 'failed' } : row;
      }
      for (const c of plan.conflicts) yield { action: 'conflict', user: c.username, userId: '', changes: [], reason: c.reason, where: '', risk: 'conflict' };
      for (const d of plan.drift) {
        yield { action: 'drift', user: d.username, userId: d.user_id, changes: [], reason: `${d.detail} (${d.policy === 'report' ? 'reported only' : 'AD wins'})`, where: '', risk: null };
      }
      for (const u of plan.untouched) yield { action: 'left alone', user: u.username, userId: '', changes: [], reason: u.reason, where: '', risk: null };
      for (const g of plan.gone) yield { action: 'forgotten', user: g.username, userId: g.user_id, changes: [], reason: 'no longer in Duo', where: '', risk: null };
    },
  };
}

function destructive(kind: SyncAction['kind']): boolean {
  return thresholdKindOf({ kind } as SyncAction) !== null;
}

function actionKey(action: SyncAction): string {
  return JSON.stringify([action.kind, action.guid, 'group' in action ? action.group : '']);
}

function actionRow(action: SyncAction): ReportRow {
  return {
    action: SYNC_LABELS[action.kind], user: action.username, userId: action.user_id ?? '', changes: actionChanges(action),
    reason: 'reason' in action ? action.reason : 'how' in action ? action.how : '',
    where: '', risk: destructive(action.kind) ? 'destructive' : null,
  };
}

/** "disable, removal, rename held above 10 and 5% of the managed users; trash above 5 and 2%; …" */
function describeSafeguards(s: SafeguardsInForce): string {
  const groups = new Map<string, string[]>();
  for (const [kind, t] of Object.entries(s.thresholds)) {
    const key = `${t.count} and ${t.percent}%`;
    groups.set(key, [...(groups.get(key) ?? []), kind]);
  }
  const kinds = [...groups].map(([limit, list]) => `${list.join(', ')} held above ${limit} of the managed users`).join('; ');
  return `${kinds}; nothing destructive when AD shrank more than ${s.maxShrinkPercent}% since the last complete read; a leaver goes to the Trash after ${s.trashAfterDays} days disabled`;
}
