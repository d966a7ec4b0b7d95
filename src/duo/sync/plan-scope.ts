import { nameKey } from '../../names.js';
import { TenantIndex } from '../plan/match-person.js';
import { sharedAdNames } from './ad-values.js';
import type { AdUser, Conflict, Drift, PlanContext, SyncAction, SyncPlan } from './sync-model.js';
import type { ManagedUser } from './sync-state.js';

/** What the sync recorded of a managed user: what it applied, and its leaver's ladder. */
export type Ladder = Pick<ManagedUser, 'applied' | 'missing_since' | 'disabled_by_sync' | 'trashed_by_sync'>;

/** A managed user's Duo user as the plan names it in its actions. */
export interface Base {
  readonly guid: string;
  readonly username: string;
  readonly user_id: string;
}

/**
 * One plan in the making: what it was given, what it derives once (the mapped groups, who is in
 * AD, the tenant's index, built on first use), and what it decides so far. The planner's parts
 * (newcomers.ts, reconcile.ts) read the one and add to the other.
 */
export interface PlanScope {
  readonly context: PlanContext;
  /** The mapped groups (name keys) the sync may change: those a Duo directory sync manages left out. */
  readonly mapped: ReadonlySet<string>;
  readonly index: () => TenantIndex;
  /** AD names two or more AD users share. */
  readonly sharedNames: () => ReadonlyMap<string, string[]>;
  /** user_id → guid of every managed user. */
  readonly managedIds: () => ReadonlyMap<string, string>;
  /** AD users whose values validate refuses (by guid). */
  readonly rejected: ReadonlySet<string>;
  /** Both sides read in full. */
  readonly readComplete: boolean;
  readonly out: {
    readonly actions: SyncAction[];
    readonly conflicts: Conflict[];
    readonly drift: Drift[];
    readonly gone: SyncPlan['gone'][number][];
    readonly untouched: SyncPlan['untouched'][number][];
    readonly notices: string[];
  };
  managed: number;
}

export function planScope(context: PlanContext): PlanScope {
  const { ad, adRead, duo, state, policy } = context;
  const notices: string[] = [];
  const synced = duo.syncedGroups ?? new Set<string>();
  for (const g of policy.mappedGroups) {
    if (synced.has(nameKey(g))) notices.push(`Duo group "${g}" is managed by a Duo directory sync, whose next sync would undo any change: duo-bridge never changes its memberships (map another group)`);
  }
  const duoComplete = (duo.total === null || duo.total === duo.users.size) && duo.problem === undefined;
  return {
    context,
    mapped: new Set(policy.mappedGroups.map(nameKey).filter((g) => !synced.has(g))),
    // Built on first use: a run where nothing is new or renamed (the scheduled run, most days) never pays for them.
    index: lazy(() => new TenantIndex(duo.users.values())),
    sharedNames: lazy(() => sharedAdNames(ad)),
    managedIds: lazy(() => new Map(Object.entries(state.users).map(([guid, m]) => [m.user_id, guid]))),
    rejected: new Set((adRead.rejected ?? []).map((r) => r.guid)),
    readComplete: adRead.problems.length === 0 && duoComplete,
    out: { actions: [], conflicts: [], drift: [], gone: [], untouched: [], notices },
    managed: 0,
  };
}

/** The config protects one of these names (protect-users). */
export function isProtected(scope: PlanScope, names: readonly string[]): boolean {
  return names.some((n) => scope.context.policy.protectUsers.has(nameKey(n)));
}

/** AD holds this person: usable, without a usable username, or with values validate refuses. */
export function inAd(scope: PlanScope, guid: string): boolean {
  return scope.context.ad.has(guid) || scope.context.adRead.unnamed?.has(guid) === true || scope.rejected.has(guid);
}

export function adNames(user: AdUser): string[] {
  return [user.username, ...user.aliases];
}

export function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}
