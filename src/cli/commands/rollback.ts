import type { Argv } from 'yargs';
import type { DuoArgs } from '../../duo/api/connection.js';
import { UsageError } from '../../errors.js';
import { previewRollback, rollbackJournalPath, rollbackRun, type RollbackPlan } from '../../duo/workflows/rollback.js';
import type { RollbackCheck } from '../../duo/workflows/rollback-check.js';
import { rollbackJson, type RollbackJson } from '../../duo/workflows/rollback-json.js';
import { rollbackReport } from '../../report/rollback-report.js';
import { checkReportPath } from '../../report/write-report.js';
import { reportOption, runInfo, saveReport, type ReportArgs } from './report-option.js';
import type { CliIo } from '../io.js';
import { count, counted } from '../progress.js';
import type { CommandModule } from './command.js';
import { bulkOptions, bulkSizeOf, confirmWrites, connectToDuo, duoOptions, refuseWithoutPrompt, type BulkArgs } from './duo-connection.js';

interface RollbackArgs extends DuoArgs, BulkArgs, ReportArgs {
  journal?: string;
  format?: 'text' | 'json';
  apply?: boolean;
  yes?: boolean;
}

const LISTED = 20;

export const rollbackCommand: CommandModule<RollbackArgs> = {
  command: 'rollback [journal]',
  describe: 'Undo an import (its users disabled and sent to Duo\'s Trash), a migrate (names restored) or a sync run (everything it did), from its journal',
  builder: (yargs: Argv) =>
    reportOption(bulkOptions(duoOptions(yargs)))
      .group(['apply', 'yes', 'format', 'report'], 'What to do:')
      .positional('journal', { type: 'string', describe: 'the journal of the import, migrate or sync run to undo (<name>.journal.jsonl, or a sync\'s <state>.runs/….jsonl)' })
      .option('format', { choices: ['text', 'json'] as const, describe: 'what it does (and did, with --apply) on stdout: text (default) or json' })
      .option('apply', { type: 'boolean', describe: 'do it (without it: show what would be done)' })
      .option('yes', { type: 'boolean', describe: 'do not ask for confirmation' })
      .example('$0 rollback users.journal.jsonl', 'show what undoing the import would do')
      .example('$0 rollback users.migrate.jsonl --apply', 'restore the names a migrate changed; re-run to resume')
      .example('$0 rollback users.journal.jsonl --report rollback.html', 'what undoing the import does, as a page for the approver')
      .example('$0 rollback ~/.local/state/duo-bridge/sync-api-xxxxxxxx-….state.runs/2026-12-02T06-00-00-000Z-3f2a9c1b7d4e.jsonl --apply', 'undo one sync run (re-enable, restore from the Trash, names, fields and memberships back)'),
  run: async (args, io: CliIo, argv) => {
    const path = args.journal;
    if (path === undefined || path === '') throw new UsageError('BAD_OPTION', 'rollback needs the journal of the run to undo: duo-bridge rollback users.journal.jsonl');
    if (args.apply) refuseWithoutPrompt(io, args.yes);
    if (args.report !== undefined) await checkReportPath(args.report);
    const json = args.format === 'json';
    const emit = async (value: RollbackJson, host: string | null): Promise<void> => {
      if (args.report !== undefined) await saveReport(io, args.report, await rollbackReport(value, runInfo(argv, host ?? value.host, [['journal', path]])));
      if (json) io.out(JSON.stringify(value, null, 2) + '\n');
    };
    const bulkSize = bulkSizeOf(args);
    if (!args.apply) {
      // Credentials are not needed for a preview; with them, it is checked against the tenant they name, and says its Trash period.
      const duo = await connectToDuo(args, io).catch((error: unknown) => (error instanceof UsageError ? null : Promise.reject(error)));
      const { plan, check, pendingDeletionDays: days } = await previewRollback(path, duo);
      await emit(rollbackJson(path, plan, check, { pendingDeletionDays: days }), duo?.host ?? null);
      if (!json) {
        io.out(`rollback of ${path} (Duo host ${plan.host}): ${describe(plan, plan.trash)}\n`);
        list(io, plan, plan.trash, check.names);
        if (plan.unsettled > 0) io.out(`  and ${counted(plan.unsettled, 'create')} whose answer was lost: --apply reads Duo first, and undoes those it created\n`);
        if (days !== null) io.out(`Duo keeps users in its Trash for ${days} days (the tenant's pending_deletion_days), then deletes them for good\n`);
        listChecked(io.out, check, check.skipped, 'will skip');
        if (!check.compared) io.out('  (compared with later runs\' journals only: with Duo credentials set, the values in Duo are compared too)\n');
      }
      io.err('nothing was changed: add --apply to roll back (Duo is read first, then you are asked)\n');
      // Like plan with conflicts: the data has a problem an admin should see before --apply.
      return check.skipped.length > 0 ? 1 : 0;
    }
    const { client, host } = await connectToDuo(args, io);
    const result = await rollbackRun({
      journal: path, client, host, bulkSize, onNotice: (message) => io.err(`${message}\n`),
      confirm: async (preview) => {
        const what = describe(preview.plan, preview.pendingTrash);
        if (!json) {
          io.out(`rollback of ${path}: ${what}\n`);
          list(io, preview.plan, preview.pendingTrash, preview.check.names);
          listChecked(io.out, preview.check, preview.check.skipped, 'will skip');
        }
        if (!json && preview.pendingDeletionDays !== null) {
          io.out(`Duo keeps users in its Trash for ${preview.pendingDeletionDays} days (the tenant's pending_deletion_days), then deletes them for good: restore them there until then\n`);
        }
        await confirmWrites(io, args.yes, `Roll back in ${host}: ${what}?`);
        return true;
      },
    });
    if (result === null) return 0;
    const { devices, trash, names, disabled, preview, untrashed, fieldsRestored, skipped } = result;
    await emit(rollbackJson(path, preview.plan, preview.check, { pendingTrash: preview.pendingTrash, pendingDeletionDays: preview.pendingDeletionDays, result }), host);
    if (untrashed > 0) io.err(`took ${counted(untrashed, 'user')} out of the Trash\n`);
    if (fieldsRestored > 0) io.err(`set back the fields of ${counted(fieldsRestored, 'user')}\n`);
    for (const f of devices.failed.slice(0, LISTED)) io.err(`failed: ${f.what}: ${f.error}\n`);
    if (devices.done + devices.failed.length > 0) io.err(`memberships, phones and tokens: ${count(devices.done)} undone, ${count(devices.failed.length)} failed\n`);
    if (preview.plan.devices.groupsCreated.length > 0) {
      io.err(`the run created groups ${preview.plan.devices.groupsCreated.map((g) => `"${g}"`).join(', ')}: left in place (delete them in the Admin Panel if nothing else uses them)\n`);
    }
    let failed = devices.failed.length;
    if (trash !== null) {
      for (const f of trash.failed.slice(0, LISTED)) io.err(`failed: ${f.userId}: ${f.error}\n`);
      io.err(`disabled ${counted(disabled, 'user')}, sent ${count(trash.trashed)} to the Trash, ${count(trash.already)} ${trash.already === 1 ? 'was' : 'were'} already there, ${count(trash.failed.length)} failed\n`);
      failed += trash.failed.length;
    }
    if (names !== null) {
      const refused = names.results.filter((r) => !r.ok);
      for (const f of refused.slice(0, LISTED)) io.err(`failed: ${f.userId}: ${f.error}\n`);
      for (const id of names.missing.slice(0, LISTED)) io.err(`skipped: ${id}: no longer in Duo (deleted since the run)\n`);
      if (names.missing.length > LISTED) io.err(`… and ${count(names.missing.length - LISTED)} more no longer in Duo\n`);
      io.err(`restored ${counted(names.results.length - refused.length, 'user')} (${count(names.already)} already had their names), ` +
        `${count(refused.length)} failed, ${count(names.missing.length)} no longer in Duo\n`);
      failed += refused.length + names.missing.length;
    }
    listChecked((line) => io.err(line), { ...preview.check, already: result.already, changedSince: [] }, skipped, 'skipped');
    if (skipped.length > 0) io.err(`skipped ${counted(skipped.length, 'change')}: changed since the run, left as they are now\n`);
    io.err(`journal: ${rollbackJournalPath(path)}\n`);
    return failed > 0 || skipped.length > 0 ? 1 : 0;
  },
};

