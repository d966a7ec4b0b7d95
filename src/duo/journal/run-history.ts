import { nameKey } from '../../names.js';

import { phoneKey } from '../../phone.js';

import type { Intent, JournalRecord, RowResult } from './journal.js';
import { effectsOf, type Effect, type OutcomeRecord } from './write-kinds.js';
import type { DuoNames } from '../tenant/duo-names.js';


/** When a write whose answer is missing can have been applied, on Duo's clock (ms). */
export interface SendWindow {
  readonly from: number;
  readonly to: number;
}

/**
 * A value a run wrote to one thing of a user (see writeKey): a field's value, a user's names, or
 * one of the words below for a membership and the Trash.
 */
export type Written = string | DuoNames;
export const MEMBER = 'member';
export const NOT_MEMBER = 'not a member';
export const IN_TRASH = 'in the Trash';
export const NOT_IN_TRASH = 'not in the Trash';

/** The thing of a user a write sets: a field name (status included), `names`, `group <group_id>` or `trash`. */
export const writeKey = (userId: string, what: string): string => `${userId}\t${what}`;
export const splitWriteKey = (key: string): { userId: string; what: string } => {
  const tab = key.indexOf('\t');
  return { userId: key.slice(0, tab), what: key.slice(tab + 1) };
};

/** A window for journals written before intents carried their times: any time. */
const ANY_TIME: SendWindow = { from: -Infinity, to: Infinity };

/** Duo's `created` has whole seconds and its Date header too: what a comparison allows either side. */
const CLOCK_TOLERANCE_MS = 2000;

export interface FinalRow {
  readonly result: RowResult;
  readonly userId: string | null;
  readonly error: string | null;
}

interface Pending {
  readonly intent: Intent;
  readonly window: SendWindow;
}

/** Something a write may have created, not yet settled by reading Duo: the windows of the writes that may have. */
type Uncertain = Map<number, SendWindow>;

/**
 * The one reading of a journal: fed every record (those in the file, then those the run appends),
 * it keeps, per thing a run can change, what is known — done (Duo's answer said so, or reading Duo
 * did and the claim is journaled), uncertain (announced, answer missing: only reading Duo tells) or
 * refused (nothing happened). What each kind of write means is in ./write-kinds.ts; import, attach,
 * migrate, resume and rollback read a journal only through this class.
 */
export class RunHistory {
  /** Rows settled for good (created, exists, updated). A failed row is tried again: its cause may be gone. */
  readonly finalRows = new Map<string, FinalRow>();
  /** Users this run created: name → user_id. */
  private readonly users = new Map<string, string>();
  private readonly createdIds = new Set<string>();
  private readonly uncertainUsers = new Map<string, Uncertain>();
  readonly aliasesDone = new Set<string>();
  /** Groups this run created: name key → the name as created. */
  readonly groupsCreated = new Map<string, string>();
  private readonly uncertainGroups = new Map<string, Uncertain>();
  readonly phonesCreated = new Map<string, string>();
  private readonly uncertainPhones = new Map<string, Uncertain>();
  private readonly deletedPhones = new Set<string>();
  /** Memberships added (or perhaps added: undone anyway), by "user_id group_id". */
  private readonly memberships = new Map<string, { user_id: string; group_id: string }>();
  private readonly attachments = new Map<string, { user_id: string; phone_id: string }>();
  /** Hardware tokens attached (or perhaps attached: undone anyway), by "user_id token_id". */
  private readonly tokenAttachments = new Map<string, { user_id: string; token_id: string }>();
  /** Enrollment emails and activation texts announced: never sent twice, even when the answer was lost. */
  private readonly messages = new Set<string>();
  /** Renamed users: their names before the first rename, and where the last one left them. */
  readonly originalNames = new Map<string, DuoNames>();
  readonly lastNames = new Map<string, DuoNames>();
  /** Users whose fields this run changed: each field's value before the run's first change of it. */
  readonly originalFields = new Map<string, Record<string, string>>();
  /** Memberships this run removed (that it had not added itself): a rollback adds them back. */
  private readonly removedMemberships = new Map<string, { user_id: string; group_id: string }>();
  /** Users whose status this run set, and to what. */
  readonly statuses = new Map<string, string>();
  readonly trashed = new Set<string>();
  readonly uncertainTrash = new Set<string>();
  /** Users this run took out of the Trash (undone by sending them back). */
  readonly restored = new Set<string>();
  /**
   * What this run wrote (or may have: an unanswered write counts, a refused one not) to each thing
   * of a user, by writeKey, each write by its intent id in journal order: the last one is the value
   * the run left there, which a rollback compares with Duo before it writes anything back.
   */
  private readonly writes = new Map<string, [id: number, value: Written][]>();
  private bulkRefusal: string | null = null;
  private readonly pending = new Map<number, Pending>();

