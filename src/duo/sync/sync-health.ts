import { stat } from 'node:fs/promises';
import { writeJsonAtomically } from '../../atomic-file.js';
import { lazyValidator } from '../../lazy-validator.js';
import { ranBy } from '../../ran-by.js';
import type { SyncRunResult } from './run-sync.js';
import { INSTANT, readRegularFile, syncAjv } from './sync-files.js';
import { SYNC_LABELS } from './sync-summary.js';

/**
 * The health of a scheduled sync (issue 29), in one word: what `sync status` exits with and what a
 * notification is sent on a change of. In the order they win: a sync that stopped running (stale)
 * outranks one that waits for an approval (held), which outranks one with rows to look at.
 */
export type HealthLevel = 'stale' | 'held' | 'attention' | 'healthy';

/** `sync status`'s exit code for each level (the contract, §6). */
export const HEALTH_EXIT: Readonly<Record<HealthLevel, 0 | 1 | 4 | 5>> = { healthy: 0, attention: 1, held: 4, stale: 5 };

/** How many names a record keeps of each kind: a message names the first ones, the report has them all. */
export const FIRST_NAMES = 10;

/**
 * One `sync --apply` run as the health file records it: what `sync status` shows and what a
 * message says. Written after every applying run, and after one that failed (exit 3). Times are on
 * the sync's clock (DUO_BRIDGE_SYNC_NOW in a rehearsal), as the state's are.
 */
export interface RunRecord {
  readonly at: string;
  readonly exit: number;
  /** Why the run failed (exit 3): its one-line message. Null when it ran to the end. */
  readonly error: string | null;
  readonly plan_id: string | null;
  readonly read: 'full' | 'changes' | null;
  readonly read_complete: boolean | null;
  /** Actions applied (or attempted), by kind. */
  readonly counts: Readonly<Record<string, number>>;
  readonly failed: number;
  readonly held: number;
  /** The id `--approve` takes; null when nothing is held, or only an incomplete read holds (no approval releases that). */
  readonly hold_id: string | null;
  readonly hold_reasons: readonly string[];
  readonly conflicts: number;
  readonly drift: number;
  /** The hold this run released (`--approve ID`). */
  readonly approved: string | null;
  /** The first FIRST_NAMES of each, as "username: what". */
  readonly first: { readonly held: readonly string[]; readonly failed: readonly string[]; readonly conflicts: readonly string[]; readonly drift: readonly string[] };
  readonly files: { readonly report: string | null; readonly held: string | null; readonly journal: string | null; readonly summary: string | null };
  /** The commands a person pastes next, complete (config, state, --yes): approve the hold, look at the plan. */
  readonly commands: { readonly approve: string | null; readonly plan: string; readonly status: string };
  /** Who ran it: the account and the machine. */
  readonly ran_by: { readonly account: string; readonly machine: string };
  readonly trash_after_days: number;
}

/** What was last said, so that nothing is said twice: the level and key it was said for, and when. */
export interface Notified {
  readonly level: HealthLevel;
  readonly key: string;
  /** When this level and key were first seen. */
  readonly since: string;
  /** When a message was last delivered for them; null: recorded without one (a healthy start says nothing). */
  readonly sent_at: string | null;
}

/** `<state>.health.json`: beside the state, written by `sync --apply` and by `sync status --notify …`. */
export interface HealthFile {
  readonly version: 1;
  readonly host: string;
  /** The AD side, in words (the LDAP server and base, or the LDIF dump). */
  readonly source: string;
  readonly last_run: RunRecord | null;
  /** The last run that read both sides and recorded its outcome (exit 0, 1 or 4): a held run still ran. */
  readonly last_success: RunRecord | null;
  readonly notified: Notified | null;
  /**
   * The --max-age `sync status` last judged staleness by: a sync run judges by it too, so the two
   * never take turns saying the same condition under two names (a failing run, a stale sync).
   */
  readonly max_age_ms: number | null;
}

