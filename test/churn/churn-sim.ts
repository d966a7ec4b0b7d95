import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.js';
import { nameKey } from '../../src/names.js';
import { runSync, type SyncRunResult } from '../../src/duo/sync/run-sync.js';
import { resolveSyncSettings, type SyncArgs, type SyncSettings } from '../../src/duo/sync/sync-options.js';
import type { SyncPlan } from '../../src/duo/sync/sync-plan.js';
import type { ChangeReader } from '../../src/duo/sync/fast-lane.js';
import { rollbackRun } from '../../src/duo/workflows/rollback.js';
import { dnOf, guidOf, makeDump, MAPPED_GROUPS, newPerson, writeDump, type AdPerson, type Dump } from './churn-ad.js';
import { destructiveKeys, diff, DUO_HOST, KilledError, TRASHED, type KillAt, type Snapshot } from './churn-duo.js';
import { describeHistory, type AdEvent, type Day, type DuoEvent, type History } from './churn-history.js';
import { neverDeletesAUser, rollbackComparesBeforeWrite, RUN_INVARIANTS } from './churn-invariants.js';
import { approvalOf, heldKey, isLive, World, type RunCheck } from './churn-world.js';

/*
 * Runs one generated history day after day, in process: the day's AD and Duo events, an optional
 * rollback, the day's sync run (runSync as a library call, its clock the day's), killed and resumed
 * when the history says so, and every invariant after every run. Then a few quiet days with
 * --adopt and approvals of what is printed, after which sync must have converged to what AD says.
 * A broken invariant throws a ChurnViolation naming the invariant, the day, the user and the history.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const START = Date.UTC(2027, 0, 4);
/** How the fast lane's runs read AD, over the whole test run: in full, only the changes, or nothing changed. */
export const laneReads = { full: 0, changes: 0, quiet: 0 };
/** The fast lane's days (`--changes-only`) read in full at least this often. */
const FULL_READ_EVERY_DAYS = 3;
const CHURN_DC = { host: 'dc1.corp.example', invocationId: '0c0ffee0-0000-4000-8000-000000000001', namingContext: 'DC=corp,DC=example' };
const SETTLE_DAYS = 6;

export class ChurnViolation extends Error {
  constructor(readonly invariant: string, readonly day: number, readonly detail: string, history: string) {
    super(`[${invariant}] day ${day}: ${detail}\n--- the history (day 0 is the setup; "settle" days are quiet, with --adopt) ---\n${history}`);
    this.name = 'ChurnViolation';
  }
}

export interface ChurnOptions {
  /** Invariants not checked (DUO_BRIDGE_CHURN_SKIP): to look past a known failure while triaging. */
  readonly skip: ReadonlySet<string>;
  /** Where the histories' files go: a tmpfs when there is one (the journal and the state are fsynced). */
  readonly root: string;
}

