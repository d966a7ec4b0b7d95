import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { readJournalRecords, readJournalStart } from '../journal/journal.js';
import { RunHistory, splitWriteKey } from '../journal/run-history.js';
import type { LaterWrite } from './rollback-compare.js';

/**
 * What duo-bridge runs after this one wrote to the given users, as their journals in the same folder
 * tell it (sync keeps one journal per run in `<state>.runs/`; import and migrate journals sit by their
 * CSV): a journal of the same Duo host whose run started later, read through RunHistory, later runs
 * overriding earlier ones. `exclude`: this rollback's own journal (its writes are the undo itself).
 * A run elsewhere, or a change in the Admin Panel, is not in here: the compare calls it "someone in Duo".
 */
export async function laterWrites(path: string, run: { readonly host: string; readonly at: string }, userIds: ReadonlySet<string>, exclude: readonly string[]): Promise<Map<string, LaterWrite>> {
  const folder = dirname(path);
  const skip = new Set([path, ...exclude].map((p) => resolve(p)));
  const since = Date.parse(run.at);
  const later: { journal: string; at: number }[] = [];
  for (const name of await readdir(folder).catch(() => [] as string[])) {
    const journal = join(folder, name);
    if (!name.endsWith('.jsonl') || skip.has(resolve(journal))) continue;
    const start = await readJournalStart(journal);
    if (start === null || start.host !== run.host) continue;
    const at = Date.parse(start.at);
    if (at > since) later.push({ journal, at });
  }
  const writes = new Map<string, LaterWrite>();
  for (const { journal } of later.sort((a, b) => a.at - b.at)) {
    const history = new RunHistory();
    await readJournalRecords(journal, history.replay);
    for (const [key, value] of history.lastWrites()) if (userIds.has(splitWriteKey(key).userId)) writes.set(key, { journal, value });
  }
  return writes;
}
