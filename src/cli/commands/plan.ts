import type { Argv } from 'yargs';
import type { DuoArgs } from '../../duo/api/connection.js';
import type { DuoClient } from '../../duo/api/client.js';
import { planRows } from '../../duo/plan/decide.js';
import { planJson, writePlanCsv } from '../../duo/plan/plan-report.js';
import { loadLiveTenant, loadTenantSnapshot } from '../../duo/tenant/tenant.js';
import { checkOutputPath } from '../../atomic-file.js';
import type { CliIo } from '../io.js';
import { count } from '../progress.js';
import { renderPlanText } from '../render/plan-text.js';
import type { CommandModule } from './command.js';
import { csvRowsOptions, readValidRows, type CsvRowsArgs } from './csv-rows.js';
import { attachOptions, connectToDuo, duoOptions, restoreTrashedOption, syncDeletedOption, type AttachArgs } from './duo-connection.js';
import { pendingDeletionDays } from '../../duo/api/settings-api.js';
import { listGroups } from '../../duo/api/groups-api.js';
import { knownGroup } from '../../duo/writes/group-directory.js';
import { TokenBook } from '../../duo/writes/token-book.js';
import { nameKey } from '../../names.js';
import type { KnownGroup } from '../../duo/plan/decide.js';
import { planReport } from '../../report/plan-report.js';
import { checkReportPath } from '../../report/write-report.js';
import { reportOption, runInfo, saveReport, type ReportArgs } from './report-option.js';
import { TRASHED } from '../../duo/api/users-api.js';

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
      .option('tenant', { type: 'string', describe: 'plan against a snapshot from "tenant export" instead of the live tenant' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const })
      .option('out', { type: 'string', describe: 'also write the plan as a CSV' })
      .example('$0 plan users.csv', 'against the live tenant (DUO_HOST, DUO_IKEY, DUO_SKEY)')
      .example('$0 plan users.csv --tenant tenant-before.json --out plan.csv', 'offline rehearsal against a snapshot')
      .example('$0 plan users.csv --report plan.html', 'the plan as a page for the change ticket'),
  run: async (args, io: CliIo, argv) => {
    if (args.out !== undefined) await checkOutputPath(args.out, '--out');
    if (args.report !== undefined) await checkReportPath(args.report);
    const duo = args.tenant === undefined ? await connectToDuo(args, io) : null;
    const rows = await readValidRows(args, io);
    const snapshot = duo === null ? await loadTenantSnapshot(args.tenant!) : null;
    const tenant = snapshot?.users ?? (await loadLiveTenant(duo!.client));
    const groups = rows.some((row) => row.groups.length > 0) ? await tenantGroups(snapshot?.groups, duo?.client) : undefined;
    const trashed = tenant.some((user) => user.status === TRASHED);
    const days = !trashed ? null : duo === null ? snapshot?.settings?.pending_deletion_days ?? null : await pendingDeletionDays(duo.client);
    const hasTokens = rows.some((row) => row.tokens.length > 0);
    const tokens = !hasTokens ? null : duo === null ? TokenBook.fromSnapshot(snapshot?.tokens, tenant) : TokenBook.live();
    if (duo !== null) await tokens?.learn(duo.client, rows);
    else if (hasTokens && tokens === null) {
      io.err(`note: ${args.tenant} lists no hardware tokens (a snapshot from before duo-bridge read them): whether Duo has the rows' tokens is not checked; "tenant export" again to check it\n`);
    }
    const plan = planRows(rows, tenant, {
      tokens: tokens?.get,
      syncDeleted: args['assert-sync-deleted'] ?? false, groups, createGroups: args['create-groups'] ?? false, sharePhones: args['share-phones'] ?? false,
      restoreTrashed: args['restore-trashed'] ?? false, pendingDeletionDays: days,
    });
    if (args.out !== undefined) await writePlanCsv(args.out, plan);
    const source = duo === null ? `snapshot ${args.tenant}` : `live tenant ${duo.host}`;
    const json = planJson(plan);
    if (args.report !== undefined) {
      const inputs: [string, string][] = [['CSV', args.file], ...(args.tenant === undefined ? [] : [['snapshot', args.tenant] as [string, string]])];
      await saveReport(io, args.report, await planReport(json, runInfo(argv, duo?.host ?? snapshot?.host ?? null, inputs), `${source} (${count(tenant.length)} Duo users)`));
    }
    if (args.format === 'json') io.out(JSON.stringify(json, null, 2) + '\n');
    else io.out(renderPlanText(plan, `${source} (${count(tenant.length)} Duo users)`));
    return plan.summary.conflict > 0 ? 1 : 0;
  },
};

/** The tenant's groups by name: from the snapshot (none in snapshots older than groups support), or read live. */
async function tenantGroups(snapshot: readonly { group_id: string; name: string }[] | null | undefined, client: DuoClient | undefined): Promise<Map<string, KnownGroup> | undefined> {
  const groups = new Map<string, KnownGroup>();
  if (client !== undefined) for await (const group of listGroups(client)) groups.set(nameKey(group.name), knownGroup(group));
  else if (snapshot) for (const group of snapshot) groups.set(nameKey(group.name), knownGroup(group));
  else return undefined;
  return groups;
}