/** A health file is a few kilobytes; anything much larger is not one (and is never read whole). */
const MAX_HEALTH_BYTES = 1 << 20;

export function healthPathOf(statePath: string): string {
  return `${statePath.replace(/\.json$/, '')}.health.json`;
}

/** The facts of one run a record needs beyond its result. */
export interface RunContext {
  readonly at: Date;
  readonly files: { readonly report: string | null; readonly summary: string | null };
  readonly commands: { readonly approve: (id: string) => string; readonly plan: string; readonly status: string };
  readonly trashAfterDays: number;
  readonly ranBy?: RunRecord['ran_by'];
}

/** The record of a run that ran to the end (exit 0, 1 or 4). */
export function recordOfResult(result: SyncRunResult, context: RunContext): RunRecord {
  const plan = result.plan;
  const counts: Record<string, number> = {};
  for (const a of plan.actions) counts[a.kind] = (counts[a.kind] ?? 0) + 1;
  const failed = (result.applied?.results ?? []).filter((r) => !r.ok);
  return {
    at: context.at.toISOString(), exit: result.exitCode, error: null, plan_id: plan.plan_id, read: result.read.kind, read_complete: plan.read_complete,
    counts, failed: result.failed, held: plan.held.length, hold_id: plan.held.length > 0 ? plan.approve_id : null, hold_reasons: [...plan.hold_reasons],
    conflicts: plan.conflicts.length, drift: plan.drift.length, approved: plan.approved,
    first: {
      held: plan.held.slice(0, FIRST_NAMES).map((a) => `${a.username}: ${SYNC_LABELS[a.kind]}${'reason' in a ? ` (${a.reason})` : a.kind === 'remove_membership' ? ` from ${a.group}` : ''}`),
      failed: failed.slice(0, FIRST_NAMES).map((r) => `${r.action.username}: ${SYNC_LABELS[r.action.kind]} failed: ${r.error}`),
      conflicts: plan.conflicts.slice(0, FIRST_NAMES).map((c) => `${c.username}: ${c.reason}`),
      drift: plan.drift.slice(0, FIRST_NAMES).map((d) => `${d.username}: ${d.detail}`),
    },
    files: { ...context.files, held: result.heldFile, journal: result.journal },
    commands: { approve: plan.held.length > 0 && plan.approve_id !== null ? context.commands.approve(plan.approve_id) : null, plan: context.commands.plan, status: context.commands.status },
    ran_by: context.ranBy ?? ranBy(), trash_after_days: context.trashAfterDays,
  };
}

/** The record of a run that failed (exit 3: AD or Duo unreachable, a read cut off): nothing of it was recorded in the state. */
export function recordOfFailure(message: string, exit: number, context: RunContext): RunRecord {
  return {
    at: context.at.toISOString(), exit, error: message, plan_id: null, read: null, read_complete: null, counts: {}, failed: 0, held: 0, hold_id: null, hold_reasons: [],
    conflicts: 0, drift: 0, approved: null, first: { held: [], failed: [], conflicts: [], drift: [] },
    files: { ...context.files, held: null, journal: null }, commands: { approve: null, plan: context.commands.plan, status: context.commands.status },
    ran_by: context.ranBy ?? ranBy(), trash_after_days: context.trashAfterDays,
  };
}

/** A run that read both sides and recorded what it did. */
export function succeeded(run: RunRecord): boolean {
  return run.error === null && (run.exit === 0 || run.exit === 1 || run.exit === 4);
}

/** The health file after a run: it becomes the last run, and the last success when it is one. */
export function withRun(file: HealthFile, run: RunRecord): HealthFile {
  return { ...file, last_run: run, last_success: succeeded(run) ? run : file.last_success };
}

export type LoadedHealth = { readonly file: HealthFile | null; readonly problem: string | null };

/**
 * Reads the health file: none is a first run (null). A damaged one, or one of another Duo host,
 * is a problem named in a warning and read as none: it only decides what is said, never what is
 * written to Duo, and the next run writes a good one.
 */
