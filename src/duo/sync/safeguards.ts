import { counted } from '../../counted.js';
import { createHash } from 'node:crypto';
import { heldActionOf, heldKey, isOwnershipAction, THRESHOLD_KINDS, thresholdKindOf, type PlanContext, type SyncAction, type ThresholdKind } from './sync-model.js';
import type { SourceIdentity } from './sync-state.js';

/** Destructive counts are also summed over this many days of runs: many small runs can't erode a tenant unseen. */
export const WINDOW_DAYS = 7;
const DAY_MS = 86_400_000;

export interface Holds {
  readonly held: readonly SyncAction[];
  readonly reasons: readonly string[];
  /** The id of the held set `--approve` released in this run, if any. */
  readonly approved: string | null;
  /** A digest of exactly the held actions (null: none held, or only what no approval can release). */
  readonly approveId: string | null;
  /** Neither side's read is short and the clock is sane. */
  readonly readComplete: boolean;
  /** readComplete, and the source is the state's or the admin accepted the change: the AD size is the new baseline. */
  readonly baseline: boolean;
  /** baseline, and nothing doubtful about the source left unapproved: absences count. */
  readonly trusted: boolean;
  readonly notices: readonly string[];
}

/**
 * Decided on the whole plan before any write. Three kinds of reason hold actions:
 * - what no one can override: an incomplete read of either side, a clock that can't be trusted.
 *   Everything destructive, changing ownership or a status waits for a complete read;
 * - what needs its own one-run override, an approval not being enough: AD shrank more than
 *   max-shrink-percent (`--max-shrink-percent`), the source changed (`--accept-source-change`);
 * - what an approval releases: a doubtful source (a mapped group without members, no state),
 *   a kind over its threshold in this run or over the last WINDOW_DAYS, an earlier hold not approved.
 * An approval releases exactly the actions of the held set whose id it names, from the third kind only.
 */
export function decideHolds(context: PlanContext, actions: readonly SyncAction[], managed: number): Holds {
  const { state, policy, adRead, duo, ad, overrides = {} } = context;
  const notices: string[] = [];
  const readProblems = [
    ...adRead.problems.map((p) => `the AD read is incomplete: ${p}`),
    ...(duo.total !== null && duo.total !== duo.users.size ? [`Duo's listing returned ${duo.users.size} users but says it holds ${duo.total}`] : []),
    ...(duo.problem === undefined ? [] : [`Duo's listing is incomplete: ${duo.problem}`]),
    ...(context.clockProblems ?? []),
  ];
  for (const problem of readProblems) notices.push(`${problem}: nothing is taken away and no ownership changes until a complete read`);

  const fixed: string[] = [];
  const shrinkPercent = overrides.shrinkPercent ?? policy.maxShrinkPercent;
  // An incremental read is not the directory's size: nobody leaves the selection in one (that makes it a full read).
  const partial = context.only !== undefined;
  if (!partial && state.ad_users !== null && state.ad_users > 0 && ad.size < state.ad_users * (1 - shrinkPercent / 100)) {
    fixed.push(`AD returned ${ad.size} users, ${Math.round(100 - (100 * ad.size) / state.ad_users)}% fewer than the last complete read's ${state.ad_users} ` +
      `(max-shrink-percent ${shrinkPercent}; if this is expected, run once with --max-shrink-percent N)`);
  }
  if (state.source !== null && !sameSource(state.source, adRead.identity) && !overrides.sourceChange) {
    fixed.push(`the source differs from the last run's (${describeSource(state.source)} → ${describeSource(adRead.identity)}; if this is intended, run once with --accept-source-change)`);
  }
  const approvable: string[] = [...adRead.doubts];
  // A rebuilt state's marks come from journals, which don't see a status changed by hand since.
  const enables = context.rebuilt ? actions.filter((a) => a.kind === 'enable') : [];
  if (ad.size === 0 && !partial) approvable.push('AD returned no users');
  if (context.firstRun) approvable.push('no sync state yet (a first run, or the state was lost): nothing is taken away until approved');

  const readComplete = readProblems.length === 0;
  // An empty read is never a baseline: it would make the real directory look like a new source.
  const baseline = readComplete && fixed.length === 0 && ad.size > 0 && !partial;

  const destructive = actions.filter((a) => thresholdKindOf(a) !== null);
  const ownership = actions.filter(isOwnershipAction);
  const heldActions = new Set<SyncAction>();
  const reasons: string[] = [];
  const hold = (list: readonly SyncAction[], reason: string): void => {
    if (list.length === 0) return;
    for (const a of list) heldActions.add(a);
    reasons.push(reason);
  };

  if (!readComplete) {
    // A read that may have missed users or attributes decides no status either: a dump without
    // userAccountControl would "enable" every user AD disabled.
    const statuses = actions.filter((a) => a.kind === 'enable' || a.kind === 'restore');
    hold([...ownership, ...destructive, ...statuses], readProblems.join('; '));
    return finish(context, actions, heldActions, reasons, null, { readComplete, baseline, trusted: false, notices, blockable: false });
  }

  const blocked = state.blocked;
  let approved: string | null = null;
  const approvedKeys = new Set<string>();
  if (context.approve !== undefined && blocked !== null && blocked.plan_id === context.approve) {
    approved = blocked.plan_id;
    for (const h of blocked.held) approvedKeys.add(heldKey(h));
  }
  const isApproved = (a: SyncAction): boolean => approvedKeys.has(heldKey(heldActionOf(a)));

  // A re-anchor binds a managed Duo user to another AD object: only on a source above doubt, or approved.
  const reanchors = ownership.filter((a) => a.kind === 'reanchor');
  if (fixed.length > 0) hold([...destructive, ...reanchors], fixed.join('; '));
  const open = [...destructive, ...reanchors].filter((a) => !isApproved(a));
  if (approvable.length > 0) hold(open, approvable.join('; '));
  hold(enables.filter((a) => !isApproved(a)), 'the state was rebuilt from the run journals, which cannot tell whether a disable is still the sync\'s: review these enables');
  // Whatever an earlier hold named stays held until that hold is approved (enables held on a rebuilt state too).
  if (blocked !== null && approved === null) {
    const earlier = new Set(blocked.held.map(heldKey));
    hold(actions.filter((a) => a.kind === 'enable' && earlier.has(heldKey(heldActionOf(a)))), `an earlier run's hold (${blocked.plan_id}) is not approved: review it, then approve it: sync --apply --approve ${blocked.plan_id} --yes, with the scheduled run's --config and --state`);
  }

  const since = context.now.getTime() - WINDOW_DAYS * DAY_MS;
  const recent = state.runs.filter((r) => {
    const at = Date.parse(r.at);
    return at >= since && at <= context.now.getTime() && !r.approved;
  });
  for (const kind of THRESHOLD_KINDS) {
    const ofKind = open.filter((a) => thresholdKindOf(a) === kind && !heldActions.has(a));
    if (ofKind.length === 0) continue;
    const override = overrides.kinds?.[kind];
    const { count, percent } = policy.thresholds[kind];
    const before = recent.reduce((sum, r) => sum + (r.counts[ACTION_OF[kind]] ?? 0), 0);
    const total = ofKind.length + before;
    const share = managed === 0 ? 100 : (100 * total) / managed;
    if (override !== undefined) {
      if (ofKind.length > override) hold(ofKind, `${counted(ofKind.length, SINGULAR[kind], PLURAL[kind])} is more than --max-${FLAG[kind]} ${override}`);
    } else if (total > count && share > percent) {
      const window = before > 0 ? ` with the ${before} of the last ${WINDOW_DAYS} days` : '';
      hold(ofKind, `${counted(ofKind.length, SINGULAR[kind], PLURAL[kind])}${window} (${share.toFixed(1)}% of ${counted(managed, 'managed user')}) is more than ${count} and ${percent}%`);
    } else if (blocked !== null && approved === null) {
      hold(ofKind, `an earlier run's hold (${blocked.plan_id}) is not approved: review it, then approve it: sync --apply --approve ${blocked.plan_id} --yes, with the scheduled run's --config and --state`);
    }
  }
  // A hold is one incident: while anything is held, nothing destructive goes that no approval released.
  if (heldActions.size > 0) hold(destructive.filter((a) => !heldActions.has(a) && !isApproved(a)), 'other actions of this run are held: nothing destructive goes until they are approved');
  const trusted = baseline && (approvable.length === 0 || approved !== null);
  return finish(context, actions, heldActions, reasons, approved, { readComplete, baseline, trusted, notices, blockable: true });
}

