import type { Argv } from 'yargs';
import type { DuoArgs } from '../../duo/api/connection.js';
import { planJson, writePlanCsv } from '../../duo/plan/plan-json.js';
import { loadTenantSnapshot } from '../../duo/tenant/tenant.js';
import { planImport } from '../../duo/workflows/decision-context.js';
import { checkOutputPath } from '../../atomic-file.js';
import type { CliIo } from '../io.js';
import { count } from '../progress.js';
import { renderPlanText } from '../render/plan-text.js';
import type { CommandModule } from './command.js';
import { csvRowsOptions, readValidRows, type CsvRowsArgs } from './csv-rows.js';
import { attachOptions, connectToDuo, duoOptions, restoreTrashedOption, syncDeletedOption, type AttachArgs } from './duo-connection.js';
import { planReport } from '../../report/plan-report.js';
import { checkReportPath } from '../../report/write-report.js';
import { reportOption, runInfo, saveReport, type ReportArgs } from './report-option.js';

interface PlanArgs extends DuoArgs, CsvRowsArgs, AttachArgs, ReportArgs {
  tenant?: string;
  format: 'text' | 'json';
  out?: string;
  'assert-sync-deleted'?: boolean;
  'restore-trashed'?: boolean;
}

export const planCommand: CommandModule<PlanArgs> = {
  command: 'plan <file>',
  describe: 'Show what import and migrate would do to the tenant (read-only): create, unchanged, update, migrate, conflict',
  builder: (yargs: Argv) =>
    reportOption(restoreTrashedOption(attachOptions(syncDeletedOption(csvRowsOptions(duoOptions(yargs))))))
      .group(['tenant', 'format', 'out', 'report'], 'What to compare with, and the output:')
      .group(['restore-trashed', 'assert-sync-deleted'], 'Groups, phones and tokens:')
      .option('tenant', { type: 'string', describe: 'plan against a snapshot from "tenant export" instead of the live tenant' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'the plan on stdout: text (a summary and the first rows of each kind) or json (every row)' })
      .option('out', { type: 'string', describe: 'also write the plan as a CSV' })
      .example('$0 plan users.csv', 'against the live tenant (DUO_HOST, DUO_IKEY, DUO_SKEY)')
      .example('$0 plan users.csv --tenant tenant-before.json --out plan.csv', 'offline rehearsal against a snapshot')
      .example('$0 plan users.csv --report plan.html', 'the plan as a page for the change ticket'),
  run: async (args, io: CliIo, argv) => {
    if (args.out !== undefined) await checkOutputPath(args.out, '--out');
    if (args.report !== undefined) await checkReportPath(args.report);
    const duo = args.tenant === undefined ? await connectToDuo(args, io) : null;
    const { rows, sha256 } = await readValidRows(args, io);
    const snapshot = duo === null ? await loadTenantSnapshot(args.tenant!) : null;
    const { plan, users, notes } = await planImport(rows, duo === null ? { snapshot: snapshot!, path: args.tenant! } : { client: duo.client }, {
      syncDeleted: args['assert-sync-deleted'], createGroups: args['create-groups'], sharePhones: args['share-phones'], restoreTrashed: args['restore-trashed'],
    });
    for (const note of notes) io.err(`note: ${note}\n`);
    if (args.out !== undefined) await writePlanCsv(args.out, plan);
    const source = duo === null ? `snapshot ${args.tenant}` : `live tenant ${duo.host}`;
    const json = planJson(plan);
    if (args.report !== undefined) {
      const inputs: [string, string, string?][] = [['CSV', args.file, sha256], ...(args.tenant === undefined ? [] : [['snapshot', args.tenant] as [string, string]])];
      await saveReport(io, args.report, await planReport(json, runInfo(argv, duo?.host ?? snapshot?.host ?? null, inputs), `${source} (${count(users)} Duo users)`));
    }
    if (args.format === 'json') io.out(JSON.stringify(json, null, 2) + '\n');
    else io.out(renderPlanText(plan, `${source} (${count(users)} Duo users)`));
    return plan.summary.conflict > 0 ? 1 : 0;
  },
};