export async function loadHealth(path: string, host: string | null): Promise<LoadedHealth> {
  let text: string | null;
  try {
    const size = await stat(path).then((info) => info.size, () => 0);
    if (size > MAX_HEALTH_BYTES) return { file: null, problem: `${path} is ${size} bytes, not a health file: it is rewritten by the next run` };
    text = await readRegularFile(path, 'sync health file');
  } catch (error) {
    return { file: null, problem: `${(error as Error).message}: move it away; until then nothing is recorded there` };
  }
  if (text === null) return { file: null, problem: null };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { file: null, problem: `${path} is not JSON: it is rewritten by the next run` };
  }
  if (!validateHealth(data)) {
    const first = validateHealth.errors?.[0];
    return { file: null, problem: `${path}: ${first ? `${first.instancePath || 'the file'} ${first.message}` : 'not a health file'}: it is rewritten by the next run` };
  }
  const file = { max_age_ms: null, ...(data as object) } as HealthFile;
  if (host !== null && file.host !== '' && file.host !== host) return { file: null, problem: `${path} is of Duo host ${file.host}, not ${host}: it is rewritten by the next run` };
  return { file, problem: null };
}

export async function saveHealth(path: string, file: HealthFile): Promise<void> {
  await writeJsonAtomically(path, file);
}

const text = { type: 'string' } as const;
const names = { type: 'array', items: text, maxItems: FIRST_NAMES } as const;
const nullableText = { type: ['string', 'null'] } as const;
const count = { type: 'integer', minimum: 0 } as const;
const level = { enum: ['stale', 'held', 'attention', 'healthy'] } as const;
const run = {
  anyOf: [{ type: 'null' }, {
    type: 'object',
    required: ['at', 'exit', 'error', 'plan_id', 'read', 'read_complete', 'counts', 'failed', 'held', 'hold_id', 'hold_reasons', 'conflicts', 'drift', 'approved', 'first', 'files', 'commands', 'ran_by', 'trash_after_days'],
    properties: {
      at: INSTANT, exit: { type: 'integer', minimum: 0, maximum: 255 }, error: nullableText, plan_id: nullableText, read: { enum: ['full', 'changes', null] },
      read_complete: { type: ['boolean', 'null'] }, counts: { type: 'object', propertyNames: { pattern: '^[a-z_]+$' }, additionalProperties: count },
      failed: count, held: count, hold_id: nullableText, hold_reasons: { type: 'array', items: text }, conflicts: count, drift: count, approved: nullableText,
      first: { type: 'object', required: ['held', 'failed', 'conflicts', 'drift'], properties: { held: names, failed: names, conflicts: names, drift: names }, additionalProperties: false },
      files: { type: 'object', required: ['report', 'held', 'journal', 'summary'], properties: { report: nullableText, held: nullableText, journal: nullableText, summary: nullableText }, additionalProperties: false },
      commands: { type: 'object', required: ['approve', 'plan', 'status'], properties: { approve: nullableText, plan: text, status: text }, additionalProperties: false },
      ran_by: { type: 'object', required: ['account', 'machine'], properties: { account: text, machine: text }, additionalProperties: false },
      trash_after_days: count,
    },
    additionalProperties: false,
  }],
} as const;
const validateHealth = lazyValidator(() => syncAjv().compile({
  type: 'object',
  required: ['version', 'host', 'source', 'last_run', 'last_success', 'notified'],
  properties: {
    version: { const: 1 }, host: text, source: text, last_run: run, last_success: run,
    notified: { anyOf: [{ type: 'null' }, { type: 'object', required: ['level', 'key', 'since', 'sent_at'], properties: { level, key: text, since: INSTANT, sent_at: { anyOf: [{ type: 'null' }, INSTANT] } }, additionalProperties: false }] },
    max_age_ms: { type: ['integer', 'null'], minimum: 60_000 },
  },
  additionalProperties: false,
}));
