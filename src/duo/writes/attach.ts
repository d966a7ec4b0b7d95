import type { DuoUserRow, RowPhone, RowToken } from '../../csv/duo-row.js';
import { phoneKey } from '../../phone.js';
import { describeToken, tokenKey, type TokenRef } from '../../token.js';
import { addUserToGroupOperation } from '../api/bulk-api.js';
import type { DuoClient } from '../api/client.js';
import { addUserToGroup } from '../api/groups-api.js';
import { attachPhone, createPhone, findPhones, sendEnrollmentEmail, sendSmsActivation } from '../api/phones-api.js';
import { attachToken } from '../api/tokens-api.js';
import { findUsersByNames, getUser } from '../api/users-api.js';
import type { WriteOutcome } from './guarded-write.js';
import type { Intent } from '../journal/journal.js';
import { tokenConflict, type Additions, type KnownGroup } from '../plan/decide.js';
import { activationKey, enrollmentKey } from '../journal/write-kinds.js';
import type { BulkMode } from './bulk-mode.js';
import type { GroupDirectory } from './group-directory.js';
import type { PhoneBook } from './phone-book.js';
import type { RunSession } from './run-session.js';
import type { TokenBook } from './token-book.js';

export interface AttachOptions {
  /** Create a group the tenant lacks (--create-groups). */
  readonly createGroups: boolean;
  /** Attach a phone another user holds (--share-phones). */
  readonly sharePhones: boolean;
  /** Send Duo's enrollment email to created users with an email and no phone (--enroll). */
  readonly enroll: boolean;
  /** Text the activation link to phones this import created (--send-activation). */
  readonly sendActivation: boolean;
}

/** A Duo user that gets the memberships and phones its row adds. */
export interface AttachItem {
  readonly row: DuoUserRow;
  readonly userId: string;
  readonly adds: Additions;
  /** Created by this import: only such users get an enrollment email. */
  readonly created: boolean;
  /** Duo already lists a phone for the user. */
  readonly hasPhone: boolean;
}

export interface AttachResult {
  /** Why a membership or phone could not be added (the row then counts as failed, and a re-run tries again). */
  error: string | null;
  readonly notes: string[];
}

const ATTEMPTS = 2;

/**
 * Adds group memberships, phones and hardware tokens to users, never removing any. Memberships go
 * out as bulk operations (add-user-group, 50 a call) and are then read back, users 100 a call: one
 * not in place is added with a single call, which also names why Duo refused it. Phones have no bulk
 * form: a number no Duo phone has is created, then attached; a phone that is another user's is
 * attached only with --share-phones. A token is attached if Duo has it and no one else holds it.
 * Every write is a guarded write; an answer lost is settled by reading Duo.
 */
export class Attacher {
  /** Enrollment emails Duo refused (it is reported to refuse some for users that exist: assumptions.ts). */
  enrollmentsRefused = 0;

  private readonly client: DuoClient;

  constructor(
    private readonly session: RunSession,
    private readonly bulk: BulkMode,
    private readonly options: AttachOptions,
    private readonly groups: GroupDirectory | null,
    private readonly phones: PhoneBook | null,
    private readonly tokens: TokenBook | null,
  ) {
    this.client = session.client;
  }

  async attach(items: readonly AttachItem[]): Promise<Map<DuoUserRow, AttachResult>> {
    const results = new Map(items.map((item) => [item.row, { error: null, notes: [] } as AttachResult]));
    const fail = (item: AttachItem, error: string): void => {
      const result = results.get(item.row)!;
      result.error ??= error;
    };
    const memberships: Membership[] = [];
    for (const item of items) {
      for (const name of item.adds.groups) {
        const group = await this.group(name);
        if (typeof group === 'string') fail(item, group);
        else memberships.push({ item, group });
      }
    }
    await this.addMemberships(memberships, fail);
    for (const item of items) for (const phone of item.adds.phones) await this.addPhone(item, phone, fail, results.get(item.row)!.notes);
    for (const item of items) for (const token of item.adds.tokens) await this.addToken(item, token, fail);
    if (this.options.enroll) {
      for (const item of items) if (results.get(item.row)!.error === null) await this.enroll(item, results.get(item.row)!.notes);
    }
    return results;
  }

