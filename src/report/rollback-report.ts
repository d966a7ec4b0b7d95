import type { RollbackJson } from '../duo/workflows/rollback-json.js';
import { countByAction, type Report, type ReportRow } from './report-model.js';
import { runFacts, type RunInfo } from './run-facts.js';

const names = (n: { username: string; aliases: Record<string, string> }): string => [n.username, ...Object.values(n.aliases)].join(', ');
/** A value as the page shows it: an empty one says so. */
const shown = (value: string | undefined): string => (value === undefined ? '(unknown)' : value === '' ? '(empty)' : value);

/** `rollback --report`: each undo step of `rollback --format json`, per user, with its failure once applied. */
export async function rollbackReport(json: RollbackJson, run: RunInfo): Promise<Report> {
  const failures = new Map((json.outcome?.failed ?? []).map((f) => [f.user_id, f.error]));
  const missing = new Set(json.outcome?.names_missing ?? []);
  const failedIf = (row: ReportRow): ReportRow => {
    const error = failures.get(row.userId) ?? (missing.has(row.userId) ? 'no longer in Duo (deleted since the run)' : undefined);
    return error === undefined ? row : { ...row, reason: `failed: ${error}`, risk: 'failed' };
  };
  // Every user and group by name, the id beside it (an id no one named stays an id).
  const user = (id: string): string => json.names?.users[id] ?? id;
  const group = (id: string): string => (json.names?.groups[id] === undefined ? id : `${json.names.groups[id]} (${id})`);
  const rows = function* (): Iterable<ReportRow> {
    for (const t of json.trash) {
      yield failedIf({ action: 'disable and send to Trash', user: t.username ?? user(t.user_id), userId: t.user_id, changes: [{ field: 'status', before: 'as the run left it', after: 'disabled, in the Trash' }], reason: `the ${json.kind} created or restored it`, where: '', risk: 'destructive' });
    }
    for (const id of json.untrash) yield failedIf({ action: 'take out of the Trash', user: user(id), userId: id, changes: [{ field: 'status', before: 'in the Trash', after: 'disabled (out of the Trash)' }], reason: 'the run sent it to the Trash (it stays disabled, as it was)', where: '', risk: null });
    for (const r of json.restore_names) {
      yield failedIf({ action: 'restore names', user: r.to.username, userId: r.user_id, changes: [{ field: 'names', before: `now: ${names(r.from)}`, after: `restored: ${names(r.to)}` }], reason: 'the run renamed it', where: '', risk: null });
    }
    for (const f of json.restore_fields) {
      const changes = Object.entries(f.to).map(([field, after]) => ({ field, before: `now: ${shown(f.from[field])}`, after: `restored: ${shown(after)}` }));
      // Enabling a user again gives access back: a sync disables users who left AD or were disabled there.
      const enables = f.to.status === 'active' && f.from.status !== undefined && f.from.status !== 'active';
      yield failedIf({
        action: enables ? 'enable again' : 'set fields back', user: user(f.user_id), userId: f.user_id, changes, where: '', risk: enables ? 'access' : null,
        reason: enables
          ? `gives access back: the run disabled it${json.kind === 'sync' ? ' (a sync disables a user who left AD or was disabled there): check the account in AD before applying' : ''}`
          : 'the values before the run',
      });
    }
    for (const s of json.skipped) {
      yield { action: 'skip: changed since the run', user: s.username ?? user(s.user_id), userId: s.user_id, changes: [{ field: s.what, before: `the run wrote: ${s.wrote}`, after: `now: ${s.current}` }],
        reason: `changed since by ${s.by}: left as it is`, where: '', risk: 'conflict' };
    }
    for (const m of json.remove_memberships) yield { action: 'remove from group', user: user(m.user_id), userId: m.user_id, changes: [{ field: 'group', before: group(m.group_id), after: '' }], reason: 'the run added it', where: '', risk: 'destructive' };
    for (const m of json.add_back_memberships) yield { action: 'add back to group', user: user(m.user_id), userId: m.user_id, changes: [{ field: 'group', before: '', after: group(m.group_id) }], reason: 'the run removed it', where: '', risk: null };
    for (const p of json.delete_phones) yield { action: 'delete phone', user: p, userId: '', changes: [], reason: 'the run created it', where: '', risk: 'destructive' };
    for (const p of json.detach_phones) yield { action: 'detach phone', user: user(p.user_id), userId: p.user_id, changes: [{ field: 'phone', before: p.phone_id, after: '' }], reason: 'the run attached it', where: '', risk: 'destructive' };
    for (const t of json.detach_tokens) yield { action: 'detach token', user: user(t.user_id), userId: t.user_id, changes: [{ field: 'hardware token', before: t.token_id, after: '' }], reason: 'the run attached it', where: '', risk: 'destructive' };
  };
  const outcome = json.outcome;
  return {
    title: json.applied ? 'Rollback run' : 'Rollback plan',
    facts: await runFacts(run, [
      ['undoes', `the ${json.kind} recorded in ${json.journal}`],
      ['outcome', outcome === null ? 'preview: nothing was changed (add --apply to roll back)'
        : `disabled ${outcome.disabled}, sent ${outcome.trashed} to the Trash, took ${outcome.untrashed} out, fields back on ${outcome.fields_restored}, names back on ${outcome.names_restored}, ` +
          `memberships and phones undone ${outcome.devices_done}, ${outcome.failed.length + outcome.failed_devices.length + outcome.names_missing.length} failed`],
    ]),
    counts: countByAction(rows()),
    warnings: [
      ...(json.trash.length > 0 && json.pending_deletion_days !== null ? [`Duo keeps users in its Trash for ${json.pending_deletion_days} days, then deletes them for good.`] : []),
      ...(json.unsettled > 0 ? [`${json.unsettled} creates whose answer was lost: --apply reads Duo first, and undoes those the run created.`] : []),
      ...(json.groups_created.length > 0 ? [`The run created the groups ${json.groups_created.join(', ')}: left in place.`] : []),
      ...(json.already_trashed > 0 ? [`${json.already_trashed} users were already sent to the Trash by an earlier rollback.`] : []),
      ...(outcome?.failed_devices ?? []).map((f) => `Failed: ${f.what}: ${f.error}`),
      ...(json.skipped.length > 0 ? [`${json.skipped.length} ${json.skipped.length === 1 ? 'change is' : 'changes are'} skipped: the value changed since the run (a later run or someone in Duo), so it is left as it is.`] : []),
      ...(json.compared_with_duo ? [] : ['Compared with later runs\' journals only: run the preview with Duo credentials to compare with the values in Duo.']),
      ...json.changed_since.map((c) => `${c.user_id} goes to the Trash all the same (the run created it), though its ${c.what} changed since by ${c.by}.`),
    ],
    rows,
  };
}
