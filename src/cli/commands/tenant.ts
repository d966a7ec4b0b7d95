import type { Argv } from 'yargs';
import type { DuoArgs } from '../../duo/api/connection.js';
import { exportLiveTenant, liveSnapshot, loadTenantSnapshot } from '../../duo/tenant/tenant.js';
import { diffTenants, tenantDiffJson, writeTenantDiffCsv } from '../../duo/tenant/tenant-diff.js';
import { tenantDiffReport } from '../../report/tenant-diff-report.js';
import { checkReportPath } from '../../report/write-report.js';
import { reportOption, runInfo, saveReport, type ReportArgs } from './report-option.js';
import { checkOutputPath } from '../../atomic-file.js';
import type { CliIo } from '../io.js';
import { count } from '../progress.js';
import { renderTenantDiffText } from '../render/tenant-diff-text.js';
import type { CommandModule } from './command.js';
import { connectToDuo, duoOptions } from './duo-connection.js';

interface ExportArgs extends DuoArgs {
  out: string;
  format?: 'json' | 'csv';
}

interface DiffArgs extends DuoArgs, ReportArgs {
  before: string;
  after?: string;
  out?: string;
  format?: 'text' | 'json';
  'include-trash'?: boolean;
}

const tenantExportCommand: CommandModule<ExportArgs> = {
  command: 'export',
  describe: 'snapshot every Duo user, group and phone (read-only), for plan --tenant, tenant diff and simulator',
  builder: (yargs: Argv) =>
    duoOptions(yargs)
      .option('out', { type: 'string', demandOption: true, describe: 'the snapshot file' })
      .option('format', { choices: ['json', 'csv'] as const, describe: 'json (default, for plan --tenant) or csv (for a spreadsheet)' })
      .example('$0 tenant export --out tenant-before.json', 'back up every user before a migration'),
  run: (args, io) => exportTenant(args, io),
};

const tenantDiffCommand: CommandModule<DiffArgs> = {
  command: 'diff <before> [after]',
  describe: 'what changed between two snapshots, or a snapshot and the live tenant (exit 1 when anything did)',
  builder: (yargs: Argv) =>
    reportOption(duoOptions(yargs))
      .positional('before', { type: 'string', describe: 'a tenant export file' })
      .positional('after', { type: 'string', describe: 'a later tenant export file (without it: the live tenant)' })
      .option('out', { type: 'string', describe: 'also write the differences as CSV' })
      .option('format', { choices: ['text', 'json'] as const, describe: 'text (default) or json' })
      .option('include-trash', { type: 'boolean', describe: 'count users in Duo\'s Trash as differences (by default they count as gone, listed apart)' })
      .example('$0 tenant diff tenant-before.json tenant-after.json', 'what a run changed (exit 1 when anything did)')
      .example('$0 tenant diff tenant-before.json', 'the snapshot against the live tenant: empty after a rollback')
      .example('$0 tenant diff tenant-before.json tenant-after.json --report diff.html', 'the differences as a page'),
  run: (args, io, argv) => diffTenant(args, io, argv),
};

export const tenantCommand: CommandModule<Record<string, never>> = {
  command: 'tenant',
  describe: 'export: snapshot every Duo user, group and phone (read-only); diff: what changed between two snapshots, or a snapshot and the live tenant',
  builder: (yargs: Argv) => yargs,
  subcommands: [tenantExportCommand, tenantDiffCommand],
  // Never reached: yargs demands a subcommand ("name what to do: tenant export or tenant diff").
  run: async () => 2,
};

async function exportTenant(args: ExportArgs, io: CliIo): Promise<number> {
  await checkOutputPath(args.out, '--out');
  const { client, host } = await connectToDuo(args, io);
  const users = await exportLiveTenant(client, host, args.out, args.format === 'csv' ? 'csv' : 'json');
  io.err(`wrote ${count(users)} Duo users of ${host} to ${args.out} (${count(client.stats.calls)} API calls)\n`);
  return 0;
}

async function diffTenant(args: DiffArgs, io: CliIo, argv: readonly string[]): Promise<number> {
  const files = [args.before, ...(args.after === undefined ? [] : [args.after])];
  if (args.out !== undefined) await checkOutputPath(args.out, '--out');
  if (args.report !== undefined) await checkReportPath(args.report);
  const before = await loadTenantSnapshot(files[0]!);
  let after;
  let afterName = files[1];
  let afterHost: string | null = null;
  if (afterName !== undefined) {
    after = await loadTenantSnapshot(afterName);
    afterHost = after.host || null;
  } else {
    const { client, host } = await connectToDuo(args, io);
    after = await liveSnapshot(client, host);
    afterName = `live tenant ${host}`;
    afterHost = host;
  }
  const includeTrash = args['include-trash'] ?? false;
  const diff = diffTenants(before, after, { includeTrash });
  if (args.out !== undefined) await writeTenantDiffCsv(args.out, diff);
  const json = tenantDiffJson(diff, files[0]!, afterName);
  if (args.report !== undefined) {
    const inputs: [string, string][] = files.map((file, i) => [i === 0 ? 'before' : 'after', file]);
    await saveReport(io, args.report, await tenantDiffReport(json, runInfo(argv, afterHost, inputs), includeTrash));
  }
  if (args.format === 'json') io.out(JSON.stringify(json, null, 2) + '\n');
  else io.out(renderTenantDiffText(diff, files[0]!, afterName, includeTrash));
  return diff.changes.length === 0 ? 0 : 1;
}
