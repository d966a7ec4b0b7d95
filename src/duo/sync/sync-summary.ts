import type { ActionResult } from './apply-sync.js';
import type { SyncRunResult } from './run-sync.js';
import type { SyncAction, SyncPlan } from './sync-plan.js';

/** Each action as people read it (the text output and the report). */
export const SYNC_LABELS: Readonly<Record<SyncAction['kind'], string>> = {
  adopt: 'adopt', reanchor: 're-anchor', create: 'create', restore: 'restore', enable: 'enable', update: 'update', rename: 'rename',
  add_membership: 'add to group', remove_membership: 'remove from group', disable: 'disable', trash: 'send to Trash',
};

/** One field an action changes: its value before and after (empty: none). */
export interface ActionChange {
  readonly field: string;
  readonly before: string;
  readonly after: string;
}

/** What an action changes on its user, field by field: the text output, the messages and the report show the same. */
export function actionChanges(action: SyncAction): ActionChange[] {
  const names = (n: { username: string; aliases: Readonly<Record<string, string>> }): [string, string] => [n.username, Object.values(n.aliases).join(', ')];
  switch (action.kind) {
    case 'create': {
      const [username, aliases] = names(action.names);
      return [
        { field: 'username', before: '', after: username },
        ...(aliases === '' ? [] : [{ field: 'aliases', before: '', after: aliases }]),
        ...Object.entries(action.fields).filter(([, v]) => v !== '').map(([field, after]) => ({ field, before: '', after })),
        ...action.groups.map((group) => ({ field: 'group', before: '', after: group })),
      ];
    }
    case 'update':
      return Object.keys(action.after).map((field) => ({ field, before: action.before[field] ?? '', after: action.after[field] ?? '' }));
    case 'rename': {
      const [fromUser, fromAliases] = names(action.from);
      const [toUser, toAliases] = names(action.to);
      return [
        ...(fromUser === toUser ? [] : [{ field: 'username', before: fromUser, after: toUser }]),
        ...(fromAliases === toAliases ? [] : [{ field: 'aliases', before: fromAliases, after: toAliases }]),
      ];
    }
    case 'add_membership':
      return [{ field: 'group', before: '', after: action.group }];
    case 'remove_membership':
      return [{ field: 'group', before: action.group, after: '' }];
    case 'disable':
      return [{ field: 'status', before: action.status ?? 'not disabled', after: 'disabled' }];
    case 'enable':
      return [{ field: 'status', before: action.status ?? 'disabled', after: 'active' }];
    case 'trash':
      return [{ field: 'status', before: 'disabled', after: 'in the Trash' }];
    case 'restore':
      return [{ field: 'status', before: 'in the Trash', after: 'out of the Trash' }];
    case 'adopt':
      return [];
    case 'reanchor':
      return [{ field: 'objectGUID', before: action.from_guid, after: action.guid }];
  }
}

/** One action in one line, saying what changes: "rename adavis → asmith", "remove adavis from group VPN Users". */
export function describeAction(action: SyncAction): string {
  const why = 'reason' in action ? ` (${action.reason})` : '';
  switch (action.kind) {
    case 'create': {
      const details = [action.fields.realname, action.fields.email, ...Object.values(action.names.aliases).map((a) => `alias ${a}`), ...action.groups.map((g) => `group ${g}`)].filter((d) => d !== '');
      return `create ${action.username}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
    }
    case 'adopt':
      return `adopt ${action.username} (${action.how})`;
    case 'reanchor':
      return `re-anchor ${action.username} to objectGUID ${action.guid} (was ${action.from_guid}; ${action.how})`;
    case 'update':
      return `update ${action.username}: ${actionChanges(action).map((c) => `${c.field} ${c.before === '' ? '(empty)' : c.before} → ${c.after === '' ? '(empty)' : c.after}`).join(', ')}`;
    case 'rename':
      return `rename ${action.from.username} → ${action.to.username}${actionChanges(action).filter((c) => c.field === 'aliases').map((c) => `, aliases ${c.before || '(none)'} → ${c.after || '(none)'}`).join('')}`;
    case 'add_membership':
      return `add ${action.username} to group ${action.group}`;
    case 'remove_membership':
      return `remove ${action.username} from group ${action.group}`;
    case 'disable':
      return `disable ${action.username}${why}`;
    case 'enable':
      return `enable ${action.username}${why}`;
    case 'trash':
      return `send ${action.username} to the Trash${why}`;
    case 'restore':
      return `restore ${action.username} from the Trash`;
  }
}

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
  /** The hold this run released (`--approve ID`), or null. */
  readonly approved: string | null;
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
    failed: result.failed, held: result.plan.held.length, hold_reasons: result.plan.hold_reasons, approved: result.plan.approved, conflicts: result.plan.conflicts.length, drift: result.plan.drift.length,
    state: run.statePath, journal: result.journal, plan_file: result.planFile, held_file: result.heldFile,
    read: result.read.kind, read_why: result.read.why,
    duo_calls: run.calls, duo_writes: run.writes, seconds: run.seconds,
  };
}

export function syncRunJson(summary: SyncSummary, result: SyncRunResult): SyncRunJson {
  return { ...summary, plan: result.plan, results: result.applied?.results ?? null };
}
