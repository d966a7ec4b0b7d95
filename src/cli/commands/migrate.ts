import type { Argv } from 'yargs';
import type { DuoArgs } from '../../duo/api/connection.js';
import { migrateJson, migrateUsers } from '../../duo/workflows/migrate.js';
import { migrateReport } from '../../report/plan-report.js';
import { checkReportPath } from '../../report/write-report.js';
import { reportOption, runInfo, saveReport, type ReportArgs } from './report-option.js';
import type { CliIo } from '../io.js';
import { count, counted, ProgressLine } from '../progress.js';
import { renderPlanText } from '../render/plan-text.js';
import type { CommandModule } from './command.js';
import { csvRowsOptions, readValidRows, type CsvRowsArgs } from './csv-rows.js';
import { attachOptions, bulkOptions, bulkSizeOf, confirmWrites, connectToDuo, duoOptions, refuseWithoutPrompt, syncDeletedOption, type AttachArgs, type BulkArgs } from './duo-connection.js';

interface MigrateArgs extends DuoArgs, CsvRowsArgs, BulkArgs, AttachArgs, ReportArgs {
  format?: 'text' | 'json';
  apply?: boolean;
  yes?: boolean;
  journal?: string;
  'assert-sync-deleted'?: boolean;
}

export const migrateCommand: CommandModule<MigrateArgs> = {
  command: 'migrate <file>',
  describe: 'Rename existing Duo users in place (e.g. email username → sAMAccountName + email alias), journaled',
  builder: (yargs: Argv) =>
    reportOption(attachOptions(bulkOptions(syncDeletedOption(csvRowsOptions(duoOptions(yargs))))))
      .group(['apply', 'yes', 'journal', 'format', 'report'], 'What to do:')
      .group(['assert-sync-deleted'], 'Groups, phones and tokens:')
      .option('format', { choices: ['text', 'json'] as const, describe: 'the plan (and, with --apply, each rename\'s outcome) on stdout: text (default) or json' })
      .option('apply', { type: 'boolean', describe: 'perform the renames (without it: show the plan only)' })
      .option('yes', { type: 'boolean', describe: 'do not ask for confirmation' })
      .option('journal', { type: 'string', describe: 'journal file (default <name>.migrate.jsonl); re-running resumes, rollback undoes' })
      .example('$0 migrate users.csv', 'show which users would be renamed')
      .example('$0 migrate users.csv --apply', 'rename them; then "import --apply" creates the new users')
      .example('$0 migrate users.csv --apply --assert-sync-deleted', 'the old email-username sync is deleted: its users may be renamed')
      .example('$0 migrate users.csv --report migrate.html', 'the renames as a page for the change ticket'),
  run: async (args, io: CliIo, argv) => {
    if (args.apply) refuseWithoutPrompt(io, args.yes);
    if (args.report !== undefined) await checkReportPath(args.report);
    bulkSizeOf(args);
    const { client, host } = await connectToDuo(args, io);
    const { rows, sha256 } = await readValidRows(args, io);
    const progress = new ProgressLine(io);
    const result = await migrateUsers({
      input: args.file, sha256, rows, client, host, ...(args.journal === undefined ? {} : { journalPath: args.journal }), syncDeleted: args['assert-sync-deleted'] ?? false,
      bulkSize: bulkSizeOf(args), onNotice: (message) => progress.note(message),
      attach: { createGroups: args['create-groups'] ?? false, sharePhones: args['share-phones'] ?? false },
      confirm: async (plan) => {
        if (args.format !== 'json') io.out(renderPlanText(plan, `live tenant ${host}`));
        if (!args.apply) return false;
        if (plan.summary.migrate > 0) await confirmWrites(io, args.yes, `Rename ${count(plan.summary.migrate)} Duo users in ${host}?`);
        return true;
      },
      onStep: (done, total) => progress.update(() => `renaming: ${count(done)}/${count(total)}`),
    }).finally(() => progress.done());
    const json = migrateJson(result);
    if (args.report !== undefined) await saveReport(io, args.report, await migrateReport(json, runInfo(argv, host, [['CSV', args.file, sha256]])));
    if (args.format === 'json') io.out(JSON.stringify(json, null, 2) + '\n');
    if (!result.confirmed) {
      io.err('nothing was changed: add --apply to perform the migrate rows\n');
      return result.plan.summary.conflict > 0 ? 1 : 0;
    }
    const failed = result.results.filter((r) => !r.ok);
    for (const f of failed.slice(0, 20)) io.err(`failed: ${f.userId}: ${f.error}\n`);
    for (const f of result.attachFailures.slice(0, 20)) io.err(`renamed, but: ${f.userId}: ${f.error}\n`);
    const undo = result.results.length > 0 ? `journal: ${result.journal} (rollback ${result.journal} undoes it)` : 'nothing to rename';
    io.err(`migrated ${counted(result.results.length - failed.length, 'user')}, ${count(failed.length)} failed · ` +
      `${counted(result.plan.summary.conflict, 'conflict')} left untouched · ${undo}\n`);
    return failed.length > 0 || result.attachFailures.length > 0 || result.plan.summary.conflict > 0 ? 1 : 0;
  },
};