  private async group(name: string): Promise<KnownGroup | string> {
    const group = this.options.createGroups ? await this.groups!.ensure(this.session, name) : this.groups!.get(name);
    if (group === undefined) return `Duo has no group "${name}": create it in Duo, or import with --create-groups`;
    if (typeof group !== 'string' && group.synced) return `Duo group "${group.name}" is managed by a directory sync: duo-bridge never changes it`;
    return group;
  }

  private async addMemberships(memberships: readonly Membership[], fail: (item: AttachItem, error: string) => void): Promise<void> {
    if (memberships.length === 0) return;
    const { sent, unsent } = await this.bulk.send(this.session, memberships, (m) => addUserToGroupOperation(m.item.userId, m.group.group_id));
    // Whatever the bulk answers said, Duo is read back: a membership not in place gets a single call.
    const missing = [...unsent, ...(await this.notInPlace(sent))];
    for (const m of missing) {
      const error = await this.addMembership(m);
      if (error !== null) fail(m.item, error);
    }
  }

  private async notInPlace(memberships: readonly Membership[]): Promise<Membership[]> {
    if (memberships.length === 0) return [];
    const users = await findUsersByNames(this.client, [...new Set(memberships.map((m) => m.item.row.username))]);
    const held = new Map(users.map((u) => [u.user_id, new Set(((u.groups ?? []) as { group_id?: string }[]).map((g) => g.group_id))]));
    return memberships.filter((m) => !held.get(m.item.userId)?.has(m.group.group_id));
  }

  private async addMembership({ item, group }: Membership): Promise<string | null> {
    const error = await this.retrying({ op: 'membership', user_id: item.userId, group_id: group.group_id }, () => addUserToGroup(this.client, item.userId, group.group_id),
      async () => ((await getUser(this.client, item.userId)).groups as { group_id?: string }[] | undefined ?? []).some((g) => g.group_id === group.group_id));
    return error === null ? null : `not added to group "${group.name}": ${error}`;
  }

  private async addPhone(item: AttachItem, { phone, kind }: RowPhone, fail: (item: AttachItem, error: string) => void, notes: string[]): Promise<void> {
    const book = this.phones!;
    const shown = `${phone!.number}${phone!.extension ? ` x${phone!.extension}` : ''}`;
    const entry = book.get(phone!);
    if (entry?.owners.includes(item.userId)) return;
    const others = entry?.owners.filter((id) => id !== item.userId) ?? [];
    if (others.length > 0 && !this.options.sharePhones) {
      return fail(item, `phone ${shown} belongs to Duo user ${others[0]}: attaching it would let that device approve this user's logins too (--share-phones allows it)`);
    }
    let phoneId = entry?.phoneId;
    if (phoneId === undefined) {
      const created = await this.createPhone(phone!, kind!);
      if (!created.ok) return fail(item, `phone ${shown} not created: ${created.error}`);
      phoneId = created.phoneId;
    }
    const attached = await this.retrying({ op: 'phone_attach', user_id: item.userId, phone_id: phoneId }, () => attachPhone(this.client, item.userId, phoneId),
      async () => ((await getUser(this.client, item.userId)).phones as { phone_id?: string }[] | undefined ?? []).some((p) => p.phone_id === phoneId));
    if (attached !== null) return fail(item, `phone ${shown} not attached: ${attached}`);
    book.attached(phone!, item.userId);
    if (this.options.sendActivation && this.session.history.phonesCreated.get(phoneKey(phone!)) === phoneId && !this.session.history.wasSent(activationKey(phoneId))) {
      const sent = await this.once({ op: 'sms_activation', phone_id: phoneId }, () => sendSmsActivation(this.client, phoneId));
      notes.push(sent.status === 'refused' ? `activation text to ${shown} not sent: ${sent.error.message}` : `activation text sent to ${shown}`);
    }
  }

