import { UsageError } from '../../errors.js';
import { readOptionFile, wholeNumber, withoutBom } from '../../option-values.js';
import type { DuoCredentials } from './client.js';
import { duoBaseUrl } from './duo-host.js';

export interface DuoArgs {
  readonly 'duo-config'?: string | undefined;
  readonly 'skey-file'?: string | undefined;
  readonly rate?: number | string | undefined;
  readonly timeout?: number | string | undefined;
}

export interface DuoConnection {
  readonly credentials: DuoCredentials;
  readonly ratePerMinute: number;
  readonly timeoutMs: number;
}

export const DEFAULT_RATE = 50;

/**
 * Host and integration key from --duo-config or DUO_HOST/DUO_IKEY; the secret key only from
 * --skey-file or DUO_SKEY, never a flag value, and never repeated in a message. What the command
 * line names wins over the environment, and a config file and DUO_HOST naming two different
 * tenants is refused: a shell left holding another tenant's variables must never decide where
 * a run writes.
 */
export async function resolveDuoConnection(args: DuoArgs, env: NodeJS.ProcessEnv): Promise<DuoConnection> {
  const config = args['duo-config'] === undefined ? {} : await readDuoConfig(args['duo-config']);
  const host = config.host || env.DUO_HOST;
  if (!host) throw usage('no Duo host: set DUO_HOST (api-xxxxxxxx.duosecurity.com) or give --duo-config FILE');
  const baseUrl = duoBaseUrl(host);
  if (config.host && env.DUO_HOST && duoBaseUrl(env.DUO_HOST).host !== baseUrl.host) {
    throw usage(`two Duo tenants named: ${baseUrl.host} in --duo-config ${args['duo-config']} and ${duoBaseUrl(env.DUO_HOST).host} in DUO_HOST; ` +
      'unset DUO_HOST (and DUO_IKEY, DUO_SKEY) or drop --duo-config');
  }
  const ikey = config.ikey || env.DUO_IKEY;
  if (!ikey) throw usage('no integration key: set DUO_IKEY or give --duo-config FILE');
  const skey = args['skey-file'] !== undefined ? (await readOptionFile(args['skey-file'], '--skey-file')).trim() : env.DUO_SKEY;
  if (!skey) throw usage('no secret key: set DUO_SKEY or give --skey-file FILE (never on the command line)');
  return {
    credentials: { baseUrl, ikey, skey },
    ratePerMinute: wholeNumber('rate', args.rate ?? DEFAULT_RATE, 1, 100_000),
    timeoutMs: wholeNumber('timeout', args.timeout ?? 60, 1, 600) * 1000,
  };
}

async function readDuoConfig(path: string): Promise<{ host?: string; ikey?: string }> {
  let data: unknown;
  try {
    data = JSON.parse(withoutBom(await readOptionFile(path, '--duo-config')));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw usage(`--duo-config ${path}: not valid JSON`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw usage(`--duo-config ${path}: must be a JSON object with "host" and "ikey"`);
  for (const [key, value] of Object.entries(data)) {
    if (key === 'skey' || key === 'secret') throw usage(`--duo-config ${path}: the secret key does not belong in it; use DUO_SKEY or --skey-file`);
    if (key !== 'host' && key !== 'ikey') throw usage(`--duo-config ${path}: unknown key "${key}" (expected "host" and "ikey")`);
    if (typeof value !== 'string') throw usage(`--duo-config ${path}: "${key}" must be a string`);
  }
  return data as { host?: string; ikey?: string };
}

function usage(message: string): UsageError {
  return new UsageError('BAD_OPTION', message);
}