function describe(plan: RollbackPlan, pendingTrash: readonly string[]): string {
  const { devices } = plan;
  const work = [
    plan.untrash.length > 0 ? `take ${counted(plan.untrash.length, 'user')} it sent to the Trash back out (disabled, as ${plan.untrash.length === 1 ? 'it was' : 'they were'})` : '',
    devices.memberships.length > 0 ? `remove ${counted(devices.memberships.length, 'group membership')} it added` : '',
    devices.removedMemberships.length > 0 ? `add back ${counted(devices.removedMemberships.length, 'group membership')} it removed` : '',
    devices.phonesAttached.length > 0 ? `detach ${counted(devices.phonesAttached.length, 'phone')} it attached` : '',
    devices.tokensAttached.length > 0 ? `detach ${counted(devices.tokensAttached.length, 'hardware token')} it attached` : '',
    devices.phonesCreated.length > 0 ? `delete ${counted(devices.phonesCreated.length, 'phone')} it created` : '',
    plan.trash.length > 0 ? `disable ${counted(pendingTrash.length, 'user')} it created or restored and send ${pendingTrash.length === 1 ? 'it' : 'them'} to Duo's Trash` +
      (pendingTrash.length < plan.trash.length ? ` (${count(plan.trash.length - pendingTrash.length)} more already sent by an earlier rollback)` : '') : '',
    plan.restore.length > 0 ? `restore the original username and aliases of ${counted(plan.restore.length, 'renamed user')}` : '',
    plan.fields.length > 0 ? `set back the fields (status, names, email) it changed on ${counted(plan.fields.length, 'user')}` : '',
  ].filter(Boolean);
  return work.length === 0 ? 'nothing to undo' : work.join(', ');
}