  private async addToken(item: AttachItem, token: RowToken & TokenRef, fail: (item: AttachItem, error: string) => void): Promise<void> {
    const book = this.tokens!;
    const key = tokenKey(token);
    if (book.get(key) === undefined) await book.learn(this.client, [item.row]);
    const known = book.get(key);
    // Checked again here, as plan did: another admin may have attached or deleted it since.
    const problem = tokenConflict(token, known ?? null, item.userId);
    if (problem !== null) return fail(item, problem);
    if (known == null) return;
    if (known.owners.includes(item.userId)) return;
    const attached = await this.retrying({ op: 'token_attach', user_id: item.userId, token_id: known.token_id }, () => attachToken(this.client, item.userId, known.token_id),
      async () => ((await getUser(this.client, item.userId)).tokens as { token_id?: string }[] | undefined ?? []).some((t) => t.token_id === known.token_id));
    if (attached !== null) return fail(item, `${describeToken(token)} not attached: ${attached}`);
    book.attached(key, item.userId);
  }

  /** A new phone; a create whose answer was lost is settled by finding an unattached phone of that number. */
  private async createPhone(phone: NonNullable<RowPhone['phone']>, kind: NonNullable<RowPhone['kind']>): Promise<{ ok: true; phoneId: string } | { ok: false; error: string }> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const intent: Intent = { op: 'phone_create', number: phone.number, extension: phone.extension };
      const write = await this.session.write(intent, () => createPhone(this.client, phone, kind), (created) => ({ phone_id: created.phone_id }));
      if (write.status === 'refused') return { ok: false, error: write.error.message };
      const phoneId = write.status === 'ok' ? write.value.phone_id : await this.unattached(phone);
      if (phoneId !== null) {
        if (write.status !== 'ok') await this.session.claimPhone(phone, phoneId);
        this.phones!.created(phone, phoneId);
        return { ok: true, phoneId };
      }
    }
    return { ok: false, error: 'Duo did not answer; re-run to resume' };
  }

  private async unattached(phone: NonNullable<RowPhone['phone']>): Promise<string | null> {
    const found = (await findPhones(this.client, phone)).find((p) => (p.users ?? []).length === 0);
    return found?.phone_id ?? null;
  }

  private async enroll(item: AttachItem, notes: string[]): Promise<void> {
    const { username, email, phones } = item.row;
    if (!item.created || email === '' || phones.length > 0 || item.hasPhone || this.session.history.wasSent(enrollmentKey(username))) return;
    const sent = await this.once({ op: 'enroll', username, email }, () => sendEnrollmentEmail(this.client, username, email));
    if (sent.status === 'refused') this.enrollmentsRefused++;
    notes.push(sent.status === 'refused' ? `enrollment email not sent: ${sent.error.message}` : `enrollment email sent to ${email}`);
  }

  /** A write sent at most once, ever: announced before the call, so neither this run nor a resume repeats it. */
  private async once<T>(intent: Intent, call: () => Promise<T>): Promise<WriteOutcome<T>> {
    return this.session.write(intent, call);
  }

  /** An idempotent write, repeated when its answer is lost unless `done` (reading Duo) says it took. Returns an error, or null. */
  private async retrying(intent: Intent, call: () => Promise<unknown>, done: () => Promise<boolean>): Promise<string | null> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const write = await this.session.write(intent, call);
      if (write.status === 'ok') return null;
      if (write.status === 'refused') return write.error.message;
      if (await done()) return null;
    }
    return 'Duo did not answer; re-run to resume';
  }
}

interface Membership {
  readonly item: AttachItem;
  readonly group: KnownGroup;
}
