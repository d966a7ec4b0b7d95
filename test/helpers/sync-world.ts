import { planSync, type AdUser, type PlanContext, type SyncPlan, type SyncPolicy } from '../../src/duo/sync/sync-plan.js';
import { emptyState, type ManagedUser, type SyncState } from '../../src/duo/sync/sync-state.js';
import type { TenantUser } from '../../src/duo/tenant/tenant.js';

/** The sync planner's test world: n users in AD and Duo, managed and in step, and the plan made of it. */
export const HOST = 'api-test.duosecurity.com';
export const NOW = new Date('2026-12-02T12:00:00Z');
export const DAY = 86_400_000;
export const SOURCE = { domain: 'corp.example', base: '', filter: '(objectClass=user)' };
export const POLICY: SyncPolicy = {
  trashAfterDays: 30,
  thresholds: { disable: { count: 10, percent: 5 }, trash: { count: 10, percent: 5 }, removal: { count: 10, percent: 5 }, rename: { count: 10, percent: 5 } },
  maxShrinkPercent: 20,
  protectUsers: new Set(['breakglass']),
  protectGroups: new Set(),
  drift: { status: 'report', fields: 'ad-wins', names: 'ad-wins', groups: 'ad-wins' },
  mappedGroups: ['VPN'],
  adopt: false,
  syncDeleted: false,
};

export const guid = (i: number) => `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`;
export const adUser = (i: number, extra: Partial<AdUser> = {}): AdUser => ({
  guid: guid(i), dn: `CN=u${i},DC=corp,DC=example`, username: `u${i}`, aliases: [], realname: `User ${i}`, firstname: 'User', lastname: String(i),
  email: `u${i}@corp.example`, enabled: true, groups: [], ...extra,
});
export const duoUser = (i: number, extra: Partial<TenantUser> = {}): TenantUser => ({
  user_id: `DU${i}`, username: `u${i}`, aliases: {}, email: `u${i}@corp.example`, realname: `User ${i}`, firstname: 'User', lastname: String(i), status: 'active',
  notes: null, last_directory_sync: null, external_id: null, is_enrolled: false, phones: [], groups: [], tokens: [], ...extra,
});
export const managed = (i: number, extra: Partial<ManagedUser> = {}): ManagedUser => ({
  user_id: `DU${i}`, origin: 'created',
  applied: { username: `u${i}`, aliases: {}, realname: `User ${i}`, firstname: 'User', lastname: String(i), email: `u${i}@corp.example`, status: 'active', groups: [] },
  ...extra,
});

export type World = { ad: Map<string, AdUser>; duo: Map<string, TenantUser>; state: SyncState };

/** n managed users in AD and Duo, in sync; `change` edits the picture; the plan made of it. */
export function world(n: number, change: (w: World) => void = () => undefined, context: Partial<PlanContext> = {}): SyncPlan {
  const ad = new Map<string, AdUser>();
  const duo = new Map<string, TenantUser>();
  const users: Record<string, ManagedUser> = {};
  for (let i = 1; i <= n; i++) {
    ad.set(guid(i), adUser(i));
    duo.set(`DU${i}`, duoUser(i));
    users[guid(i)] = managed(i);
  }
  const w = { ad, duo, state: { ...emptyState(HOST), source: SOURCE, users, ad_users: n } as SyncState };
  change(w);
  return planSync({
    ad: w.ad, adRead: { identity: SOURCE, problems: [], doubts: [], unusable: 0 }, duo: { users: w.duo, total: w.duo.size }, state: w.state,
    firstRun: false, policy: POLICY, now: NOW, ...context,
  });
}

export const leave = (w: Pick<World, 'ad'>, ...ids: number[]): void => ids.forEach((i) => w.ad.delete(guid(i)));
export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
