import type { Argv } from 'yargs';
import type { DuoArgs } from '../../duo/api/connection.js';
import { liveSnapshot, loadTenantSnapshot, readLiveTenant, writeTenantDiffCsv, writeTenantSnapshot } from '../../duo/tenant/tenant.js';
import { diffTenants, tenantDiffJson } from '../../duo/tenant/tenant-diff.js';
import { tenantDiffReport } from '../../report/tenant-diff-report.js';
import { checkReportPath } from '../../report/write-report.js';
import { reportOption, runInfo, saveReport, type ReportArgs } from './report-option.js';
import { listGroups } from '../../duo/api/groups-api.js';
import { pendingDeletionDays } from '../../duo/api/settings-api.js';
import { checkOutputPath } from '../../atomic-file.js';
import { UsageError } from '../../errors.js';
import type { CliIo } from '../io.js';
import { count } from '../progress.js';
import { renderTenantDiffText } from '../render/tenant-diff-text.js';
import type { CommandModule } from './command.js';
import { connectToDuo, duoOptions } from './duo-connection.js';

interface TenantArgs extends DuoArgs, ReportArgs {
  action: 'export' | 'diff';
  snapshots?: string[];
  out?: string;
  format?: 'json' | 'csv' | 'text';
  'include-trash'?: boolean;
}

export const tenantCommand: CommandModule<TenantArgs> = {
  command: 'tenant <action> [snapshots..]',
  describe: 'export: snapshot every Duo user, group and phone (read-only); diff: what changed between two snapshots, or a snapshot and the live tenant',
  builder: (yargs: Argv) =>
    reportOption(duoOptions(yargs))
      .positional('action', { choices: ['export', 'diff'] as const, demandOption: true })
      .positional('snapshots', { type: 'string', array: true, describe: 'diff: BEFORE [AFTER] (tenant export files; without AFTER, the live tenant)' })
      .option('out', { type: 'string', describe: 'export: the snapshot file (required); diff: also write the differences as CSV' })
      .option('format', { choices: ['json', 'csv', 'text'] as const, describe: 'export: json (default, for plan --tenant) or csv; diff: text (default) or json' })
      .option('include-trash', { type: 'boolean', describe: 'diff: count users in Duo\'s Trash as differences (by default they count as gone, listed apart)' })
      .example('$0 tenant export --out tenant-before.json', 'back up every user before a migration')
      .example('$0 tenant diff tenant-before.json tenant-after.json', 'what a run changed (exit 1 when anything did)')
      .example('$0 tenant diff tenant-before.json', 'the snapshot against the live tenant: empty after a rollback')
      .example('$0 tenant diff tenant-before.json tenant-after.json --report diff.html', 'the differences as a page'),
  run: async (args, io: CliIo, argv) => (args.action === 'export' ? exportTenant(args, io) : diffTenant(args, io, argv)),
};

async function exportTenant(args: TenantArgs, io: CliIo): Promise<number> {
  if (args.out === undefined) throw new UsageError('BAD_OPTION', 'tenant export needs --out FILE');
  if ((args.snapshots ?? []).length > 0) throw new UsageError('BAD_OPTION', 'tenant export takes no file arguments: name the output with --out');
  if (args.format === 'text' || args['include-trash']) throw new UsageError('BAD_OPTION', 'tenant export writes --format json or csv');
  if (args.report !== undefined) throw new UsageError('BAD_OPTION', '--report goes with tenant diff (a snapshot is read by plan --tenant and tenant diff)');
  await checkOutputPath(args.out, '--out');
  const { client, host } = await connectToDuo(args, io);
  const users = await writeTenantSnapshot(args.out, host, readLiveTenant(client), args.format === 'csv' ? 'csv' : 'json',
    { groups: () => listGroups(client), pendingDeletionDays: () => pendingDeletionDays(client) });
  io.err(`wrote ${count(users)} Duo users of ${host} to ${args.out} (${count(client.stats.calls)} API calls)\n`);
  return 0;
}

async function diffTenant(args: TenantArgs, io: CliIo, argv: readonly string[]): Promise<number> {
  const files = args.snapshots ?? [];
  if (files.length < 1 || files.length > 2) throw new UsageError('BAD_OPTION', 'tenant diff takes BEFORE [AFTER]: two snapshot files, or one to compare with the live tenant');
  if (args.format === 'csv') throw new UsageError('BAD_OPTION', 'tenant diff prints --format text or json; --out FILE writes the CSV');
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
    after = await liveSnapshot(client, host, { groups: () => listGroups(client), pendingDeletionDays: () => pendingDeletionDays(client) });
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
