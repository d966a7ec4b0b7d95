import { nameKey } from '../../names.js';
import type { Intent, JournalRecord, RowResult } from '../journal/journal.js';
import type { TenantUser } from '../tenant/tenant.js';

export interface FinalRow {
  readonly result: RowResult;
  readonly userId: string | null;
  readonly error: string | null;
}

/**
 * What earlier runs of the same import did, rebuilt from the journal as it streams by. A username is
 * "attempted" once a create for it was announced and not refused: if Duo has that user later, this
 * import created it (the lookup before the create had found the name free).
 */
export class ImportState {
  /** Rows settled for good (created, exists, updated). A failed row is tried again: its cause may be gone. */
  readonly final = new Map<string, FinalRow>();
  readonly createdIds = new Map<string, string>();
  readonly attempted = new Set<string>();
  readonly aliasesDone = new Set<string>();
  private readonly intents = new Map<number, Intent>();

  /** Feeds one journal record; pass it as the journal's replay callback. */
  readonly replay = (record: JournalRecord): void => {
    if (record.t === 'intent') {
      const { t: _t, id, ...intent } = record;
      this.intents.set(id, intent as Intent);
      for (const username of createdNames(intent as Intent)) this.attempted.add(nameKey(username));
    } else if (record.t === 'outcome') {
      const intent = this.intents.get(record.id);
      this.intents.delete(record.id);
      if (record.status === 'ok') {
        if (intent?.op === 'aliases') this.aliasesDone.add(nameKey(intent.usernames[0]));
        for (const { username, user_id } of record.created ?? []) this.createdIds.set(nameKey(username), user_id);
        // Operations Duo's answer said failed: a user of that name is someone else's.
        if (intent?.op === 'bulk') for (const i of record.failed_operations ?? []) this.forget(intent.operations[i]?.body.username ?? '');
      } else if (record.status === 'refused' && intent !== undefined) {
        // Duo refused the call outright: nothing of it was applied.
        for (const username of createdNames(intent)) this.forget(username);
      }
    } else if (record.t === 'claim') {
      this.createdIds.set(nameKey(record.username), record.user_id);
    } else if (record.t === 'row') {
      const key = nameKey(record.username);
      if (record.result === 'failed' || record.result === 'skipped') this.final.delete(key);
      else this.final.set(key, { result: record.result, userId: record.user_id, error: record.error });
    }
  };

  /** Users this run knows it created, as a batch of claims is journaled. */
  noteCreated(username: string, userId: string): void {
    this.createdIds.set(nameKey(username), userId);
  }

  forget(username: string): void {
    const key = nameKey(username);
    if (!this.createdIds.has(key)) this.attempted.delete(key);
  }

  /** Did this import (this run or an earlier one) create this Duo user? */
  isOurs(user: Pick<TenantUser, 'username' | 'user_id'>): boolean {
    const key = nameKey(user.username);
    const known = this.createdIds.get(key);
    return known !== undefined ? known === user.user_id : this.attempted.has(key);
  }

  /** Ours, but no answer of Duo's said so: the journal must learn it before anything else happens. */
  needsClaim(user: Pick<TenantUser, 'username' | 'user_id'>): boolean {
    return !this.createdIds.has(nameKey(user.username)) && this.attempted.has(nameKey(user.username));
  }
}

/** The usernames a write would create, if it creates users. */
export function createdNames(intent: Intent): string[] {
  if (intent.op === 'bulk_create' || intent.op === 'create') return intent.usernames;
  if (intent.op === 'bulk') return intent.operations.filter((op) => op.method === 'POST' && op.path === '/admin/v1/users').map((op) => op.body.username ?? '');
  return [];
}
