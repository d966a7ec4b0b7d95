import type { Argv } from 'yargs';
import { DataError, UsageError } from '../../errors.js';
import type { DuoArgs } from '../../duo/api/connection.js';
import { CheckedInput } from '../../input/checked-input.js';
import { importFiles } from '../../input/run-files.js';
import { runImport } from '../../duo/workflows/run-import.js';
import { shownActions } from '../render/plan-text.js';
import { MAX_BATCH } from '../../duo/api/users-api.js';
import { checkOutputPath } from '../../atomic-file.js';
import { printAll, styler, type CliIo } from '../io.js';
import { parseDelimiter, parseIntegerOption } from '../options.js';
import { bar, count, counted, listed, ProgressLine, rate } from '../progress.js';
import { renderFindingsText } from '../render/findings-text.js';
import { parseCountry } from '../../phone.js';
import type { CommandModule } from './command.js';
import type { PlanAction } from '../../duo/plan/decide.js';
import { importReport } from '../../report/import-report.js';
import { checkReportPath } from '../../report/write-report.js';
import { reportOption, runInfo, saveReport, type ReportArgs } from './report-option.js';
import { countryOption } from './csv-rows.js';
import { attachOptions, restoreTrashedOption, bulkOptions, bulkSizeOf, confirmWrites, connectToDuo, duoOptions, refuseWithoutPrompt, syncDeletedOption, type AttachArgs, type BulkArgs } from './duo-connection.js';

interface ImportArgs extends DuoArgs, BulkArgs, AttachArgs, ReportArgs {
  file: string;
  'out-dir'?: string;
  'duo-csv'?: string;
  apply?: boolean;
  'batch-size'?: number | string;
  journal?: string;
  'skip-invalid'?: boolean;
  update?: boolean;
  yes?: boolean;
  delimiter?: string;
  'max-aliases'?: number | string;
  'assert-sync-deleted'?: boolean;
  'restore-trashed'?: boolean;
  'default-country'?: string;
  sheet?: string;
  enroll?: boolean;
  'send-activation'?: boolean;
}

