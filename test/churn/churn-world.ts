import { existsSync, readFileSync } from 'node:fs';
import { nameKey } from '../../src/names.js';
import type { SyncRunResult } from '../../src/duo/sync/run-sync.js';
import type { SyncPlan } from '../../src/duo/sync/sync-plan.js';
import { guidOf, type AdPerson, type Dump } from './churn-ad.js';
import { ChurnDuo, TRASHED, type Change, type Snapshot, type UserView } from './churn-duo.js';
import type { History } from './churn-history.js';

/**
 * What the simulation knows that sync may have forgotten or never known: who each Duo user is
 * (the model's own ownership, from sync's creates and adoptions), who last wrote each value, what
 * an admin disabled, what was printed for approval, and when each AD user went missing.
 */
export class World {
  readonly duo = new ChurnDuo();
  /** AD now, by id. */
  readonly people = new Map<number, AdPerson>();
  /** People who left AD (they may come back, same objectGUID). */
  readonly leavers: AdPerson[] = [];
  nextId = 1;
  counter = 0;
  /** Model ownership: AD objectGUID → the Duo user sync created or adopted for it. */
  readonly binding = new Map<string, string>();
  /** Every user a sync run created, with the journal of the run that did. */
  readonly createdBy = new Map<string, string>();
  /** A re-created account's objectGUID → the one it replaced. */
  readonly recreatedFrom = new Map<string, string>();
  /** Last writer of each user's value ("user_id field" → "sync:JOURNAL", "rollback:JOURNAL", "admin"). */
  readonly writer = new Map<string, string>();
  /**
   * Whose value each user's value is, as a rollback can know it: the last writer, except that an
   * admin who sets a value back to what a run wrote (disabled, then enabled again) leaves it that
   * run's — rollback compares values (contract §6), and no value tells the two apart. Drift is
   * judged by `writer`: the admin did act.
   */
  readonly valueOwner = new Map<string, string>();
  /** The value a run (sync or rollback) last wrote to each user's value, and which run. */
  private readonly runWrote = new Map<string, { tag: string; value: string }>();
  /** The status sync and Duo last agreed on (sync wrote it, or Duo showed what AD wanted after a run). */
  readonly agreed = new Map<string, string>();
  /** Each user's status as the last run that read all of Duo saw it (after its writes). */
  readonly syncSaw = new Map<string, string>();
  /** Users an admin disabled by hand (until someone other than sync enables them). */
  readonly adminDisabled = new Set<string>();
  /** Plans whose held actions were printed (exit 4): what an admin could approve, as they saw it. */
  readonly printed: { approveId: string; held: Set<string>; day: number }[] = [];
  /** Journals of sync runs (finished or killed), in order: what a rollback may pick. */
  readonly journals: string[] = [];
  /** AD objectGUID → when (sync clock, ms) a complete dump first lacked it. */
  readonly missingSince = new Map<string, number>();
  /** Users in the last complete read of a run that finished. */
  baseline: number | null = null;
  rollbacks: { day: number; journal: string }[] = [];
  readonly notes: string[] = [];
  /** AD's change counter (a DirSync cookie stands for one), and the value it had when each person last changed. */
  adVersion = 0;
  readonly changedAt = new Map<number, number>();

  constructor(readonly history: History, readonly statePath: string, readonly ldifPath: string, readonly trashAfterDays: number, readonly maxShrinkPercent: number) {}

  guidOfUser(userId: string): string | undefined {
    for (const [guid, id] of this.binding) if (id === userId) return guid;
    return undefined;
  }

  personByGuid(guid: string): AdPerson | undefined {
    for (const p of this.people.values()) if (guidOf(p.id) === guid) return p;
    return undefined;
  }

  /** "alice (DU…, AD u7)" — how a message names a user. */
  describeUser(userId: string, view?: UserView): string {
    const guid = this.guidOfUser(userId);
    const person = guid === undefined ? undefined : this.personByGuid(guid);
    const name = view?.username ?? this.duo.engine.users.get(userId)?.username ?? '?';
    return `${name} (${userId}${guid === undefined ? ', not owned' : `, AD ${person?.sam ?? 'absent'} guid ${guid}`})`;
  }

  /**
   * Genuine status drift, which a summary's drift may excuse: an admin set the status by hand last,
   * and either disabled the user (sync never enables that, even once AD agrees) or enabled it
   * since sync and Duo last agreed. A rollback's status is not drift: after a rollback, the
   * following runs converge to what AD says.
   */
  genuineStatusDrift(userId: string, status: string): boolean {
    return this.writer.get(`${userId} status`) === 'admin' && (status === 'disabled' || this.agreed.get(userId) !== status);
  }

