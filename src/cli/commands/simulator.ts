import { readFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { loadTenantSnapshot } from '../../duo/tenant/tenant.js';
import { DataError, UsageError } from '../../errors.js';
import { describeFsError } from '../../input-file.js';
import { ASSUMPTION_COUNT, describeAssumptions } from '../../simulator/assumptions.js';
import { DuoSimulator } from '../../simulator/duo-simulator.js';
import { Refusal } from '../../simulator/engine-state.js';
import { newKeys, StateLog } from '../../simulator/state-log.js';
import type { CliIo } from '../io.js';
import { parseIntegerOption } from '../options.js';
import { count } from '../progress.js';
import type { CommandModule } from './command.js';

interface SimulatorArgs {
  tenant: string;
  port?: number | string;
  state?: string;
  'rate-limit'?: number | string;
  'tls-cert'?: string;
  'tls-key'?: string;
}

export const simulatorCommand: CommandModule<SimulatorArgs> = {
  command: 'simulator',
  describe: 'Serve a local model of the Duo Admin API seeded from a tenant export, to rehearse a run before doing it for real',
  builder: (yargs: Argv) =>
    yargs
      .option('tenant', { type: 'string', demandOption: true, describe: 'the snapshot to start from ("duo-bridge tenant export --out FILE")' })
      .option('port', { type: 'number', requiresArg: true, describe: 'port on 127.0.0.1 (default: any free port)' })
      .option('state', { type: 'string', describe: 'keep every write here, so a rehearsal survives a restart on the same port (holds the simulator\'s keys: mode 600)' })
      .option('rate-limit', { type: 'number', requiresArg: true, describe: 'writes per minute before answering 429, as Duo does (default: no limit)' })
      .option('tls-cert', { type: 'string', describe: 'serve HTTPS with this certificate (PEM), for clients that speak only HTTPS (Duo\'s official ones); with --tls-key' })
      .option('tls-key', { type: 'string', describe: 'the certificate\'s private key (PEM)' })
      .example('openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout sim.key -out sim.crt', 'a certificate for --tls-cert sim.crt --tls-key sim.key (clients trust sim.crt as their CA)')
      .example('$0 simulator --tenant tenant-before.json --state rehearsal.state', 'then paste the DUO_* lines it prints, and run the real commands against it')
      .epilogue(`It is a model of Duo, not Duo. It assumes these behaviours, which no official source confirms:\n${describeAssumptions()}`),
  run: async (args, io: CliIo) => {
    const snapshot = await loadTenantSnapshot(args.tenant);
    let text: string;
    try {
      text = await readFile(args.tenant, 'utf8');
    } catch (error) {
      throw new UsageError('INPUT_UNREADABLE', `--tenant ${args.tenant}: ${describeFsError(error)}`, { cause: error });
    }
    const writeLimitPerMinute = parseIntegerOption('rate-limit', args['rate-limit'], 1, 1_000_000);
    if ((args['tls-cert'] === undefined) !== (args['tls-key'] === undefined)) throw new UsageError('BAD_OPTION', '--tls-cert and --tls-key go together');
    const tls = args['tls-cert'] === undefined ? undefined : { cert: await readPem(args['tls-cert'], '--tls-cert'), key: await readPem(args['tls-key']!, '--tls-key') };
    const state = args.state === undefined ? null : StateLog.open(args.state, text);
    const port = parseIntegerOption('port', args.port, 0, 65535) ?? state?.header.port ?? 0;
    const keys = state?.header ?? newKeys();
    const simulator = new DuoSimulator({ ikey: keys.ikey, skey: keys.skey, ...(writeLimitPerMinute === undefined ? {} : { writeLimitPerMinute }), ...(tls === undefined ? {} : { tls }) });
    try {
      simulator.engine.seedSnapshot(snapshot);
    } catch (error) {
      // Duo would never have answered such a tenant: two users holding one name, say.
      if (error instanceof Refusal) throw new DataError('BAD_SNAPSHOT', `--tenant ${args.tenant}: not a tenant Duo could hold: ${error.message}`, { cause: error });
      throw error;
    }
    (state?.writes ?? []).forEach((write, i) => {
      try {
        simulator.engine.apply(write);
      } catch (error) {
        // Every logged write was applied once onto this same seed: one that no longer applies means the file was edited.
        throw new UsageError('STATE_DAMAGED', `--state ${args.state}:${i + 2} no longer applies (${(error as Error).message}): was the file edited?`, { cause: error });
      }
    });
    if (state !== null) simulator.onApplied = (write) => state.append(write);
    try {
      await simulator.start(port);
    } catch (error) {
      if (tls !== undefined && !/EADDRINUSE|EACCES/.test(String(error))) throw new UsageError('BAD_OPTION', `--tls-cert/--tls-key: ${(error as Error).message}`, { cause: error });
      throw new UsageError('PORT_IN_USE', `cannot listen on 127.0.0.1:${port}: ${(error as Error).message}`, { cause: error });
    }
    state?.begin(Number(new URL(simulator.url).port));
    io.err(`duo-bridge simulator: a local model of the Duo Admin API, seeded from ${args.tenant} (${count(snapshot.users.length)} users, ` +
      `${count(simulator.engine.groups.size)} groups, ${count(simulator.engine.phones.size)} phones)` +
      `${state && state.writes.length > 0 ? `, with ${count(state.writes.length)} writes replayed from ${args.state}` : ''}, on ${simulator.url} (127.0.0.1 only).\n` +
      `It is NOT Duo: it is strict (one namespace, limits${writeLimitPerMinute ? `, 429 beyond ${count(writeLimitPerMinute)} writes a minute` : ''}) and assumes ${ASSUMPTION_COUNT} behaviours ` +
      'no official source confirms: "duo-bridge simulator --help" lists each with its source and confidence.\n' +
      'Paste the three lines below into the shell that runs duo-bridge (and add --rate 6000 to its commands); Ctrl-C stops the simulator.\n');
    io.out(`export DUO_HOST=${simulator.url}\nexport DUO_IKEY=${keys.ikey}\nexport DUO_SKEY=${keys.skey}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await simulator.stop();
    state?.close();
    io.err('simulator stopped\n');
    return 0;
  },
};

async function readPem(path: string, option: string): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    if (!text.includes('-----BEGIN ')) throw new UsageError('BAD_OPTION', `${option} ${path}: not a PEM file`);
    return text;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError('INPUT_UNREADABLE', `${option} ${path}: ${describeFsError(error)}`, { cause: error });
  }
}