export function churnRoot(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

/** Simulates one history; returns the number of days it ran. */
export async function runHistory(history: History, options: ChurnOptions): Promise<number> {
  const dir = mkdtempSync(join(options.root, 'duo-bridge-churn-'));
  try {
    return await new Simulation(history, dir, options).run();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

class Simulation {
  private readonly w: World;
  private settings!: SyncSettings;
  private runNo = 0;
  private day = 0;
  private lastPlan: SyncPlan | null = null;
  private lastExit: number | null = null;

  constructor(private readonly history: History, dir: string, private readonly options: ChurnOptions) {
    this.w = new World(history, join(dir, 'sync.state.json'), join(dir, 'ad.ldif'), history.setup.trashAfterDays, 20);
  }

  private fail(invariant: string, detail: string): never {
    throw new ChurnViolation(invariant, this.day, detail, describeHistory(this.history, Math.min(this.day, this.history.days.length)));
  }

  async run(): Promise<number> {
    const { setup } = this.history;
    const args: SyncArgs = {
      'from-ldif': this.w.ldifPath, 'duo-group': [...MAPPED_GROUPS], state: this.w.statePath, 'trash-after-days': setup.trashAfterDays,
      'max-shrink-percent': this.w.maxShrinkPercent, 'drift-status': setup.driftStatus, 'protect-user': ['breakglass'],
    };
    this.settings = await resolveSyncSettings(args, {});
    this.setUp();
    for (const [i, day] of this.history.days.entries()) {
      this.day = i + 1;
      await this.runDay(day, i === 0);
    }
    await this.settle();
    return this.history.days.length + SETTLE_DAYS;
  }

  /** Day 0: AD, a break-glass account, and the users Duo already holds (an earlier import, a directory sync). */
  private setUp(): void {
    const { setup } = this.history;
    const w = this.w;
    w.duo.adminCreate({ username: 'breakglass', realname: 'Break Glass' });
    for (let i = 0; i < setup.users; i++) {
      const p = newPerson(w.nextId++);
      w.people.set(p.id, p);
    }
    const first = [...w.people.values()];
    for (const p of first.slice(0, setup.sameName)) w.duo.adminCreate({ username: p.sam, realname: `${p.given} ${p.sn}`, email: p.mail });
    for (const p of first.slice(setup.sameName, setup.sameName + setup.byEmail)) w.duo.adminCreate({ username: p.mail, email: p.mail, external_id: guidOf(p.id) });
  }

  private async runDay(day: Day, first: boolean): Promise<void> {
    const at = (hour: number) => new Date(START + this.day * DAY_MS + hour * HOUR_MS);
    this.w.duo.engine.setClock(at(0).getTime());
    const entries = new Map([...this.w.people.values()].map((p) => [p.id, JSON.stringify(p)]));
    for (const e of day.ad) this.adEvent(e);
    // What DirSync would name: every person whose entry changed or is new (a deletion it does not show).
    for (const p of this.w.people.values()) if (entries.get(p.id) !== JSON.stringify(p)) this.w.changedAt.set(p.id, ++this.w.adVersion);
    for (const e of day.duo) this.duoEvent(e);
    if (day.run.rollback !== null && this.w.journals.length > 0) await this.rollback(this.w.journals[day.run.rollback % this.w.journals.length]!);

    const spec = day.run;
    const dump = makeDump([...this.w.people.values()].sort((a, b) => a.id - b.id), spec.dump, spec.vanished);
    writeDump(this.w.ldifPath, dump);
    const ids = [...this.w.duo.engine.users.keys()].sort();
    this.w.duo.hidden = new Set(spec.hide.map((n) => ids[n % ids.length]!));
    try {
      const adopt = spec.adopt || (first && this.history.setup.adoptFirst);
      let approved: RunCheck['approved'] = null;
      let allowedWithout: Set<string> | null = null;
      if (spec.approve !== null && this.w.printed.length > 0) {
        const reviewed = this.w.printed[this.w.printed.length - 1 - (spec.approve % this.w.printed.length)]!;
        approved = approvalOf(this.w, reviewed);
        const dry = await this.sync({ adopt, approve: undefined, mode: 'plan', kill: null }, at(1));
        allowedWithout = new Set((dry.result?.plan.actions ?? []).map(heldKey));
      }
      const changesOnly = spec.changesOnly === true;
      const outcome = await this.checkedRun(dump, { adopt, approved, allowedWithout, kill: spec.kill, changesOnly }, at(2), 'the day\'s run');
      if (outcome === 'refused') await this.checkedRun(dump, { adopt, approved: null, allowedWithout: null, kill: spec.kill, changesOnly }, at(3), 'the day\'s run (its --approve refused)');
      if (outcome === 'killed') await this.checkedRun(dump, { adopt, approved: null, allowedWithout: null, kill: null, changesOnly }, at(4), 'the resume after the kill');
    } finally {
      this.w.duo.hidden = new Set();
    }
  }

  /** Quiet days: AD as it is, --adopt, the latest printed plan approved; then sync must have converged to AD. */
  private async settle(): Promise<void> {
    const dump = makeDump([...this.w.people.values()].sort((a, b) => a.id - b.id), 'ok', 'Sales');
    writeDump(this.w.ldifPath, dump);
    let quiet = false;
    for (let i = 0; i < SETTLE_DAYS; i++) {
      this.day = this.history.days.length + 1 + i;
      const at = new Date(START + this.day * DAY_MS + 2 * HOUR_MS);
      const latest = this.w.printed.at(-1);
      const approved = this.lastExit === 4 && latest !== undefined ? approvalOf(this.w, latest) : null;
      let allowedWithout: Set<string> | null = null;
      if (approved !== null) allowedWithout = new Set(((await this.sync({ adopt: true, approve: undefined, mode: 'plan', kill: null }, new Date(at.getTime() - HOUR_MS))).result?.plan.actions ?? []).map(heldKey));
      const outcome = await this.checkedRun(dump, { adopt: true, approved, allowedWithout, kill: null }, at, 'settle');
      if (outcome === 'refused') await this.checkedRun(dump, { adopt: true, approved: null, allowedWithout: null, kill: null }, new Date(at.getTime() + HOUR_MS), 'settle');
      if (this.lastPlan !== null && this.lastPlan.actions.length === 0 && this.lastPlan.held.length === 0 && i >= 1) {
        quiet = true;
        break;
      }
    }
    if (!this.options.skip.has('settlesDown') && !quiet) {
      this.fail('settlesDown', `after ${SETTLE_DAYS} quiet days sync still plans ${this.lastPlan?.actions.length ?? '?'} actions and holds ${this.lastPlan?.held.length ?? '?'} (last exit ${this.lastExit}): ` +
        (this.lastPlan?.actions ?? []).slice(0, 6).map((a) => `${a.kind} ${a.username}`).join(', '));
    }
    if (!this.options.skip.has('convergesToAd')) {
      const found = this.convergence();
      if (found.length > 0) this.fail('convergesToAd', `${this.w.rollbacks.length > 0 ? `after rollbacks (days ${this.w.rollbacks.map((r) => r.day).join(', ')}), ` : ''}${found.join('; ')}`);
    }
  }

  private adEvent(e: AdEvent): void {
    const w = this.w;
    const people = [...w.people.values()].sort((a, b) => a.id - b.id);
    const pick = (n: number): AdPerson | undefined => people[n % people.length];
    switch (e.k) {
      case 'join':
        for (let i = 0; i < e.n; i++) {
          const p = newPerson(w.nextId++);
          w.people.set(p.id, p);
        }
        return;
      case 'return': {
        if (w.leavers.length === 0) return;
        const [p] = w.leavers.splice(e.who % w.leavers.length, 1);
        if ([...w.people.values()].some((q) => nameKey(q.sam) === nameKey(p!.sam))) return;
        w.people.set(p!.id, p!);
        return;
      }
    }
    if (people.length === 0) return;
    const p = pick(e.who)!;
    switch (e.k) {
      case 'leave':
        w.people.delete(p.id);
        w.leavers.push(p);
        return;
      case 'ad-disable':
        p.disabled = true;
        return;
      case 'ad-enable':
        p.disabled = false;
        return;
      case 'rename':
        p.sam = `r${p.id}x${++w.counter}`;
        return;
      case 'swap': {
        const q = pick(e.other)!;
        if (q === p) return;
        [p.sam, q.sam] = [q.sam, p.sam];
        return;
      }
      case 'mail':
        p.mail = `m${p.id}x${++w.counter}@corp.example`;
        return;
      case 'group':
        if (e.group === 'vpn') p.vpn = !p.vpn;
        else p.staff = !p.staff;
        return;
      case 'recreate': {
        w.people.delete(p.id);
        // An id no joiner or pre-created Duo user was given: a re-created account's objectGUID is new to everyone.
        const again: AdPerson = { ...p, id: 1_000_000 + ++w.counter };
        w.people.set(again.id, again);
        w.recreatedFrom.set(guidOf(again.id), guidOf(p.id));
        return;
      }
    }
  }

  private duoEvent(e: DuoEvent): void {
    const w = this.w;
    const before = w.duo.snapshot();
    if (e.k === 'duo-precreate') {
      const p = newPerson(w.nextId);
      if (e.how === 'name') w.duo.adminCreate({ username: p.sam, realname: `${p.given} ${p.sn}`, email: p.mail });
      else w.duo.adminCreate({ username: p.mail, email: p.mail, ...(e.how === 'directory-sync' ? { external_id: guidOf(p.id) } : {}) });
    } else {
      const users = [...w.duo.engine.users.values()].filter((u) => u.username !== 'breakglass' && (e.k === 'duo-enable' ? u.status === 'disabled' : e.k === 'duo-disable' ? u.status === 'active' : u.status !== TRASHED))
        .sort((a, b) => (a.user_id < b.user_id ? -1 : 1));
      if (users.length === 0) return;
      const u = users[e.who % users.length]!;
      if (e.k === 'duo-disable') w.duo.adminModify(u.user_id, { status: 'disabled' });
      else if (e.k === 'duo-enable') w.duo.adminModify(u.user_id, { status: 'active' });
      else if (e.k === 'duo-edit') w.duo.adminModify(u.user_id, e.field === 'realname' ? { realname: `Edited ${++w.counter}` } : { email: `edited${++w.counter}@corp.example` });
    }
    w.record(diff(before, w.duo.snapshot()), 'admin');
  }

  private async rollback(journal: string): Promise<void> {
    const w = this.w;
    const before = w.duo.snapshot();
    const from = w.duo.requests.length;
    w.duo.engine.setClock(START + this.day * DAY_MS);
    try {
      await rollbackRun({ journal, client: w.duo.client({ kind: 'rollback', run: ++this.runNo }), host: DUO_HOST, bulkSize: 50 });
    } catch (error) {
      w.notes.push(`day ${this.day}: rollback of ${journal} refused: ${(error as Error).message}`);
    }
    const changes = diff(before, w.duo.snapshot());
    w.rollbacks.push({ day: this.day, journal });
    this.check('neverDeletesAUser', () => neverDeletesAUser(w, { changes, requests: w.duo.requests.slice(from) }));
    this.check('rollbackComparesBeforeWrite', () => rollbackComparesBeforeWrite(w, journal, changes, before));
    w.record(changes, `rollback:${journal}`);
  }

  private check(name: string, run: () => string[]): void {
    if (this.options.skip.has(name)) return;
    const found = run();
    if (found.length > 0) this.fail(name, found.slice(0, 4).join('; ') + (found.length > 4 ? ` (and ${found.length - 4} more)` : ''));
  }

  /** One sync run, killed at its k-th write if asked (see ChurnDuo.client). */
  private async sync(spec: { adopt: boolean; approve: string | undefined; mode: 'plan' | 'apply'; kill: KillAt | null; changesOnly?: boolean }, at: Date):
    Promise<{ result: SyncRunResult | null; plan: SyncPlan | null; killed: boolean; refused: boolean }> {
    let killed = false;
    // Duo's clock is the day's too: runs hours apart create users hours apart (what tells a resumed
    // run's creates from the killed run's unanswered ones).
    this.w.duo.engine.setClock(at.getTime());
    const client = this.w.duo.client({ kind: 'sync', run: ++this.runNo }, spec.kill, () => (killed = true));
    let shown: SyncPlan | null = null;
    const outcome = await runSync({
      directory: this.settings.directory, policy: { ...this.settings.policy, adopt: spec.adopt }, client, host: DUO_HOST, statePath: this.w.statePath,
      mode: spec.mode, approve: spec.approve, now: () => at, bulkSize: 50,
      ...(spec.changesOnly ? { changesOnly: { fullReadEveryMs: FULL_READ_EVERY_DAYS * DAY_MS, reader: this.dirSync } } : {}),
      confirm: async (plan) => {
        shown = plan;
        return true;
      },
    }).then((result) => ({ result }), (error: unknown) => ({ error }));
    if (killed) {
      if (!('error' in outcome) || !(outcome.error instanceof KilledError)) this.fail('syncRuns', `a run killed at a write went on: ${'error' in outcome ? String(outcome.error) : 'it finished'}`);
      this.takeOverLocks();
      return { result: null, plan: shown, killed: true, refused: false };
    }
    if ('error' in outcome) {
      if (outcome.error instanceof UsageError && spec.approve !== undefined && /--approve/.test(outcome.error.message)) return { result: null, plan: null, killed: false, refused: true };
      this.fail('syncRuns', `runSync threw ${(outcome.error as Error).name}: ${(outcome.error as Error).message}`);
    }
    if (spec.changesOnly && spec.mode === 'apply' && outcome.result !== null) {
      const read = outcome.result.read;
      laneReads[read.kind === 'full' ? 'full' : read.changed === 0 ? 'quiet' : 'changes']++;
    }
    return { result: outcome.result, plan: outcome.result?.plan ?? shown, killed, refused: false };
  }

  /**
   * DirSync as an account without replication rights sees it: the people whose entry changed since
   * the cookie (the change counter), never a deletion; one DC, whose cookies it always takes.
   */
  private readonly dirSync: ChangeReader = async (cookie) => {
    const since = cookie === null ? Infinity : Number(Buffer.from(cookie, 'base64').toString());
    const changed = [...this.w.people.values()].filter((p) => (this.w.changedAt.get(p.id) ?? 0) > since).map((p) => ({ guid: guidOf(p.id), dn: dnOf(p), members: [] }));
    return { kind: 'changes', dc: CHURN_DC, cookie: Buffer.from(String(this.w.adVersion)).toString('base64'), changed };
  };

  /** A killed process's lock files name a dead pid, which the next run takes over; should one be left here (it names this live pid), it is removed. */
  private takeOverLocks(): void {
    rmSync(`${this.w.statePath}.lock`, { force: true });
    const runs = this.runsDir();
    if (existsSync(runs)) for (const f of readdirSync(runs)) if (f.endsWith('.lock')) rmSync(join(runs, f), { force: true });
  }

  private runsDir(): string {
    return `${this.w.statePath.replace(/\.json$/, '')}.runs`;
  }

  /** An apply run with every invariant checked, and the model brought up to date. */
  private async checkedRun(dump: Dump, spec: { adopt: boolean; approved: RunCheck['approved']; allowedWithout: Set<string> | null; kill: KillAt | null; changesOnly?: boolean }, at: Date, label: string):
    Promise<'done' | 'killed' | 'refused'> {
    const w = this.w;
    const before = w.duo.snapshot();
    const stateBefore = w.stateUsers();
    const from = w.duo.requests.length;
    const listingComplete = w.duo.hidden.size === 0;
    const out = await this.sync({ adopt: spec.adopt, approve: spec.approved?.id, mode: 'apply', kill: spec.kill, changesOnly: spec.changesOnly ?? false }, at);
    if (out.refused) {
      w.notes.push(`day ${this.day}: --approve ${spec.approved?.id} refused`);
      return 'refused';
    }
    const after = w.duo.snapshot();
    const changes = diff(before, after);
    const plan = out.plan;
    const journal = plan === null ? null : this.journalOf(plan);

    // Users this run created, bound to the AD user whose create made them; adoptions bound too.
    const created = new Map<string, string | undefined>();
    for (const x of changes.filter((c) => c.field === 'created')) {
      const action = plan?.actions.find((a) => a.kind === 'create' && nameKey(a.names.username) === nameKey(x.to));
      created.set(x.user_id, action?.guid);
    }
    const check: RunCheck = {
      // An incremental run lists nothing (it looks its users up by id): a short listing can't touch it.
      // A quiet incremental run (DirSync named no one) reads no dump at all: its referral is not this run's read.
      day: this.day, label, at, before, after, changes, result: out.result, plan, killed: out.killed, listingComplete: listingComplete || out.result?.read.kind === 'changes',
      dump: out.result?.read.kind === 'changes' && out.result.read.changed === 0 ? { ...dump, incomplete: false } : dump,
      approved: spec.approved, allowedWithout: spec.allowedWithout, stateBefore, stateAfter: w.stateUsers(),
      requests: w.duo.requests.slice(from), created,
    };
    for (const [id, guid] of created) {
      w.createdBy.set(id, journal ?? '?');
      if (guid !== undefined) w.bind(guid, id);
    }
    if (plan !== null) for (const a of plan.actions) if (a.kind === 'adopt' || a.kind === 'reanchor') w.bind(a.guid, a.user_id);
    for (const [name, invariant] of Object.entries(RUN_INVARIANTS)) this.check(name, () => invariant(w, check).map((m) => `${label}${out.killed ? ' (killed)' : ''}: ${m}`));

    // The model after the run.
    w.record(changes, `sync:${journal ?? '?'}`);
    if (journal !== null && existsSync(journal) && !w.journals.includes(journal)) w.journals.push(journal);
    if (out.killed) return 'killed';
    if (out.result?.read.kind === 'full') for (const [id, u] of after) w.syncSaw.set(id, u.status);
    const present = new Map(dump.people.map((p) => [guidOf(p.id), p]));
    // Absences count from any read that is complete (an empty one too: an approval may act on it); the baseline is a non-empty one.
    for (const [guid] of present) w.missingSince.delete(guid);
    if (!dump.incomplete) for (const [guid] of w.binding) if (!present.has(guid) && !w.missingSince.has(guid)) w.missingSince.set(guid, at.getTime());
    if (!dump.incomplete && dump.people.length > 0) w.baseline = dump.people.length;
    for (const [guid, id] of w.binding) {
      const p = present.get(guid);
      const u = after.get(id);
      if (p !== undefined && u !== undefined && u.status === (p.disabled ? 'disabled' : 'active')) w.agreed.set(id, u.status);
    }
    const result = out.result!;
    if (result.exitCode === 4 && result.plan.approve_id !== null) w.printed.push({ approveId: result.plan.approve_id, held: new Set(result.plan.held.map(heldKey)), day: this.day });
    this.lastPlan = result.plan;
    this.lastExit = result.exitCode;
    return 'done';
  }

  /** The journal a run writes (beside its plan file), when it wrote anything. */
  private journalOf(plan: SyncPlan): string | null {
    const runs = this.runsDir();
    if (!existsSync(runs)) return null;
    const name = readdirSync(runs).find((f) => f.endsWith(`-${plan.plan_id}.jsonl`));
    return name === undefined ? null : join(runs, name);
  }

  private notDrift(userId: string): string {
    const by = this.w.writer.get(`${userId} status`) ?? '';
    return by.startsWith('rollback:') ? `a rollback set that status, and the following runs must converge to AD` : 'sync and Duo had agreed on that status since';
  }

  /** After the quiet days: every AD user as AD says, unless the last plan names it (a conflict, or real drift). */
  private convergence(): string[] {
    const w = this.w;
    const plan = this.lastPlan;
    const snap: Snapshot = w.duo.snapshot();
    const found: string[] = [];
    const conflict = (guid: string) => plan?.conflicts.some((c) => c.guid === guid) ?? false;
    const reason = (guid: string) => plan?.conflicts.find((c) => c.guid === guid)?.reason ?? '';
    const drift = (guid: string, kind: string) => plan?.drift.some((d) => d.guid === guid && d.kind === kind) ?? false;
    const inAd = new Set<string>();
    for (const p of w.people.values()) {
      const guid = guidOf(p.id);
      inAd.add(guid);
      const id = w.binding.get(guid);
      if (id === undefined) {
        if (p.disabled) continue;
        const old = w.recreatedFrom.get(guid);
        const oldUser = old === undefined ? undefined : snap.get(w.binding.get(old) ?? '');
        // Re-anchoring needs the same email too (a new hire given a freed name is not the leaver): with
        // another mail since, a conflict is the right answer.
        const sameMail = oldUser !== undefined && (p.mail === undefined || (oldUser.email ?? '') === '' || nameKey(oldUser.email ?? '') === nameKey(p.mail));
        if (oldUser !== undefined && nameKey(oldUser.username) === nameKey(p.sam) && (sameMail || !conflict(guid))) {
          found.push(`${p.sam}, re-created in AD with a new objectGUID (${guid}), is still not bound to its Duo user ${w.describeUser(oldUser.user_id, oldUser)} after sync --adopt${conflict(guid) ? ` (a conflict every run: ${reason(guid)})` : ''}`);
        } else if (!conflict(guid)) found.push(`AD user ${p.sam} (${guid}) is enabled but has no Duo user, and no conflict names it`);
        continue;
      }
      const u = snap.get(id);
      if (u === undefined) {
        found.push(`AD user ${p.sam}'s Duo user ${id} is gone`);
        continue;
      }
      const want = p.disabled ? 'disabled' : 'active';
      const statusOk = u.status === want || (want === 'disabled' && u.status === TRASHED) || (drift(guid, 'status') && w.genuineStatusDrift(id, u.status));
      if (!statusOk) found.push(`${w.describeUser(id, u)} is ${u.status} in Duo but ${p.disabled ? 'disabled' : 'enabled'} in AD${drift(guid, 'status') ? ` (called drift, but ${this.notDrift(id)})` : ''}`);
      if (isLive(u) && nameKey(u.username) !== nameKey(p.sam) && !conflict(guid) && !drift(guid, 'names')) found.push(`${w.describeUser(id, u)} is named ${u.username} in Duo, ${p.sam} in AD`);
      if (isLive(u) && u.email.toLowerCase() !== p.mail.toLowerCase() && !drift(guid, 'fields')) found.push(`${w.describeUser(id, u)} has email ${u.email || '(none)'} in Duo, ${p.mail} in AD`);
      const groups = new Set(u.groups.split(',').filter(Boolean));
      if (isLive(u) && (groups.has('VPN') !== p.vpn || groups.has('Staff') !== p.staff) && !drift(guid, 'groups')) found.push(`${w.describeUser(id, u)} is in groups [${u.groups}] in Duo, AD says VPN ${p.vpn}, Staff ${p.staff}`);
    }
    for (const [guid, id] of w.binding) {
      if (inAd.has(guid)) continue;
      const u = snap.get(id);
      if (u === undefined || u.status === 'disabled' || u.status === TRASHED) continue;
      if (drift(guid, 'status') && w.genuineStatusDrift(id, u.status)) continue;
      found.push(`${w.describeUser(id, u)} left AD but is ${u.status} in Duo${drift(guid, 'status') ? ` (called drift, but ${this.notDrift(id)})` : ''}`);
    }
    return found.slice(0, 6);
  }
}

export { destructiveKeys };
