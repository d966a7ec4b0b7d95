import type { Argv } from 'yargs';
import type { DuoArgs } from '../../duo/api/connection.js';
import { readLiveTenant, writeTenantSnapshot } from '../../duo/tenant/tenant.js';
import { listGroups } from '../../duo/api/groups-api.js';
import { checkOutputPath } from '../../atomic-file.js';
import type { CliIo } from '../io.js';
import { count } from '../progress.js';
import type { CommandModule } from './command.js';
import { connectToDuo, duoOptions } from './duo-connection.js';

interface TenantArgs extends DuoArgs {
  action: 'export';
  out: string;
  format: 'json' | 'csv';
}

export const tenantCommand: CommandModule<TenantArgs> = {
  command: 'tenant <action>',
  describe: 'Snapshot every Duo user (read-only): a backup, and the input of plan --tenant',
  builder: (yargs: Argv) =>
    duoOptions(yargs)
      .positional('action', { choices: ['export'] as const, demandOption: true })
      .option('out', { type: 'string', demandOption: true, describe: 'the snapshot file' })
      .option('format', { choices: ['json', 'csv'] as const, default: 'json' as const, describe: 'json (for plan --tenant) or csv (for a spreadsheet)' })
      .example('$0 tenant export --out tenant-before.json', 'back up every user before a migration'),
  run: async (args, io: CliIo) => {
    await checkOutputPath(args.out, '--out');
    const { client, host } = await connectToDuo(args, io);
    const users = await writeTenantSnapshot(args.out, host, readLiveTenant(client), args.format, () => listGroups(client));
    io.err(`wrote ${count(users)} Duo users of ${host} to ${args.out} (${count(client.stats.calls)} API calls)\n`);
    return 0;
  },
};
