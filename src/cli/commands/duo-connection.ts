import type { Argv } from 'yargs';
import { DuoClient } from '../../duo/api/client.js';
import { resolveDuoConnection, type DuoArgs } from '../../duo/api/connection.js';
import type { CliIo } from '../io.js';

/** The options every command that calls Duo takes (contract §4). */
export function duoOptions(yargs: Argv): Argv {
  return yargs
    .option('rate', { type: 'number', describe: 'Duo API calls per minute (default 50)' })
    .option('timeout', { type: 'number', describe: 'seconds per Duo API call (default 60)' })
    .option('duo-config', { type: 'string', describe: 'JSON file with "host" and "ikey" (instead of DUO_HOST, DUO_IKEY)' })
    .option('skey-file', { type: 'string', describe: 'file holding the secret key (instead of DUO_SKEY)' });
}

export async function connectToDuo(args: DuoArgs, io: CliIo, onRateLimited?: (ms: number) => void): Promise<{ client: DuoClient; host: string }> {
  const connection = await resolveDuoConnection(args, io.env);
  const note = onRateLimited ?? ((ms: number) => io.err(`Duo answered 429: waiting ${(ms / 1000).toFixed(1)} s\n`));
  return { client: new DuoClient({ ...connection, onRateLimited: note }), host: connection.credentials.baseUrl.host };
}

/** --apply's safety catch: on a terminal, ask before writing (--yes answers for the user). */
export async function confirmWrites(io: CliIo, yes: boolean | undefined, question: string): Promise<boolean> {
  if (yes || io.ask === undefined) return true;
  const answer = await io.ask(`${question} [y/N] `);
  return /^y(es)?$/i.test(answer.trim());
}
