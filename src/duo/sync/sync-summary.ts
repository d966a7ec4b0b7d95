import type { ActionResult } from './apply-sync.js';
import type { SyncRunResult } from './run-sync.js';
import type { SyncAction, SyncPlan } from './sync-plan.js';

/** Each action as people read it (the text output and the report). */
export const SYNC_LABELS: Readonly<Record<SyncAction['kind'], string>> = {
  adopt: 'adopt', reanchor: 're-anchor', create: 'create', restore: 'restore', enable: 'enable', update: 'update', rename: 'rename',
  add_membership: 'add to group', remove_membership: 'remove from group', disable: 'disable', trash: 'send to Trash',
};

/** A sync run in one object: `--summary-json` writes it; `--format json` adds the plan and the results. */
export interface SyncSummary {
  readonly host: string;
  readonly plan_id: string;
  readonly mode: 'plan' | 'apply';
  readonly exit: number;
  readonly ad_users: number;
  readonly duo_users: number;
  readonly managed: number;
  /** Actions to apply now, by kind (held ones are not counted here). */
  readonly counts: Readonly<Record<string, number>>;
  readonly failed: number;
  readonly held: number;
  readonly hold_reasons: readonly string[];
  readonly conflicts: number;
  readonly drift: number;
  readonly state: string;
  readonly journal: string | null;
  readonly plan_file: string | null;
  readonly held_file: string | null;
  /** How AD was read: in full, or only its changes (`--changes-only`); and why a `--changes-only` run read in full. */
  readonly read: 'full' | 'changes';
  readonly read_why: string | null;
  readonly duo_calls: number;
  readonly duo_writes: number;
  readonly seconds: number;
}

/** What `sync --format json` prints. */
export interface SyncRunJson extends SyncSummary {
  readonly plan: SyncPlan;
  readonly results: readonly ActionResult[] | null;
}

export function syncSummary(result: SyncRunResult, run: { host: string; statePath: string; calls: number; writes: number; seconds: number }): SyncSummary {
  const counts: Record<string, number> = {};
  for (const a of result.plan.actions) counts[a.kind] = (counts[a.kind] ?? 0) + 1;
  return {
    host: run.host, plan_id: result.plan.plan_id, mode: result.mode, exit: result.exitCode,
    ad_users: result.plan.ad_users, duo_users: result.plan.duo_users, managed: result.plan.managed, counts,
    failed: result.failed, held: result.plan.held.length, hold_reasons: result.plan.hold_reasons, conflicts: result.plan.conflicts.length, drift: result.plan.drift.length,
    state: run.statePath, journal: result.journal, plan_file: result.planFile, held_file: result.heldFile,
    read: result.read.kind, read_why: result.read.why,
    duo_calls: run.calls, duo_writes: run.writes, seconds: run.seconds,
  };
}

export function syncRunJson(summary: SyncSummary, result: SyncRunResult): SyncRunJson {
  return { ...summary, plan: result.plan, results: result.applied?.results ?? null };
}
