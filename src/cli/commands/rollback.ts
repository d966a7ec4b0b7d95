import type { Argv } from 'yargs';
import type { DuoArgs } from '../../duo/api/connection.js';
import { pendingDeletionDays } from '../../duo/api/settings-api.js';
import { bindJournal, Journal } from '../../duo/journal/journal.js';
import { readRollbackPlan, restoreNames, RollbackProgress, trashUsers, undoDevices } from '../../duo/workflows/rollback.js';
import { BulkMode, bulkRefusal } from '../../duo/workflows/bulk-mode.js';
import type { CliIo } from '../io.js';
import { count } from '../progress.js';
import type { CommandModule } from './command.js';
import { bulkOptions, bulkSizeOf, confirmWrites, connectToDuo, duoOptions, refuseWithoutPrompt, type BulkArgs } from './duo-connection.js';

interface RollbackArgs extends DuoArgs, BulkArgs {
  journal: string;
  apply?: boolean;
  yes?: boolean;
}

export const rollbackCommand: CommandModule<RollbackArgs> = {
  command: 'rollback',
  describe: 'Undo an import (its users go to Duo\'s Trash) or a migrate (names restored), from its journal',
  builder: (yargs: Argv) =>
    bulkOptions(duoOptions(yargs))
      .option('journal', { type: 'string', demandOption: true, describe: 'the journal of the import or migrate to undo' })
      .option('apply', { type: 'boolean', describe: 'do it (without it: show what would be done)' })
      .option('yes', { type: 'boolean', describe: 'do not ask for confirmation' })
      .example('$0 rollback --journal users.journal.jsonl', 'show what undoing the import would do')
      .example('$0 rollback --journal users.migrate.jsonl --apply', 'restore the names a migrate changed; re-run to resume'),
  run: async (args, io: CliIo) => {
    if (args.apply) refuseWithoutPrompt(io, args.yes);
    const bulkSize = bulkSizeOf(args);
    const plan = await readRollbackPlan(args.journal);
    // The rollback's own journal: a second run resumes it instead of repeating it.
    const progress = new RollbackProgress();
    const refusal = bulkRefusal();
    const journal = await Journal.open(`${args.journal.replace(/\.jsonl$/, '')}.rollback.jsonl`, { replay: (r) => (progress.replay(r), refusal.replay(r)) });
    try {
      const pending = plan.kind === 'import' ? plan.trash.filter((id) => !progress.trashed.has(id)) : [];
      const devices = plan.devices;
      const deviceWork = [
        devices.memberships.length > 0 ? `remove ${count(devices.memberships.length)} group memberships it added` : '',
        devices.phonesAttached.length > 0 ? `detach ${count(devices.phonesAttached.length)} phones it attached` : '',
        devices.phonesCreated.length > 0 ? `delete ${count(devices.phonesCreated.length)} phones it created` : '',
      ].filter(Boolean).map((w) => `${w}, `).join('');
      const what = plan.kind === 'import'
        ? `${deviceWork}send ${count(pending.length)} users created by the import to Duo's Trash` +
          (pending.length < plan.trash.length ? ` (${count(plan.trash.length - pending.length)} more already sent by an earlier rollback)` : '') +
          (progress.uncertain.size > 0 ? ` (${count(progress.uncertain.size)} of them sent by an earlier rollback whose answer was lost: Duo is read first)` : '')
        : `${deviceWork}restore the original username and aliases of ${count(plan.restore.length)} renamed users`;
      io.out(`rollback of ${args.journal}: ${what}\n`);
      if (plan.kind === 'import') for (const id of pending.slice(0, 20)) io.out(`  ${id}\n`);
      else for (const r of plan.restore.slice(0, 20)) io.out(`  ${r.userId} → ${r.original.username} [${Object.values(r.original.aliases).join(', ')}]\n`);
      if (!args.apply) {
        io.err('nothing was changed: add --apply to roll back\n');
        return 0;
      }
      const { client, host } = await connectToDuo(args, io);
      await confirmWrites(io, args.yes, `Roll back in ${host}: ${what}?`);
      await bindJournal(journal, { kind: 'rollback', input: args.journal, host });
      const bulk = new BulkMode(bulkSize, refusal.reason(), (message) => io.err(`${message}\n`));
      const undone = await undoDevices(client, journal, plan.devices, bulk);
      for (const f of undone.failed.slice(0, 20)) io.err(`failed: ${f.what}: ${f.error}\n`);
      if (undone.done + undone.failed.length > 0) io.err(`memberships and phones: ${count(undone.done)} undone, ${count(undone.failed.length)} failed\n`);
      if (plan.devices.groupsCreated.length > 0) {
        io.err(`the run created groups ${plan.devices.groupsCreated.map((g) => `"${g}"`).join(', ')}: left in place (delete them in the Admin Panel if nothing else uses them)\n`);
      }
      if (plan.kind === 'import') {
        const result = await trashUsers(client, journal, plan.trash, progress);
        for (const f of result.failed.slice(0, 20)) io.err(`failed: ${f.userId}: ${f.error}\n`);
        const days = result.trashed > 0 ? await pendingDeletionDays(client) : null;
        io.err(`sent ${count(result.trashed)} users to the Trash, ${count(result.already)} were already there, ${count(result.failed.length)} failed · journal: ${journal.path}\n` +
          (days === null ? '' : `Duo deletes users in the Trash for good after ${days} days (the tenant's pending_deletion_days): restore them there until then\n`));
        return result.failed.length > 0 || undone.failed.length > 0 ? 1 : 0;
      }
      const { results, already } = await restoreNames(client, journal, plan.restore, bulk);
      const failed = results.filter((r) => !r.ok);
      for (const f of failed.slice(0, 20)) io.err(`failed: ${f.userId}: ${f.error}\n`);
      io.err(`restored ${count(results.length - failed.length)} users (${count(already)} already had their names), ` +
        `${count(failed.length)} failed · journal: ${journal.path}\n`);
      return failed.length > 0 || undone.failed.length > 0 ? 1 : 0;
    } finally {
      await journal.close();
    }
  },
};
