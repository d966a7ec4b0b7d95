import type { Argv } from 'yargs';
import { DuoClient } from '../../duo/api/client.js';
import { resolveDuoConnection, type DuoArgs } from '../../duo/api/connection.js';
import { MAX_BULK_OPERATIONS } from '../../duo/api/bulk-api.js';
import { UsageError } from '../../errors.js';
import { parseIntegerOption } from '../options.js';
import type { CliIo } from '../io.js';

/** The options every command that calls Duo takes (credentials, rate, timeout), grouped under one heading. */
export function duoOptions(yargs: Argv): Argv {
  return yargs
    .group(['duo-config', 'skey-file', 'rate', 'duo-timeout'], 'Duo (DUO_HOST, DUO_IKEY, DUO_SKEY):')
    .option('rate', { type: 'number', requiresArg: true, describe: 'Duo API calls per minute (default 50; against the local simulator, raise it: --rate 6000)' })
    .option('duo-timeout', { type: 'number', requiresArg: true, describe: 'seconds per Duo API call (default 60); --timeout, its earlier name, still works' })
    .option('timeout', { type: 'number', requiresArg: true, hidden: true, deprecated: 'use --duo-timeout' })
    .option('duo-config', { type: 'string', describe: 'JSON file with "host" and "ikey" (instead of DUO_HOST, DUO_IKEY)' })
    .option('skey-file', { type: 'string', describe: 'file holding the secret key (instead of DUO_SKEY)' });
}

export async function connectToDuo(args: DuoArgs & { 'duo-timeout'?: number | string }, io: CliIo, onRateLimited?: (ms: number) => void): Promise<{ client: DuoClient; host: string }> {
  if (args['duo-timeout'] !== undefined && args.timeout !== undefined) throw new UsageError('BAD_OPTION', '--duo-timeout and --timeout are one option (--timeout is its earlier name): give one');
  const connection = await resolveDuoConnection({ ...args, timeout: args['duo-timeout'] ?? args.timeout }, io.env);
  const note = onRateLimited ?? ((ms: number) => io.err(`Duo answered 429: waiting ${(ms / 1000).toFixed(1)} s\n`));
  return { client: new DuoClient({ ...connection, onRateLimited: note }), host: connection.credentials.baseUrl.host };
}

/**
 * --apply's safety catch: on a terminal, ask before writing; without one, refuse unless --yes
 * answers for the user (as `terraform apply` does without -auto-approve).
 */
export async function confirmWrites(io: CliIo, yes: boolean | undefined, question: string): Promise<void> {
  if (yes) return;
  refuseWithoutPrompt(io, yes);
  const answer = await io.ask!(`${question} [y/N] `);
  if (!/^y(es)?$/i.test(answer.trim())) throw new UsageError('NOT_CONFIRMED', 'nothing was changed');
}

/** Checked before any work: a run that would be refused at the prompt should not first read the tenant. */
export function refuseWithoutPrompt(io: CliIo, yes: boolean | undefined): void {
  if (!yes && io.ask === undefined) throw new UsageError('NOT_CONFIRMED', 'no terminal to confirm on: add --yes to apply without a prompt; nothing was changed');
}

/** --no-bulk and --bulk-size: for the commands that write (import, migrate, rollback). */
export function bulkOptions(yargs: Argv): Argv {
  return yargs
    .group(['bulk', 'bulk-size'], 'Writes:')
    .option('bulk', { type: 'boolean', default: true, describe: 'write through /admin/v1/bulk, 50 operations a call (--no-bulk: one call each)' })
    .option('bulk-size', { type: 'number', requiresArg: true, describe: `operations per bulk call (default and maximum ${MAX_BULK_OPERATIONS})` });
}

export interface BulkArgs {
  bulk?: boolean;
  'bulk-size'?: number | string;
}

/** Operations per bulk call; 0 when --no-bulk. */
export function bulkSizeOf(args: BulkArgs): number {
  return args.bulk === false ? 0 : parseIntegerOption('bulk-size', args['bulk-size'], 1, MAX_BULK_OPERATIONS) ?? MAX_BULK_OPERATIONS;
}

/** --assert-sync-deleted: for plan, import and migrate. */
export function syncDeletedOption(yargs: Argv): Argv {
  return yargs.option('assert-sync-deleted', {
    type: 'boolean',
    describe: 'assert that the directory sync which created these users is deleted: their last_directory_sync no longer blocks a change (recorded in the journal)',
  });
}

/** --restore-trashed: plan and import decide the same way about a user in Duo's Trash. */
export function restoreTrashedOption(yargs: Argv): Argv {
  return yargs.option('restore-trashed', {
    type: 'boolean',
    describe: 'a row whose Duo user is in Duo\'s Trash takes it out (bulk_restore, undone by rollback) and updates it; otherwise such a row is a conflict',
  });
}

/** --create-groups and --share-phones: import and plan decide the same way. */
export function attachOptions(yargs: Argv): Argv {
  return yargs
    .group(['create-groups', 'share-phones'], 'Groups, phones and tokens:')
    .option('create-groups', { type: 'boolean', describe: 'create the Duo groups the CSV names that do not exist (otherwise such rows fail)' })
    .option('share-phones', { type: 'boolean', describe: 'attach a phone another Duo user already has (otherwise a conflict: that device could approve both users\' logins)' });
}

export interface AttachArgs {
  'create-groups'?: boolean;
  'share-phones'?: boolean;
}