  readonly replay = (record: JournalRecord): void => {
    switch (record.t) {
      case 'intent': {
        const { t: _t, id, at, deadline, ...intent } = record;
        const window = at === undefined ? ANY_TIME : { from: at, to: deadline ?? Infinity };
        this.pending.set(id, { intent: intent as Intent, window });
        this.announce(id, effectsOf(intent as Intent, null), window);
        break;
      }
      case 'outcome': {
        const pending = this.pending.get(record.id);
        if (pending === undefined) break;
        this.pending.delete(record.id);
        this.answer(record.id, pending, record);
        break;
      }
      case 'claim':
        this.userCreated(record.username, record.user_id);
        break;
      case 'claim_group':
        this.groupCreated(record.name);
        break;
      case 'claim_phone':
        this.phoneCreated(record, record.phone_id);
        break;
      case 'mode':
        this.bulkRefusal = record.reason;
        break;
      case 'row': {
        const key = nameKey(record.username);
        if (record.result === 'failed' || record.result === 'skipped') this.finalRows.delete(key);
        else this.finalRows.set(key, { result: record.result, userId: record.user_id, error: record.error });
        break;
      }
    }
  };

  /** Why Duo's bulk endpoint is not used by this run (it refused it), or null. */
  get bulkRefused(): string | null {
    return this.bulkRefusal;
  }

  // --- users -------------------------------------------------------------------------------

  /**
   * Did this run create this Duo user? Yes when Duo's answer (or a journaled claim) gave its
   * user_id; when a create of that name went unanswered, only if Duo's `created` time lies inside
   * that write's window: a user of that name created at any other time is someone else's.
   */
  isOurs(user: { username: string; user_id: string; created?: number | null }): boolean {
    const key = nameKey(user.username);
    const known = this.users.get(key);
    if (known !== undefined) return known === user.user_id;
    return this.createdIds.has(user.user_id) || this.inWindow(this.uncertainUsers.get(key), user.created);
  }

  /** Ours, but only reading Duo said so: to be journaled as a claim before anything else happens. */
  needsClaim(user: { username: string; user_id: string; created?: number | null }): boolean {
    return !this.users.has(nameKey(user.username)) && !this.createdIds.has(user.user_id) && this.isOurs(user);
  }

  /** Names whose create went unanswered: rollback and resume read them in Duo before anything else. */
  uncertainUserNames(): string[] {
    return [...this.uncertainUsers.keys()];
  }

  /** Every user this run created, by id. */
  createdUserIds(): string[] {
    return [...this.createdIds];
  }

  /** user_id → username of the users this run created (as the journal last knew the name). */
  createdUsernames(): Map<string, string> {
    return new Map([...this.users].map(([name, id]) => [id, name]));
  }

  // --- groups and phones ---------------------------------------------------------------------

  /** Group names whose create went unanswered. */
  uncertainGroupNames(): string[] {
    return [...this.uncertainGroups.keys()];
  }

  /** Phones (by phoneKey) whose create went unanswered. */
  uncertainPhoneKeys(): string[] {
    return [...this.uncertainPhones.keys()];
  }

  /** A name whose create was announced and not settled: nothing created it after all. */
  settledAbsent(what: 'user' | 'group' | 'phone', key: string): void {
    (what === 'user' ? this.uncertainUsers : what === 'group' ? this.uncertainGroups : this.uncertainPhones).delete(key);
  }

  wasSent(key: string): boolean {
    return this.messages.has(key);
  }

  /** Memberships this run added or may have added. */
  addedMemberships(): { user_id: string; group_id: string }[] {
    return [...this.memberships.values()];
  }

  /** Memberships this run removed or may have removed, that were there before it. */
  removedMembershipsBefore(): { user_id: string; group_id: string }[] {
    return [...this.removedMemberships.values()];
  }

  /** Phones this run attached or may have attached. */
  attachedPhones(): { user_id: string; phone_id: string }[] {
    return [...this.attachments.values()];
  }

  /** Hardware tokens this run attached or may have attached, and has not detached. */
  attachedTokens(): { user_id: string; token_id: string }[] {
    return [...this.tokenAttachments.values()];
  }

  /** The value this run last wrote to `what` of a user (see writeKey), if it wrote one. */
  lastWritten(userId: string, what: string): Written | undefined {
    return this.writes.get(writeKey(userId, what))?.at(-1)?.[1];
  }

  /** Every thing this run wrote, by writeKey, with the last value it wrote there. */
  *lastWrites(): Iterable<[key: string, value: Written]> {
    for (const [key, values] of this.writes) yield [key, values.at(-1)![1]];
  }

  /** Phones this run created and has not deleted. */
  createdPhoneIds(): string[] {
    return [...this.phonesCreated.values()].filter((id) => !this.deletedPhones.has(id));
  }

