import { describe, expect, it } from '@jest/globals';
import { planSync, type AdUser, type PlanContext, type SyncPolicy } from '../../../src/duo/sync/sync-plan.js';
import type { TenantUser } from '../../../src/duo/tenant/tenant.js';
import { emptyState, type ManagedUser, type SyncState } from '../../../src/duo/sync/sync-state.js';
import { adUser, DAY, duoUser, guid, leave, managed, NOW, POLICY, range, SOURCE, world } from '../../helpers/sync-world.js';

const kinds = (plan: ReturnType<typeof planSync>, list: 'actions' | 'held' = 'actions') => plan[list].map((a) => `${a.kind} ${a.username}`);

describe('sync plan: what changes', () => {
  it('is empty when AD and Duo agree', () => {
    const plan = world(5);
    expect(plan.actions).toEqual([]);
    expect(plan.held).toEqual([]);
  });

  it('creates, updates, renames and moves group memberships, anchored on objectGUID', () => {
    const plan = world(5, (w) => {
      w.ad.set(guid(9), adUser(9, { groups: ['VPN'] }));
      w.ad.set(guid(2), adUser(2, { realname: 'New Name' }));
      w.ad.set(guid(3), adUser(3, { username: 'u3-renamed' }));
      w.ad.set(guid(4), adUser(4, { groups: ['VPN'] }));
      w.duo.set('DU5', duoUser(5, { groups: [{ group_id: 'G1', name: 'VPN' }] }));
      (w.state.users as Record<string, ManagedUser>)[guid(5)] = managed(5, { applied: { ...managed(5).applied, groups: ['vpn'] } });
    });
    expect(kinds(plan).sort()).toEqual(['add_membership u4', 'create u9', 'remove_membership u5', 'rename u3', 'update u2'].sort());
  });

  it('disables a leaver at once, sends it to the Trash only after the grace period, and never deletes', () => {
    expect(kinds(world(5, (w) => leave(w, 2)))).toEqual(['disable u2']);
    const disabled = (days: number) => world(5, (w) => {
      leave(w, 2);
      w.duo.set('DU2', duoUser(2, { status: 'disabled' }));
      (w.state.users as Record<string, ManagedUser>)[guid(2)] = managed(2, { missing_since: new Date(NOW.getTime() - days * DAY).toISOString(), disabled_by_sync: NOW.toISOString() });
    });
    expect(kinds(disabled(29))).toEqual([]);
    expect(kinds(disabled(30))).toEqual(['trash u2']);
  });

  it('never takes an AD user whose username attribute went empty for a leaver', () => {
    const plan = world(3, (w) => leave(w, 2), { adRead: { identity: SOURCE, problems: [], doubts: [], unusable: 1, unnamed: new Set([guid(2)]) } });
    expect(plan.actions).toEqual([]);
    expect(plan.untouched.map((u) => `${u.username}: ${u.reason}`)).toEqual(['u2: in AD without a usable value in the username attribute: left as it is']);
  });

  it('re-enables a user the sync disabled, and restores one it trashed, when AD has it enabled again', () => {
    const plan = world(3, (w) => {
      w.duo.set('DU1', duoUser(1, { status: 'disabled' }));
      (w.state.users as Record<string, ManagedUser>)[guid(1)] = managed(1, { disabled_by_sync: NOW.toISOString() });
      w.duo.set('DU2', duoUser(2, { status: 'pending deletion' }));
      (w.state.users as Record<string, ManagedUser>)[guid(2)] = managed(2, { disabled_by_sync: NOW.toISOString(), trashed_by_sync: NOW.toISOString() });
    });
    expect(kinds(plan)).toEqual(['enable u1', 'restore u2', 'enable u2']);
  });

  it('reports a leaver someone re-enabled in Duo instead of disabling it again (status drift: report by default)', () => {
    const plan = world(3, (w) => {
      leave(w, 1);
      (w.state.users as Record<string, ManagedUser>)[guid(1)] = managed(1, { disabled_by_sync: NOW.toISOString(), missing_since: NOW.toISOString(), applied: { ...managed(1).applied, status: 'disabled' } });
    });
    expect(plan.actions).toEqual([]);
    expect(plan.drift.map((d) => `${d.kind} ${d.username}`)).toEqual(['status u1']);
  });

  it('writes AD back over a name edited in Duo (fields drift: AD wins), and reports it', () => {
    const plan = world(3, (w) => w.duo.set('DU1', duoUser(1, { realname: 'Edited In Duo' })));
    expect(kinds(plan)).toEqual(['update u1']);
    expect(plan.drift.map((d) => d.detail)).toEqual(['realname changed in Duo to "Edited In Duo"']);
  });

  it('never touches a protected user or a user a Duo directory sync manages', () => {
    const plan = world(3, (w) => {
      leave(w, 1, 2);
      w.duo.set('DU1', duoUser(1, { username: 'breakglass' }));
      w.duo.set('DU2', duoUser(2, { last_directory_sync: 1_700_000_000 }));
    });
    expect(plan.actions).toEqual([]);
    expect(plan.untouched.map((u) => u.reason)).toEqual(['protected by the config', expect.stringMatching(/directory sync manages it/)]);
  });

  it('leaves a protected group\'s memberships alone, in both directions', () => {
    const plan = world(3, (w) => {
      w.ad.set(guid(1), adUser(1, { groups: ['VPN'] }));
      w.duo.set('DU2', duoUser(2, { groups: [{ group_id: 'G1', name: 'VPN' }] }));
    }, { policy: { ...POLICY, protectGroups: new Set(['vpn']) } });
    expect(plan.actions).toEqual([]);
  });

  it('lists an unmanaged Duo user with an AD user\'s name as a conflict, and adopts it with --adopt', () => {
    const unmanaged = (adopt: boolean) => world(2, (w) => w.duo.set('DU9', duoUser(9)) && w.ad.set(guid(9), adUser(9)), { policy: { ...POLICY, adopt } });
    expect(unmanaged(false).conflicts.map((c) => c.username)).toEqual(['u9']);
    expect(kinds(unmanaged(false))).toEqual([]);
    expect(kinds(unmanaged(true))).toEqual(['adopt u9']);
  });
});