export const importCommand: CommandModule<ImportArgs> = {
  command: 'import <file>',
  describe: 'Turn a validated CSV into Duo bulk_create batches (--out-dir), a file for Duo\'s Admin Panel import (--duo-csv), or create the users in Duo (--apply)',
  builder: (yargs: Argv) =>
    reportOption(restoreTrashedOption(attachOptions(countryOption(bulkOptions(syncDeletedOption(duoOptions(yargs)))))))
      .group(['out-dir', 'duo-csv', 'apply', 'yes', 'update', 'journal', 'report'], 'What to do (one of --out-dir, --duo-csv, --apply):')
      .group(['skip-invalid', 'delimiter', 'sheet', 'max-aliases', 'batch-size'], 'The list:')
      .group(['default-country', 'enroll', 'send-activation', 'restore-trashed', 'assert-sync-deleted'], 'Groups, phones and tokens:')
      .positional('file', { type: 'string', demandOption: true, describe: 'the user list: a CSV, or an .xlsx workbook' })
      .option('out-dir', { type: 'string', describe: 'offline: write batch-0001.json … here for review' })
      .option('duo-csv', { type: 'string', describe: 'offline: write the validated list as a CSV for Duo\'s Admin Panel "Import Users" page (Duo\'s columns and conventions)' })
      .option('apply', { type: 'boolean', describe: 'live: create the users in Duo (DUO_HOST, DUO_IKEY, DUO_SKEY)' })
      .option('batch-size', { type: 'number', requiresArg: true, describe: `users per bulk_create (default and maximum ${MAX_BATCH})` })
      .option('skip-invalid', { type: 'boolean', describe: 'import the valid rows; write the others to <name>.rejected.csv' })
      .option('update', { type: 'boolean', describe: 'with --apply: also update existing users whose fields or aliases differ (see plan)' })
      .option('yes', { type: 'boolean', describe: 'with --apply: do not ask for confirmation' })
      .option('journal', { type: 'string', describe: 'journal file (default <name>.journal.jsonl); re-running resumes from it' })
      .option('enroll', { type: 'boolean', describe: 'with --apply: send Duo\'s enrollment email to each created user with an email and no phone (once, even across resumes)' })
      .option('send-activation', { type: 'boolean', describe: 'with --apply: text the Duo Mobile activation link to each phone this run creates (spends telephony credits)' })
      .option('delimiter', { type: 'string', describe: 'field delimiter (default: sniffed)' })
      .option('sheet', { type: 'string', describe: 'for an .xlsx file: the worksheet to read (default the first)' })
      .option('max-aliases', { type: 'number', requiresArg: true, describe: 'most aliases a row may have, as in validate (default 8)' })
      .example('$0 import users.csv --out-dir batches/', 'offline: write the batches for review')
      .example('$0 import users.csv --duo-csv duo-import.csv --default-country US', 'the cleaned list for Duo\'s Admin Panel "Import Users"')
      .example('DUO_HOST=api-xxxxxxxx.duosecurity.com DUO_IKEY=DI… DUO_SKEY=… $0 import users.csv --apply', 'create the users; re-run to resume')
      .example('$0 import users.csv --apply --skip-invalid', 'import the valid rows, write users.rejected.csv')
      .example('$0 import users.csv --apply --default-country US --create-groups --enroll', 'with groups and phones; enrollment emails to users without a phone')
      .example('$0 import users.csv --apply --report import.html', 'and a page of every row\'s outcome for the change ticket'),
  run: async (args, io: CliIo, argv) => {
    if ([args['out-dir'], args['duo-csv'], args.apply].filter(Boolean).length !== 1) {
      throw new UsageError('BAD_OPTION', 'give one of --out-dir DIR (offline batches), --duo-csv FILE (a CSV for Duo\'s Admin Panel import) or --apply (live import)');
    }
    if (args['duo-csv'] !== undefined) await checkOutputPath(args['duo-csv'], '--duo-csv');
    for (const flag of ['update', 'enroll', 'send-activation', 'create-groups', 'share-phones', 'restore-trashed'] as const) {
      if (args[flag] && !args.apply) throw new UsageError('BAD_OPTION', `--${flag} goes with --apply`);
    }
    if (args.apply) refuseWithoutPrompt(io, args.yes);
    if (args.report !== undefined) {
      if (!args.apply) throw new UsageError('BAD_OPTION', '--report goes with --apply (the page shows each row\'s outcome; "duo-bridge plan --report" shows what an import would do)');
      await checkReportPath(args.report);
    }
    const batchSize = parseIntegerOption('batch-size', args['batch-size'], 1, MAX_BATCH) ?? MAX_BATCH;
    const delimiter = parseDelimiter(args.delimiter);
    const maxAliases = parseIntegerOption('max-aliases', args['max-aliases'], 0, 8);
    const bulkSize = bulkSizeOf(args);
    const skipInvalid = args['skip-invalid'] ?? false;
    const files = importFiles(args.file, args.journal);
    if (args.apply) for (const [path, what] of [[files.results, 'results file'], [files.journal, '--journal']] as const) await checkOutputPath(path, what);
    // Credentials are checked before the file is read: a typo in DUO_HOST should not wait for a long validation.
    const progress = new ProgressLine(io);
    const duo = args.apply ? await connectToDuo(args, io, (ms) => progress.note(`Duo answered 429: waiting ${(ms / 1000).toFixed(1)} s`)) : null;

    await using input = await CheckedInput.check(args.file, { delimiter, sheet: args.sheet, skipInvalid, maxAliases, defaultCountry: parseCountry(args['default-country']) });
    if (input.refused) return await refuse(args.file, input, io);
    const skipped = (): void => {
      if (input.invalidRows.size > 0) io.err(`skipping ${count(input.invalidRows.size)} invalid rows; they are in ${files.rejected} with the reasons\n`);
    };

    if (args['duo-csv'] !== undefined) {
      const { written } = await runImport(input, { kind: 'duo-csv', out: args['duo-csv'] }, files.rejected);
      skipped();
      io.err(`wrote ${counted(written.users, 'user')} to ${args['duo-csv']} for Duo's Admin Panel (Users → Import Users), columns ${written.columns.join(', ')}` +
        `${input.invalidRows.size > 0 ? ` (${counted(input.invalidRows.size, 'invalid row')} skipped)` : ''}\n` +
        'note: Duo\'s import updates a user whose username or alias matches a row, and creates the others: "duo-bridge plan" shows which is which first\n');
      return input.invalidRows.size > 0 ? 1 : 0;
    }
    if (duo === null) {
      const { written } = await runImport(input, { kind: 'batch-files', outDir: args['out-dir']!, batchSize }, files.rejected);
      skipped();
      io.err(`wrote ${counted(written.users, 'user')} in ${counted(written.files, 'batch file')} to ${args['out-dir']}` +
        `${input.invalidRows.size > 0 ? ` (${count(input.invalidRows.size)} invalid rows skipped)` : ''}\n` +
        (written.droppedAliases > 0 ? `note: ${counted(written.droppedAliases, 'alias', 'aliases')} equal to ${written.droppedAliases === 1 ? 'its' : 'their'} own row's username ${written.droppedAliases === 1 ? 'was' : 'were'} left out\n` : '') +
        (written.leftOut.groups + written.leftOut.phones + written.leftOut.tokens > 0
          ? `warning: bulk_create carries users only: ${listed([
            written.leftOut.groups > 0 ? `${counted(written.leftOut.groups, 'group membership')} (${counted(written.leftOut.groupUsers, 'user')})` : '',
            written.leftOut.phones > 0 ? `${counted(written.leftOut.phones, 'phone')} (${counted(written.leftOut.phoneUsers, 'user')})` : '',
            written.leftOut.tokens > 0 ? `${counted(written.leftOut.tokens, 'hardware token')} (${counted(written.leftOut.tokenUsers, 'user')})` : '',
          ].filter(Boolean))} are not in the batch files; "import --apply" adds them, or Duo's Admin Panel import of --duo-csv\n`
          : ''));
      return input.invalidRows.size > 0 ? 1 : 0;
    }

    const syncDeleted = args['assert-sync-deleted'] ?? false;
    let previewed: Record<PlanAction, number> | null = null;
    skipped();
    const { summary } = await runImport(input, {
      kind: 'apply', batchSize, files, client: duo.client, host: duo.host, update: args.update ?? false, syncDeleted, restoreTrashed: args['restore-trashed'] ?? false, bulkSize,
      onNotice: (message) => progress.note(message),
      attach: { createGroups: args['create-groups'] ?? false, sharePhones: args['share-phones'] ?? false, enroll: args.enroll ?? false, sendActivation: args['send-activation'] ?? false },
      // The plan first: what this run will do, and a last chance to stop.
      confirm: async (resuming, preview) => {
        if (resuming) {
          io.err(`resuming the import recorded in ${files.journal} (its plan was shown when it started)\n`);
        } else {
          progress.update(() => 'planning: looking up the rows\' names in Duo');
          const plan = await preview().finally(() => progress.done());
          previewed = plan;
          io.err(`plan for ${duo.host}: ${shownActions(plan).map((a) => `${a} ${count(plan[a])}`).join(' · ')}` +
            ` (import creates the create rows${args.update ? ', updates the update rows' : ''}; see "duo-bridge plan" for details)\n`);
        }
        await confirmWrites(io, args.yes, `${resuming ? 'Resume the import' : 'Import'} into ${duo.host}?`);
        return true;
      },
      onProgress: (p) => progress.update((s) => {
        const left = s > 0 && p.done > 0 ? ((p.total - p.done) * s) / p.done : 0;
        const share = p.done / Math.max(1, p.total);
        return `${io.errIsTTY ? `${bar(share)} ` : 'importing: '}${count(p.done)}/${count(p.total)} rows (${Math.floor(100 * share)}%), ` +
          `${rate(p.done, s)}, ETA ${Math.ceil(left)} s · created ${count(p.created)}, exists ${count(p.exists)}, failed ${count(p.failed)}`;
      }),
    }, files.rejected).finally(() => progress.done());
    if (summary === null) throw new UsageError('NOT_CONFIRMED', 'nothing was changed');
    if (args.report !== undefined) {
      await saveReport(io, args.report, await importReport({ summary, preview: previewed, results: files.results, journal: files.journal }, runInfo(argv, duo.host, [['CSV', args.file, input.sha256]])));
    }

    const style = styler(io.errIsTTY);
    io.err(`${summary.resumed ? 'resumed import' : 'import'} of ${args.file}: created ${count(summary.created)}, ${summary.updated > 0 || args.update ? `updated ${count(summary.updated)}, ` : ''}${summary.restored > 0 ? `restored ${count(summary.restored)}, ` : ''}exists ${count(summary.exists)}, ` +
      `${style(summary.failed > 0 ? 'red' : 'green', `failed ${count(summary.failed)}`)}, skipped ${count(summary.skipped)} · ` +
      `${count(summary.calls)} API calls (${count(summary.writes)} writes), ${count(summary.rateLimited)} × 429 · ${progress.elapsedSeconds().toFixed(1)} s\n` +
      `results: ${files.results} · journal: ${files.journal}\n` +
      (summary.droppedAliases > 0 ? `note: ${counted(summary.droppedAliases, 'alias', 'aliases')} equal to ${summary.droppedAliases === 1 ? 'its' : 'their'} own row's username ${summary.droppedAliases === 1 ? 'was' : 'were'} left out (see the note column)\n` : '') +
      (summary.exists > 0 ? `${existsInPlanWords(summary)}\n` : '') +
      (summary.enrollmentsRefused > 0 ? `warning: Duo refused ${count(summary.enrollmentsRefused)} enrollment emails; those users were created without one (see the note column)\n` : ''));
    return summary.failed > 0 || summary.skipped > 0 ? 1 : 0;
  },
};

/** "exists" in plan's words, so the two commands speak one vocabulary. */
function existsInPlanWords(summary: { exists: number; unchanged: number; notUpdated: number }): string {
  const other = summary.exists - summary.unchanged - summary.notUpdated;
  const parts = [
    summary.unchanged > 0 ? `unchanged ${count(summary.unchanged)}` : '',
    summary.notUpdated > 0 ? `update ${count(summary.notUpdated)} (left as they are: --update applies them)` : '',
    other > 0 ? `${count(other)} found in Duo by an earlier run or while this one ran` : '',
  ].filter(Boolean);
  return `note: the ${counted(summary.exists, 'row')} that exist in Duo are, in plan's words: ${parts.join(', ')}`;
}

async function refuse(file: string, input: CheckedInput, io: CliIo): Promise<never> {
  await printAll(io, renderFindingsText(file, input.validation, { maxShown: 20, style: styler(io.outIsTTY) }));
  const hint = input.fileErrors.length > 0 ? 'fix the file first' : 'fix them, or import the valid rows with --skip-invalid';
  throw new DataError('IMPORT_REFUSED', `${file} has ${counted(input.validation.errors, 'error')}; nothing was imported: ${hint}`);
}
