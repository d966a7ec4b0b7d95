import { nameKey } from '../../names.js';
import { describeUser, type TenantIndex } from '../plan/match-person.js';
import { allNames } from '../tenant/duo-names.js';
import { fingerprint, sha256 } from './ad-values.js';
import { decideNewcomers, placeNewcomers } from './newcomers.js';
import { planScope } from './plan-scope.js';
import { manage } from './reconcile.js';
import { decideHolds } from './safeguards.js';
import { describeNames, type Conflict, type PlanContext, type SyncAction, type SyncPlan } from './sync-model.js';
import { stateDigest, type SyncState } from './sync-state.js';

export * from './sync-model.js';
export { FLAG } from './safeguards.js';

/**
 * The whole sync, decided before the first write: what to create, change, take away and hold.
 * Pure: AD's users, Duo's users, the state and the policy in; the plan out. Who an AD user is in
 * Duo is decided by the same matcher as plan and import (names, email, objectGUID as external_id):
 * a Duo user that is this person by any evidence is adopted, re-anchored or a conflict, never a
 * second account.
 */
export function planSync(context: PlanContext): SyncPlan {
  const { ad, adRead, duo, state, now, only } = context;
  const scope = planScope(context);
  const { actions, conflicts } = scope.out;

  // AD users whose values validate refuses: never created, updated or renamed with them.
  for (const r of adRead.rejected ?? []) conflicts.push({ guid: r.guid, username: r.username, reason: `AD holds a value Duo must not get: ${r.reason}` });

  // AD users nobody manages yet, decided first: a re-anchored Duo user is reconciled as its new AD self.
  // An incremental read has none (it saw only part of the tenant: a newcomer made it a full read).
  const newcomers = only === undefined ? decideNewcomers(scope) : new Map();
  const reanchored = new Set([...newcomers.values()].flatMap((n) => (n.kind === 'reanchor' ? [n.from] : [])));

  // Managed users: reconciled, or deprovisioned when AD no longer has them.
  for (const [guid, m] of Object.entries(state.users)) {
    if (reanchored.has(guid) || (only !== undefined && !only.has(guid))) continue;
    const user = duo.users.get(m.user_id);
    if (user !== undefined) manage(scope, guid, user, m);
    // Forgetting an owned user is destructive: only a complete read of both sides may (never an incremental one).
    else if (scope.readComplete && only === undefined) scope.out.gone.push({ guid, user_id: m.user_id, username: m.applied.username });
    else scope.out.untouched.push({ guid, username: m.applied.username, reason: only === undefined ? 'not in an incomplete read: kept as managed' : 'not found by its user_id: kept as managed; the next full read decides' });
  }
  placeNewcomers(scope, newcomers);

  // Thresholds count against every managed user, whatever part of them this run read.
  const managed = only === undefined ? scope.managed : Object.keys(state.users).length;
  const holds = decideHolds(context, actions, managed);
  const heldSet = new Set(holds.held);
  const toApply = releaseNames(actions.filter((a) => !heldSet.has(a)), scope.index, conflicts);
  const basis: Record<string, string> = {};
  for (const action of actions) basis[action.guid] = fingerprint(ad.get(action.guid), action.user_id === null ? undefined : duo.users.get(action.user_id));
  const stateSha = stateFingerprint(state);
  const madeAt = now.toISOString();
  return {
    plan_id: sha256(JSON.stringify([madeAt, stateSha, toApply, holds.held])).slice(0, 12),
    approve_id: holds.approveId,
    made_at: madeAt,
    host: state.host,
    source: adRead.identity,
    // An incremental read saw only the changed users: the sizes are the last full read's.
    ad_users: only === undefined ? ad.size : state.ad_users ?? ad.size,
    ad_unusable: adRead.unusable,
    duo_users: duo.users.size,
    managed,
    actions: toApply,
    held: holds.held,
    hold_reasons: holds.reasons,
    conflicts,
    drift: scope.out.drift,
    gone: scope.out.gone,
    untouched: scope.out.untouched,
    notices: [...(context.notes ?? []), ...holds.notices, ...scope.out.notices],
    basis,
    state_sha256: stateSha,
    approved: holds.approved,
    read_complete: holds.readComplete,
    source_trusted: holds.trusted,
    baseline: holds.baseline,
  };
}

/**
 * A rename may take a name another Duo user holds only when that user is itself renamed away from
 * it in this run (a swap, a chain): one whose rename is held, or that keeps the name, blocks it,
 * and it waits as a conflict rather than leave a user parked on a temporary name.
 */
function releaseNames(actions: SyncAction[], index: () => TenantIndex, conflicts: Conflict[]): SyncAction[] {
  let kept = actions;
  for (let changed = true; changed; ) {
    changed = false;
    const moving = new Map<string, Set<string>>();
    for (const a of kept) if (a.kind === 'rename') moving.set(a.user_id, new Set(allNames(a.to).map(nameKey)));
    for (const a of kept) {
      if (a.kind !== 'rename') continue;
      const blocked = allNames(a.to).find((n) => {
        const holder = index().byName.get(nameKey(n));
        if (holder === undefined || holder.user_id === a.user_id) return false;
        const keeps = moving.get(holder.user_id);
        return keeps === undefined || keeps.has(nameKey(n));
      });
      if (blocked === undefined) continue;
      const holder = index().byName.get(nameKey(blocked))!;
      conflicts.push({ guid: a.guid, username: a.username, reason: `AD names it ${describeNames(a.to)}, but "${blocked}" is still held by Duo user ${describeUser(holder)}, which this run does not rename away from it` });
      kept = kept.filter((k) => k !== a);
      changed = true;
      break;
    }
  }
  return kept;
}

/** The state a plan was made against, without the run history that every run appends to. */
export function stateFingerprint(state: SyncState): string {
  return stateDigest(state, ['runs', 'last_journal']);
}