describe('sync plan: safeguards, decided before any write', () => {
  it('holds a kind past its threshold: more than 10 and more than 5 % of managed users', () => {
    expect(world(200, (w) => leave(w, ...range(1, 10))).held).toHaveLength(0);
    const eleven = world(200, (w) => leave(w, ...range(1, 11)));
    expect(eleven.held).toHaveLength(11);
    expect(eleven.hold_reasons).toEqual(['11 disables (5.5% of 200 managed users) is more than 10 and 5%']);
    // 11 of 400 is 2.75 %: not a breach of the percentage.
    expect(world(400, (w) => leave(w, ...range(1, 11))).held).toHaveLength(0);
  });

  it('applies the non-destructive part of a plan whose destructive part is held', () => {
    const plan = world(100, (w) => {
      leave(w, ...range(1, 30));
      w.ad.set(guid(500), adUser(500));
    });
    expect(kinds(plan)).toEqual(['create u500']);
    expect(plan.held).toHaveLength(30);
  });

  it('holds everything destructive when AD returned no users, shrank past max-shrink-percent, or is another source', () => {
    const empty = world(20, (w) => leave(w, ...range(1, 20)));
    expect(empty.hold_reasons).toContainEqual(expect.stringMatching(/AD returned no users/));
    expect(empty.held).toHaveLength(20);
    // Three leavers of 100 is no shrink worth a hold (the last run saw 100).
    expect(world(100, (w) => leave(w, ...range(1, 3))).held).toHaveLength(0);
    const shrunk = world(100, (w) => {
      leave(w, ...range(1, 3));
      (w.state as { ad_users: number }).ad_users = 130;
    });
    expect(shrunk.hold_reasons).toEqual([expect.stringMatching(/25% fewer than the last complete read's 130/)]);
    const moved = world(100, (w) => {
      leave(w, 1);
      (w.state as { source: unknown }).source = { ...SOURCE, filter: '(department=Sales)' };
    });
    expect(moved.hold_reasons).toEqual([expect.stringMatching(/source differs/)]);
  });

  it('holds everything destructive when a read is incomplete, and no approval releases it', () => {
    const partial = world(100, (w) => leave(w, 1), { adRead: { identity: SOURCE, problems: ['2 referrals to other directories were not followed'], doubts: [], unusable: 0 } });
    expect(partial.hold_reasons).toEqual(['the AD read is incomplete: 2 referrals to other directories were not followed']);
    const short = planSync({
      ad: new Map([[guid(2), adUser(2)]]), adRead: { identity: SOURCE, problems: [], doubts: [], unusable: 0 }, duo: { users: new Map([['DU1', duoUser(1)], ['DU2', duoUser(2)]]), total: 300 },
      state: { ...emptyState('h'), source: SOURCE, users: { [guid(1)]: managed(1), [guid(2)]: managed(2) }, ad_users: 2 }, firstRun: false, policy: POLICY, now: NOW,
    });
    expect(short.hold_reasons).toEqual(["Duo's listing returned 2 users but says it holds 300"]);
  });

  it('keeps holding while an earlier hold is unapproved; --approve releases exactly that plan\'s held actions; --max-disables lifts one kind for one run', () => {
    const first = world(100, (w) => leave(w, ...range(1, 12)));
    expect(first.held).toHaveLength(12);
    const blocked = (change: (w: { ad: Map<string, AdUser> }) => void, context: Partial<PlanContext> = {}) => world(100, (w) => {
      change(w);
      (w.state as { blocked: SyncState['blocked'] }).blocked = { plan_id: first.approve_id!, since: NOW.toISOString(), reasons: first.hold_reasons, held: first.held.map((a) => ({ kind: a.kind, guid: a.guid, user_id: a.user_id, username: a.username, detail: 'not in AD' })) };
    }, context);
    // A later run with one small leaver is still held: the state is blocked.
    expect(blocked((w) => leave(w, 1)).hold_reasons).toEqual([expect.stringMatching(/earlier run's hold \([0-9a-f]{12}\) is not approved/)]);
    const approved = blocked((w) => leave(w, ...range(1, 13)), { approve: first.approve_id! });
    expect(approved.approved).toBe(first.approve_id);
    expect(kinds(approved)).toHaveLength(13);
    expect(approved.held).toHaveLength(0);
    const overridden = blocked((w) => leave(w, ...range(1, 12)), { overrides: { kinds: { disable: 12 } } });
    expect(overridden.held).toHaveLength(0);
    expect(blocked((w) => leave(w, ...range(1, 12)), { overrides: { kinds: { disable: 11 } } }).held).toHaveLength(12);
  });

  it('deprovisions nothing on a first run (no state): what it adopts waits for approval', () => {
    const plan = planSync({
      ad: new Map([[guid(1), adUser(1, { enabled: false })]]), adRead: { identity: SOURCE, problems: [], doubts: [], unusable: 0 }, duo: { users: new Map([['DU1', duoUser(1)]]), total: 1 },
      state: emptyState('h'), firstRun: true, policy: { ...POLICY, adopt: true }, now: NOW,
    });
    expect(kinds(plan)).toEqual(['adopt u1']);
    expect(kinds(plan, 'held')).toEqual(['disable u1']);
    expect(plan.hold_reasons).toEqual([expect.stringMatching(/no sync state yet/)]);
  });
});

describe('sync plan: who a person is, and what an incomplete read may not do', () => {
  const plan = ({ ad, duo, policy = POLICY }: { ad: Map<string, AdUser>; duo: Map<string, TenantUser>; policy?: SyncPolicy }) => planSync({
    ad, adRead: { identity: SOURCE, problems: [], doubts: [], unusable: 0 }, duo: { users: duo, total: duo.size }, state: { ...emptyState('h'), source: SOURCE },
    firstRun: false, policy, now: NOW,
  });

  it('an AD user whose email or objectGUID a Duo user holds is a conflict or an adoption, never a create', () => {
    const ad = new Map([[guid(1), adUser(1, { username: 'adavis' })], [guid(2), adUser(2, { username: 'bbrown', email: 'b@x' })]]);
    const duo = new Map([['DU1', duoUser(1, { username: 'u1@corp.example' })], ['DU2', duoUser(2, { username: 'bob.brown', email: 'other@x', external_id: guid(2).toUpperCase() })]]);
    const found = plan({ ad, duo });
    expect(found.actions).toEqual([]);
    expect(found.conflicts.map((c) => c.reason)).toEqual([expect.stringMatching(/matched by email u1@corp\.example/), expect.stringMatching(/matched by objectGUID .* \(its external_id\)/)]);
    expect(kinds(plan({ ad, duo, policy: { ...POLICY, adopt: true } })).filter((k) => k.startsWith('adopt'))).toEqual(['adopt u1@corp.example', 'adopt bob.brown']);
  });

  it('two AD users with one email are both conflicts, not two Duo users', () => {
    const ad = new Map([[guid(1), adUser(1, { email: 'shared@x' })], [guid(2), adUser(2, { email: 'SHARED@x' })]]);
    const shared = plan({ ad, duo: new Map() });
    expect(shared.actions).toEqual([]);
    expect(shared.conflicts).toHaveLength(2);
  });

  it('an incomplete Duo listing forgets no one and holds creates and adoptions with everything destructive', () => {
    const complete = world(5, (w) => {
      w.duo.delete('DU1');
      leave(w, 2);
      w.ad.set(guid(9), adUser(9));
    });
    expect(complete.gone.map((g) => g.username)).toEqual(['u1']);
    const incomplete = world(5, (w) => {
      w.duo.delete('DU1');
      leave(w, 2);
      w.ad.set(guid(9), adUser(9));
    }, { adRead: { identity: SOURCE, problems: ['1 referral to other directories was not followed'], doubts: [], unusable: 0 } });
    expect(incomplete.gone).toEqual([]);
    expect(incomplete.actions).toEqual([]);
    expect(kinds(incomplete, 'held').sort()).toEqual(['create u9', 'disable u2']);
    expect(incomplete.approve_id).toBeNull();
    expect(incomplete.notices).toEqual([expect.stringMatching(/no ownership changes until a complete read/)]);
  });

  it('the approval id names the held set: the same set is the same id, a grown one another', () => {
    const twelve = world(100, (w) => leave(w, ...range(1, 12)));
    const again = world(100, (w) => leave(w, ...range(1, 12)));
    const more = world(100, (w) => leave(w, ...range(1, 13)));
    expect(again.approve_id).toBe(twelve.approve_id);
    expect(again.plan_id).toBe(twelve.plan_id);
    expect(more.approve_id).not.toBe(twelve.approve_id);
  });

  it('destructive counts add up over the last 7 days of runs; approved runs and older ones do not count', () => {
    const run = (daysAgo: number, disables: number, approved: string | null = null) => ({ at: new Date(NOW.getTime() - daysAgo * DAY).toISOString(), plan_id: 'p', mode: 'apply' as const, exit: 0, counts: { disable: disables }, held: 0, approved });
    const withRuns = (runs: ReturnType<typeof run>[]) => world(100, (w) => {
      leave(w, 1, 2, 3);
      (w.state as { runs: unknown }).runs = runs;
    });
    expect(withRuns([run(1, 4), run(2, 4)]).held).toHaveLength(3);
    expect(withRuns([run(1, 4), run(2, 4)]).hold_reasons).toEqual([expect.stringMatching(/3 disables with the 8 of the last 7 days/)]);
    expect(withRuns([run(1, 4), run(8, 4)]).held).toHaveLength(0);
    expect(withRuns([run(1, 4, 'abc'), run(2, 4, 'abc')]).held).toHaveLength(0);
  });

  it('a clock that cannot be trusted holds everything destructive, and no approval releases it', () => {
    const behind = world(10, (w) => leave(w, 1), { clockProblems: ["this run's clock is behind the last run's"] });
    expect(kinds(behind, 'held')).toEqual(['disable u1']);
    expect(behind.approve_id).toBeNull();
  });

  it('a managed user that is gone from AD and re-created with a new objectGUID is re-anchored with --adopt, else a conflict', () => {
    const recreated = (adopt: boolean) => world(5, (w) => {
      leave(w, 3);
      w.ad.set(guid(33), adUser(3, { guid: guid(33) }));
      (w.state.users as Record<string, ManagedUser>)[guid(3)] = managed(3, { disabled_by_sync: NOW.toISOString(), missing_since: NOW.toISOString(), applied: { ...managed(3).applied, status: 'disabled' } });
      w.duo.set('DU3', duoUser(3, { status: 'disabled' }));
    }, { policy: { ...POLICY, adopt } });
    const plain = recreated(false);
    expect(plain.conflicts.map((c) => c.reason)).toEqual([expect.stringMatching(/run "sync --adopt" to re-anchor it/)]);
    expect(kinds(recreated(true))).toEqual(['reanchor u3', 'enable u3']);
  });
});

