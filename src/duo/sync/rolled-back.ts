import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { nameKey } from '../../names.js';
import { readJournalRecords, readJournalStart } from '../journal/journal.js';
import { RunHistory } from '../journal/run-history.js';
import type { TenantUser } from '../tenant/tenant.js';
import { FIELD_NAMES } from './ad-values.js';
import type { ManagedUser, SyncState } from './sync-state.js';
import { TRASHED } from '../api/users-api.js';

/**
 * A rollback of a sync run (`rollback <state>.runs/<run>.jsonl`) sets Duo back but leaves the sync
 * state as it was: the next sync would take what it undid for changes by someone else (a leaver
 * re-enabled, a created user trashed) and report them as drift for good. The rollback journals
 * written since the state was last saved say what duo-bridge itself set back: where Duo still
 * shows it, it becomes the value the sync applied (so the runs that follow converge to what AD
 * says), and a user it trashed carries the sync's marks (so AD can bring it back).
 */
export async function markRolledBack(state: SyncState, statePath: string, runs: string, listed: ReadonlyMap<string, TenantUser>, now: Date): Promise<SyncState> {
  const history = new RunHistory();
  let read = 0;
  for (const journal of await rollbacksSince(statePath, runs, state.host)) {
    await readJournalRecords(journal, history.replay);
    read++;
  }
  if (read === 0) return state;
  const at = now.toISOString();
  const users: Record<string, ManagedUser> = { ...state.users };
  for (const [guid, m] of Object.entries(state.users)) {
    const user = listed.get(m.user_id);
    if (user === undefined) continue;
    let next = m;
    if (user.status === TRASHED && history.trashed.has(m.user_id)) {
      next = { ...next, trashed_by_sync: next.trashed_by_sync ?? at, disabled_by_sync: next.disabled_by_sync ?? at, applied: { ...next.applied, status: 'disabled' } };
    }
    const status = history.lastWritten(m.user_id, 'status');
    if (status === user.status && status !== m.applied.status) {
      next = { ...next, applied: { ...next.applied, status } };
      // A disable the rollback put back is duo-bridge's own: the sync may lift it when AD says so.
      if (status === 'disabled') next = { ...next, disabled_by_sync: next.disabled_by_sync ?? at };
      else {
        const { disabled_by_sync: _lifted, ...rest } = next;
        next = rest;
      }
    }
    for (const field of FIELD_NAMES) {
      const value = history.lastWritten(m.user_id, field);
      if (typeof value === 'string' && value === (user[field] ?? '')) next = { ...next, applied: { ...next.applied, [field]: value } };
    }
    const names = history.lastWritten(m.user_id, 'names');
    if (typeof names === 'object' && nameKey(names.username) === nameKey(user.username)) {
      next = { ...next, applied: { ...next.applied, username: user.username, aliases: { ...user.aliases } } };
    }
    users[guid] = next;
  }
  return { ...state, users };
}

/** The rollback journals of this host written since the state was last saved (oldest first). */
export async function rollbacksSince(statePath: string, runs: string, host: string): Promise<string[]> {
  const saved = await stat(statePath).then((s) => s.mtimeMs, () => 0);
  const found: string[] = [];
  for (const name of (await readdir(runs).catch(() => [] as string[])).sort()) {
    if (!name.endsWith('.rollback.jsonl')) continue;
    const journal = join(runs, name);
    if ((await stat(journal).then((s) => s.mtimeMs, () => 0)) < saved) continue;
    if ((await readJournalStart(journal))?.host !== host) continue;
    found.push(journal);
  }
  return found;
}