  // --- replay ----------------------------------------------------------------------------------

  private announce(id: number, effects: readonly Effect[], window: SendWindow): void {
    for (const [key, value] of writesOf(effects)) {
      const values = this.writes.get(key);
      if (values === undefined) this.writes.set(key, [[id, value]]);
      else if (values.at(-1)![0] === id) values[values.length - 1] = [id, value];
      else values.push([id, value]);
    }
    for (const effect of effects) {
      switch (effect.kind) {
        case 'user':
          if (!this.users.has(nameKey(effect.username))) addWindow(this.uncertainUsers, nameKey(effect.username), id, window);
          break;
        case 'group':
          if (!this.groupsCreated.has(nameKey(effect.name))) addWindow(this.uncertainGroups, nameKey(effect.name), id, window);
          break;
        case 'phone':
          if (!effect.deleted && !this.phonesCreated.has(phoneKey(effect))) addWindow(this.uncertainPhones, phoneKey(effect), id, window);
          break;
        case 'membership': {
          const key = `${effect.user_id} ${effect.group_id}`;
          if (!effect.removed) this.memberships.set(key, { user_id: effect.user_id, group_id: effect.group_id });
          else if (!this.memberships.has(key)) this.removedMemberships.set(key, { user_id: effect.user_id, group_id: effect.group_id });
          break;
        }
        case 'fields': {
          // A rename's field values come without the values before (import --update): nothing to set back.
          if (Object.keys(effect.before).length === 0) break;
          const first = this.originalFields.get(effect.user_id) ?? {};
          for (const [field, value] of Object.entries(effect.before)) if (!(field in first)) first[field] = value;
          this.originalFields.set(effect.user_id, first);
          break;
        }
        case 'attach':
          if (!effect.removed) this.attachments.set(`${effect.user_id} ${effect.phone_id}`, { user_id: effect.user_id, phone_id: effect.phone_id });
          break;
        case 'token':
          if (!effect.removed) this.tokenAttachments.set(`${effect.user_id} ${effect.token_id}`, { user_id: effect.user_id, token_id: effect.token_id });
          break;
        case 'message':
          this.messages.add(effect.key);
          break;
        case 'rename':
          if (!this.originalNames.has(effect.user_id)) this.originalNames.set(effect.user_id, effect.before);
          this.lastNames.set(effect.user_id, effect.after);
          break;
        case 'trash':
          if (!this.trashed.has(effect.user_id)) this.uncertainTrash.add(effect.user_id);
          break;
        case 'restore':
          this.restored.add(effect.user_id);
          break;
        case 'status':
        case 'aliases':
          break;
      }
    }
  }

  private answer(id: number, { intent, window }: Pending, outcome: OutcomeRecord): void {
    const announced = effectsOf(intent, null);
    if (outcome.status === 'refused') return this.withdraw(id, announced);
    const closed = outcome.at === undefined ? window : { from: window.from, to: Math.min(window.to, outcome.at) };
    if (outcome.status === 'unknown') return this.narrow(id, announced, closed);
    // ok: what its answer says happened (the ids Duo returned, the operations it listed as failed left out).
    const applied = effectsOf(intent, outcome);
    // Operations Duo's answer listed as failed: what they announced did not happen.
    if ((outcome.failed_operations?.length ?? 0) > 0) {
      const kept = new Set(applied.map(effectKey));
      this.withdraw(id, announced.filter((effect) => !kept.has(effectKey(effect))));
    }
    this.narrow(id, applied, closed);
    for (const effect of applied) {
      switch (effect.kind) {
        case 'user':
          if (effect.user_id !== undefined) this.userCreated(effect.username, effect.user_id);
          break;
        case 'aliases':
          this.aliasesDone.add(nameKey(effect.username));
          break;
        case 'group':
          if (effect.group_id !== undefined) this.groupCreated(effect.name);
          break;
        case 'phone':
          if (effect.deleted && effect.phone_id) this.deletedPhones.add(effect.phone_id);
          else if (effect.phone_id !== undefined) this.phoneCreated(effect, effect.phone_id);
          break;
        case 'membership':
          if (effect.removed) this.memberships.delete(`${effect.user_id} ${effect.group_id}`);
          break;
        case 'attach':
          if (effect.removed) this.attachments.delete(`${effect.user_id} ${effect.phone_id}`);
          break;
        case 'token':
          if (effect.removed) this.tokenAttachments.delete(`${effect.user_id} ${effect.token_id}`);
          break;
        case 'status':
          this.statuses.set(effect.user_id, effect.status);
          break;
        case 'trash':
          this.trashed.add(effect.user_id);
          this.uncertainTrash.delete(effect.user_id);
          break;
        case 'restore':
        case 'rename':
        case 'message':
        case 'fields':
          break;
      }
    }
  }

