import type { Argv } from 'yargs';
import type { DuoArgs } from '../../duo/api/connection.js';
import { bindJournal, Journal } from '../../duo/journal/journal.js';
import { restoreNames, rollbackPlan, trashUsers } from '../../duo/workflows/rollback.js';
import { UsageError } from '../../errors.js';
import type { CliIo } from '../io.js';
import { count } from '../progress.js';
import type { CommandModule } from './command.js';
import { confirmWrites, connectToDuo, duoOptions } from './duo-connection.js';

interface RollbackArgs extends DuoArgs {
  journal: string;
  apply?: boolean;
  yes?: boolean;
}

export const rollbackCommand: CommandModule<RollbackArgs> = {
  command: 'rollback',
  describe: 'Undo an import (its users go to Duo\'s Trash) or a migrate (names restored), from its journal',
  builder: (yargs: Argv) =>
    duoOptions(yargs)
      .option('journal', { type: 'string', demandOption: true, describe: 'the journal of the import or migrate to undo' })
      .option('apply', { type: 'boolean', describe: 'do it (without it: show what would be done)' })
      .option('yes', { type: 'boolean', describe: 'do not ask for confirmation' })
      .example('$0 rollback --journal users.journal.jsonl', 'show what undoing the import would do')
      .example('$0 rollback --journal users.migrate.jsonl --apply', 'restore the names a migrate changed'),
  run: async (args, io: CliIo) => {
    const source = await Journal.open(args.journal);
    let plan;
    try {
      plan = rollbackPlan(source);
    } finally {
      await source.close();
    }
    const what = plan.kind === 'import'
      ? `send ${count(plan.trash.length)} users created by the import to Duo's Trash (restorable for 7 days)`
      : `restore the original username and aliases of ${count(plan.restore.length)} renamed users`;
    io.out(`rollback of ${args.journal}: ${what}\n`);
    if (plan.kind === 'import') for (const id of plan.trash.slice(0, 20)) io.out(`  ${id}\n`);
    else for (const r of plan.restore.slice(0, 20)) io.out(`  ${r.userId} → ${r.original.username} [${Object.values(r.original.aliases).join(', ')}]\n`);
    if (!args.apply) {
      io.err('nothing was changed: add --apply to roll back\n');
      return 0;
    }
    const { client, host } = await connectToDuo(args, io);
    if (!(await confirmWrites(io, args.yes, `Roll back in ${host}: ${what}?`))) throw new UsageError('NOT_CONFIRMED', 'nothing was changed');
    const journal = await Journal.open(`${args.journal.replace(/\.jsonl$/, '')}.rollback.jsonl`);
    try {
      await bindJournal(journal, { kind: 'rollback', input: args.journal, host });
      if (plan.kind === 'import') {
        const trashed = await trashUsers(client, journal, plan.trash);
        io.err(`sent ${count(trashed)} users to the Trash · journal: ${journal.path}\n`);
        return 0;
      }
      const results = await restoreNames(client, journal, plan.restore);
      const failed = results.filter((r) => !r.ok);
      for (const f of failed.slice(0, 20)) io.err(`failed: ${f.userId}: ${f.error}\n`);
      io.err(`restored ${count(results.length - failed.length)} users (${count(plan.restore.length - results.length)} already had their names), ` +
        `${count(failed.length)} failed · journal: ${journal.path}\n`);
      return failed.length > 0 ? 1 : 0;
    } finally {
      await journal.close();
    }
  },
};