  /** The state file's ownership: objectGUID → user_id (today's state format: `users`). */
  stateUsers(): Map<string, string> {
    if (!existsSync(this.statePath)) return new Map();
    const state = JSON.parse(readFileSync(this.statePath, 'utf8')) as { users?: Record<string, { user_id: string }> };
    return new Map(Object.entries(state.users ?? {}).map(([guid, m]) => [guid, m.user_id]));
  }

  record(changes: readonly Change[], tag: string): void {
    for (const c of changes) {
      if (c.field === 'created') {
        for (const f of ['status', 'username', 'aliases', 'realname', 'firstname', 'lastname', 'email', 'groups']) this.writer.set(`${c.user_id} ${f}`, tag);
        continue;
      }
      if (c.field === 'vanished') continue;
      // Sync putting back an admin's disable (after taking the user out of the Trash) leaves it the admin's.
      const putBack = c.field === 'status' && c.to === 'disabled' && tag.startsWith('sync:') && this.adminDisabled.has(c.user_id);
      const key = `${c.user_id} ${c.field}`;
      const value = JSON.stringify(c.to);
      const run = this.runWrote.get(key);
      const restored = tag === 'admin' && run !== undefined && run.value === value;
      this.writer.set(key, putBack ? 'admin' : tag);
      this.valueOwner.set(key, restored ? run.tag : tag);
      if (tag !== 'admin') this.runWrote.set(key, { tag, value });
      if (c.field === 'status') {
        if (tag.startsWith('sync:')) this.agreed.set(c.user_id, c.to);
        // An admin who enables a user the sync disabled and disables it again before any run saw it
        // enabled leaves nothing a sync can see (Duo keeps no history it reads): the disable stays the sync's.
        const unseen = this.agreed.get(c.user_id) === 'disabled' && this.syncSaw.get(c.user_id) === 'disabled';
        if (c.to === 'disabled' && tag === 'admin' && !unseen) this.adminDisabled.add(c.user_id);
        if (c.to !== 'disabled' && !tag.startsWith('sync:')) this.adminDisabled.delete(c.user_id);
      }
    }
  }

  bind(guid: string, userId: string): void {
    for (const [g, id] of [...this.binding]) if (id === userId && g !== guid) this.binding.delete(g);
    this.binding.set(guid, userId);
  }
}

/** Everything the invariants look at after one sync run. */
export interface RunCheck {
  readonly day: number;
  readonly label: string;
  readonly at: Date;
  readonly before: Snapshot;
  readonly after: Snapshot;
  readonly changes: readonly Change[];
  /** Null: the run was killed (or refused before it planned). */
  readonly result: SyncRunResult | null;
  /** The plan it applied or printed (a killed run's too, as shown before its first write). */
  readonly plan: SyncPlan | null;
  readonly killed: boolean;
  readonly dump: Dump;
  readonly listingComplete: boolean;
  /**
   * --approve: the id, the held actions of the printed plan the admin reviewed, and every action
   * any printed plan held under that id (a hold that grew after the review).
   */
  readonly approved: { readonly id: string; readonly seen: ReadonlySet<string>; readonly underId: ReadonlySet<string> } | null;
  /** What the same run would release without the approval (a plan-only run just before it). */
  readonly allowedWithout: ReadonlySet<string> | null;
  readonly stateBefore: ReadonlyMap<string, string>;
  readonly stateAfter: ReadonlyMap<string, string>;
  /** Requests this run sent. */
  readonly requests: readonly { method: string; path: string; body: string }[];
  /** Users created by this run, with the objectGUID of the create that made each. */
  readonly created: ReadonlyMap<string, string | undefined>;
}

export function isLive(view: UserView | undefined): view is UserView {
  return view !== undefined && view.status !== TRASHED;
}

/** What --approve ID names, as the admin saw it in one printed plan, and all that was ever printed under ID. */
export function approvalOf(w: World, reviewed: World['printed'][number]): NonNullable<RunCheck['approved']> {
  const underId = new Set<string>();
  for (const p of w.printed) if (p.approveId === reviewed.approveId) for (const k of p.held) underId.add(k);
  return { id: reviewed.approveId, seen: reviewed.held, underId };
}

export function heldKey(action: { kind: string; user_id: string | null; group?: string }): string {
  switch (action.kind) {
    case 'remove_membership':
      return `remove:${action.user_id}:${nameKey(action.group ?? '')}`;
    default:
      return `${action.kind}:${action.user_id}`;
  }
}