  /** A refused write (or operation): what it announced did not happen. */
  private withdraw(id: number, effects: readonly Effect[]): void {
    for (const [key] of writesOf(effects)) {
      const values = this.writes.get(key)?.filter(([written]) => written !== id);
      if (values === undefined || values.length === 0) this.writes.delete(key);
      else this.writes.set(key, values);
    }
    for (const effect of effects) {
      switch (effect.kind) {
        case 'user':
          removeWindow(this.uncertainUsers, nameKey(effect.username), id);
          break;
        case 'group':
          removeWindow(this.uncertainGroups, nameKey(effect.name), id);
          break;
        case 'phone':
          if (!effect.deleted) removeWindow(this.uncertainPhones, phoneKey(effect), id);
          break;
        case 'membership':
          if (!effect.removed) this.memberships.delete(`${effect.user_id} ${effect.group_id}`);
          else this.removedMemberships.delete(`${effect.user_id} ${effect.group_id}`);
          break;
        case 'attach':
          if (!effect.removed) this.attachments.delete(`${effect.user_id} ${effect.phone_id}`);
          break;
        case 'token':
          if (!effect.removed) this.tokenAttachments.delete(`${effect.user_id} ${effect.token_id}`);
          break;
        case 'message':
          this.messages.delete(effect.key);
          break;
        case 'trash':
          this.uncertainTrash.delete(effect.user_id);
          break;
        case 'restore':
          this.restored.delete(effect.user_id);
          break;
        default:
          break;
      }
    }
  }

  /** An answer came (or was lost) at a known time: nothing it did can be later than that. */
  private narrow(id: number, effects: readonly Effect[], window: SendWindow): void {
    for (const effect of effects) {
      if (effect.kind === 'user') this.uncertainUsers.get(nameKey(effect.username))?.set(id, window);
      if (effect.kind === 'group') this.uncertainGroups.get(nameKey(effect.name))?.set(id, window);
      if (effect.kind === 'phone' && !effect.deleted) this.uncertainPhones.get(phoneKey(effect))?.set(id, window);
    }
  }

  private userCreated(username: string, userId: string): void {
    this.users.set(nameKey(username), userId);
    this.createdIds.add(userId);
    this.uncertainUsers.delete(nameKey(username));
  }

  private groupCreated(name: string): void {
    this.groupsCreated.set(nameKey(name), name);
    this.uncertainGroups.delete(nameKey(name));
  }

  private phoneCreated(phone: { number: string; extension: string }, phoneId: string): void {
    this.phonesCreated.set(phoneKey(phone), phoneId);
    this.uncertainPhones.delete(phoneKey(phone));
  }

  private inWindow(windows: Uncertain | undefined, created: number | null | undefined): boolean {
    if (windows === undefined) return false;
    for (const { from, to } of windows.values()) {
      if (from === -Infinity) return true;
      if (typeof created !== 'number') continue;
      const at = created * 1000;
      if (at >= from - CLOCK_TOLERANCE_MS && at <= to + CLOCK_TOLERANCE_MS) return true;
    }
    return false;
  }
}

/** What a write sets, per writeKey: the things of a user a rollback compares before it writes them back. */
function writesOf(effects: readonly Effect[]): [string, Written][] {
  const writes: [string, Written][] = [];
  for (const effect of effects) {
    switch (effect.kind) {
      case 'fields':
        for (const [field, value] of Object.entries(effect.after)) writes.push([writeKey(effect.user_id, field), value]);
        break;
      case 'status':
        writes.push([writeKey(effect.user_id, 'status'), effect.status]);
        break;
      case 'rename':
        writes.push([writeKey(effect.user_id, 'names'), effect.after]);
        break;
      case 'membership':
        writes.push([writeKey(effect.user_id, `group ${effect.group_id}`), effect.removed ? NOT_MEMBER : MEMBER]);
        break;
      case 'trash':
        writes.push([writeKey(effect.user_id, 'trash'), IN_TRASH]);
        break;
      case 'restore':
        writes.push([writeKey(effect.user_id, 'trash'), NOT_IN_TRASH]);
        break;
      default:
        break;
    }
  }
  return writes;
}

function addWindow(map: Map<string, Uncertain>, key: string, id: number, window: SendWindow): void {
  let windows = map.get(key);
  if (windows === undefined) map.set(key, (windows = new Map()));
  windows.set(id, window);
}

function removeWindow(map: Map<string, Uncertain>, key: string, id: number): void {
  const windows = map.get(key);
  windows?.delete(id);
  if (windows?.size === 0) map.delete(key);
}

function effectKey(effect: Effect): string {
  return JSON.stringify(effect.kind === 'user' ? { kind: 'user', username: effect.username } : effect.kind === 'phone' ? { ...effect, phone_id: undefined } : effect);
}