/** An ownership action held takes the user's other actions with it: they assume the user is ours. */
function finish(
  context: PlanContext,
  actions: readonly SyncAction[],
  heldActions: Set<SyncAction>,
  reasons: string[],
  approved: string | null,
  facts: { readComplete: boolean; baseline: boolean; trusted: boolean; notices: string[]; blockable: boolean },
): Holds {
  const pending = new Set([...heldActions].filter(isOwnershipAction).map((a) => a.guid));
  for (const a of actions) if (pending.has(a.guid)) heldActions.add(a);
  const held = actions.filter((a) => heldActions.has(a));
  const approveId = held.length > 0 && facts.blockable ? heldSetId(context.state.host, held) : null;
  const blocked = context.state.blocked;
  if (approveId !== null && blocked !== null && blocked.plan_id !== approveId && approved === null) {
    facts.notices.push(`the held actions changed since ${blocked.plan_id} was held: review them again and approve ${approveId}`);
  }
  return { held, reasons: [...new Set(reasons)], approved, approveId, readComplete: facts.readComplete, baseline: facts.baseline, trusted: facts.trusted, notices: facts.notices };
}

/** The id an approval names: a digest of the held actions themselves, so it can only ever release what the admin saw. */
export function heldSetId(host: string, held: readonly SyncAction[]): string {
  const keys = held.map((a) => heldKey(heldActionOf(a))).sort();
  return createHash('sha256').update(JSON.stringify([host, keys])).digest('hex').slice(0, 12);
}

const ACTION_OF: Record<ThresholdKind, string> = { disable: 'disable', trash: 'trash', removal: 'remove_membership', rename: 'rename' };
const PLURAL: Record<ThresholdKind, string> = { disable: 'disables', trash: 'sends to the Trash', removal: 'membership removals', rename: 'renames' };
const SINGULAR: Record<ThresholdKind, string> = { disable: 'disable', trash: 'send to the Trash', removal: 'membership removal', rename: 'rename' };
export const FLAG: Record<ThresholdKind, string> = { disable: 'disables', trash: 'trashes', removal: 'removals', rename: 'renames' };

function sameSource(a: SourceIdentity, b: SourceIdentity): boolean {
  return a.domain === b.domain && a.base.toLowerCase() === b.base.toLowerCase() && a.filter === b.filter;
}

function describeSource(s: SourceIdentity): string {
  return `${s.domain || '(no domain)'}${s.base ? ` base ${s.base}` : ''} filter ${s.filter}`;
}