/** The compare's verdicts: what is (or was) skipped and why, what is already as before, created users changed since. */
function listChecked(write: (line: string) => void, check: RollbackCheck, skipped: RollbackCheck['skipped'], verb: string): void {
  for (const s of skipped.slice(0, LISTED)) {
    write(`${verb}: ${s.username ?? s.user_id} ${s.what}: the run wrote "${s.wrote}", now "${s.current}" (changed since by ${s.by})\n`);
  }
  if (skipped.length > LISTED) write(`… and ${count(skipped.length - LISTED)} more changed since the run\n`);
  if (check.already.length > 0) write(`${counted(check.already.length, 'group membership')} already as before the run (changed since): nothing to do\n`);
  for (const c of check.changedSince.slice(0, LISTED)) write(`${c.user_id} goes to the Trash all the same (the run created it), though its ${c.what} changed since by ${c.by}\n`);
  if (check.changedSince.length > LISTED) write(`… and ${count(check.changedSince.length - LISTED)} more changes by later runs to users the run created\n`);
}

/** Each user by name with its id; an enable said to give access back (a sync disabled it because AD did, or it left). */
function list(io: CliIo, plan: RollbackPlan, pendingTrash: readonly string[], names: RollbackCheck['names']): void {
  const who = (id: string): string => (names.users[id] === undefined ? id : `${names.users[id]} (${id})`);
  for (const id of pendingTrash.slice(0, LISTED)) io.out(`  to the Trash: ${plan.usernames.has(id) ? `${plan.usernames.get(id)} (${id})` : who(id)}\n`);
  if (pendingTrash.length > LISTED) io.out(`  … and ${count(pendingTrash.length - LISTED)} more\n`);
  for (const r of plan.restore.slice(0, LISTED)) io.out(`  rename back: ${r.last.username} → ${r.original.username} (${r.userId})${Object.keys(r.original.aliases).length > 0 ? `, aliases ${Object.values(r.original.aliases).join(', ')}` : ''}\n`);
  if (plan.restore.length > LISTED) io.out(`  … and ${count(plan.restore.length - LISTED)} more\n`);
  for (const f of plan.fields.slice(0, LISTED)) {
    const changes = Object.entries(f.before).map(([field, value]) => `${field} ${f.after[field] || '(empty)'} → ${value || '(empty)'}`).join(', ');
    const enables = f.before.status === 'active' && f.after.status !== undefined && f.after.status !== 'active';
    io.out(`  set back ${who(f.userId)}: ${changes}${enables ? (plan.kind === 'sync' ? ' — gives access back: the sync disabled it because AD did, or it left AD; check the account in AD first' : ' — gives access back') : ''}\n`);
  }
  if (plan.fields.length > LISTED) io.out(`  … and ${count(plan.fields.length - LISTED)} more\n`);
  for (const m of [...plan.devices.memberships, ...plan.devices.removedMemberships].slice(0, LISTED)) {
    const added = plan.devices.memberships.includes(m);
    io.out(`  ${added ? 'remove' : 'add back'} ${who(m.user_id)} ${added ? 'from' : 'to'} group ${names.groups[m.group_id] === undefined ? m.group_id : `${names.groups[m.group_id]} (${m.group_id})`}\n`);
  }
}
