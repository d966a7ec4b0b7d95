import { nameKey } from '../../names.js';
import type { JournalRecord, RowResult } from '../journal/journal.js';

export interface FinalRow {
  readonly result: RowResult;
  readonly userId: string | null;
  readonly error: string | null;
}

/**
 * What earlier runs of the same import did, rebuilt from the journal. A username is "attempted" once
 * a create for it was announced: if Duo has that user later, this import created it (the pre-check
 * had found the name free before the intent was written).
 */
export class ImportState {
  readonly final = new Map<string, FinalRow>();
  readonly createdIds = new Map<string, string>();
  readonly attempted = new Set<string>();
  readonly aliasesDone = new Set<string>();

  static replay(records: readonly JournalRecord[]): ImportState {
    const state = new ImportState();
    const intents = new Map<number, Extract<JournalRecord, { t: 'intent' }>>();
    for (const record of records) {
      if (record.t === 'intent') {
        intents.set(record.id, record);
        if (record.op === 'bulk_create' || record.op === 'create') for (const username of record.usernames) state.attempted.add(nameKey(username));
      } else if (record.t === 'outcome' && record.ok) {
        const intent = intents.get(record.id);
        if (intent?.op === 'aliases') state.aliasesDone.add(nameKey(intent.usernames[0]));
        for (const { username, user_id } of record.created ?? []) state.createdIds.set(nameKey(username), user_id);
      } else if (record.t === 'outcome' && !record.unknown) {
        // Duo refused the create outright: nothing of it was applied.
        const intent = intents.get(record.id);
        if (intent?.op === 'bulk_create' || intent?.op === 'create') for (const username of intent.usernames) state.forget(username);
      } else if (record.t === 'row') {
        state.final.set(nameKey(record.username), { result: record.result, userId: record.user_id, error: record.error });
      }
    }
    return state;
  }

  forget(username: string): void {
    const key = nameKey(username);
    if (!this.createdIds.has(key)) this.attempted.delete(key);
  }

  /** Did this import (this run or an earlier one) possibly create the user? */
  isOurs(username: string): boolean {
    const key = nameKey(username);
    return this.createdIds.has(key) || this.attempted.has(key);
  }
}
