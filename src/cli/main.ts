import { debuglog } from 'node:util';
import yargs, { type Argv } from 'yargs';
import { DuoBridgeError, UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import type { CommandModule } from './commands/command.js';
import { exportCommand } from './commands/export.js';
import { importCommand } from './commands/import.js';
import { migrateCommand } from './commands/migrate.js';
import { planCommand } from './commands/plan.js';
import { rollbackCommand } from './commands/rollback.js';
import { simulatorCommand } from './commands/simulator.js';
import { syncCommand } from './commands/sync.js';
import { tenantCommand } from './commands/tenant.js';
import { validateCommand } from './commands/validate.js';
import { processIo, type CliIo } from './io.js';

const debug = debuglog('duo-bridge');

/** A command as yargs takes it. */
interface YargsCommand {
  command: string;
  describe: string;
  builder: (yargs: Argv) => Argv<unknown>;
  handler: (args: unknown) => Promise<void>;
}

const COMMANDS: readonly CommandModule<never>[] = [exportCommand, validateCommand, importCommand, planCommand, migrateCommand, rollbackCommand, syncCommand, tenantCommand, simulatorCommand];

/** yargs turns a scalar option given twice into an array; say so instead of guessing which one was meant. */
function rejectRepeatedOptions(argv: Record<string, unknown>, parser: unknown): void {
  // getOptions() is in yargs 18 but not in its published types.
  const arrays = new Set((parser as { getOptions(): { array: string[] } }).getOptions().array);
  for (const [key, value] of Object.entries(argv)) {
    // Skip yargs' camelCase copies (aliasAttr for alias-attr) and one-letter aliases.
    if (Array.isArray(value) && key !== '_' && key.length > 1 && !/[A-Z]/.test(key) && !arrays.has(key)) {
      throw new UsageError('USAGE', `--${key} was given more than once`);
    }
  }
}

/**
 * Numeric flags are declared as numbers (so --help says [number]); yargs reads text that is not a
 * number as NaN, and an empty value as 0. The text typed is put back, so the option's own check
 * refuses it and quotes it ("got \"lots\"").
 */
function keepTypedText(argv: readonly string[]): (args: Record<string, unknown>) => void {
  return (args) => {
    for (const [key, value] of Object.entries(args)) {
      if (typeof value !== 'number') continue;
      const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      const at = argv.findIndex((arg) => arg === flag || arg.startsWith(`${flag}=`));
      if (at === -1) continue;
      const typed = argv[at] === flag ? argv[at + 1] ?? '' : argv[at]!.slice(flag.length + 1);
      if (typed.trim() === '' || Number.isNaN(Number(typed))) args[key] = typed;
    }
  };
}

/** "validate needs <file>" instead of yargs' "Not enough non-option arguments: got 0, need at least 1". */
function missingArgument(argv: readonly string[]): string | null {
  const parent = COMMANDS.find((m) => m.command.split(' ')[0] === argv[0]);
  const module = parent?.subcommands?.find((m) => m.command.split(' ')[0] === argv[1]) ?? parent;
  if (module === undefined) return null;
  const name = module === parent ? argv[0]! : `${argv[0]} ${argv[1]}`;
  const required = module.command.match(/<[^>]+>/g) ?? [];
  if (required.length === 0) return null;
  return `${name} needs ${required.join(' ')}: duo-bridge ${name} ${module.command.replace(/^\S+\s*/, '').replace(/\s*\[[^\]]+\]/g, '')} (see "duo-bridge ${name} --help")`;
}

/**
 * "--aply is not an option of import: did you mean --apply? (see "duo-bridge import --help")": yargs
 * names each unknown argument twice (as typed and camelCased); the closest known option is offered.
 */
function unknownOptions(list: string, parser: unknown, argv: readonly string[]): string {
  const known = Object.keys((parser as { getOptions(): { key: Record<string, unknown> } }).getOptions().key).filter((k) => k.length > 1 && !/[A-Z]/.test(k));
  const typed = [...new Set(list.split(', ').filter((a) => !/[A-Z]/.test(a) || !list.includes(a.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`))))];
  const parent = COMMANDS.find((m) => m.command.split(' ')[0] === argv[0]);
  if (parent === undefined) return `${JSON.stringify(argv[0] ?? '')} is not a command: name one of ${COMMANDS.map((m) => m.command.split(' ')[0]).join(', ')} (see "duo-bridge --help")`;
  const command = [argv[0], parent.subcommands?.some((sub) => sub.command.split(' ')[0] === argv[1]) ? argv[1] : undefined].filter(Boolean).join(' ');
  const parts = typed.map((arg) => {
    const flag = arg.startsWith('-') || !argv.includes(arg) ? `--${arg.replace(/^-+/, '')}` : arg;
    const best = closest(flag.replace(/^--/, ''), known);
    return `${flag} is not ${flag.startsWith('--') ? 'an option' : 'an argument'} of ${command || 'duo-bridge'}${best === null ? '' : `: did you mean --${best}?`}`;
  });
  return `${parts.join('; ')} (see "duo-bridge ${command ? `${command} ` : ''}--help")`;
}

/** The known name nearest to `typed` by edit distance, if near enough to be what was meant. */
function closest(typed: string, known: readonly string[]): string | null {
  // --password for --password-file: the option that begins with what was typed.
  const longer = known.filter((name) => name.startsWith(`${typed}-`));
  if (longer.length === 1) return longer[0]!;
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(typed.length / 3)) + 1;
  for (const name of known) {
    const d = editDistance(typed, name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/**
 * Runs one duo-bridge command and returns its exit code. The only place that turns errors into
 * exit codes: a DuoBridgeError is one line on stderr; anything else is a bug, with the stack only
 * under NODE_DEBUG=duo-bridge.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode = 0;
  const parser: Argv = yargs([...argv])
    .scriptName('duo-bridge')
    .usage('$0 <command> [options]\n\nMove users from Active Directory into Duo through a validated CSV.')
    .command(COMMANDS.map(function register(module: CommandModule<never>): YargsCommand {
      const subcommands = module.subcommands ?? [];
      return {
        command: module.command,
        describe: module.describe,
        builder: subcommands.length === 0 ? module.builder
          : module.optionalSubcommand
            // The parent's options are not the subcommand's: `sync status` gets only its own (yargs' options are global by default).
            ? (y: Argv) => (subcommands.some((sub) => sub.command.split(' ')[0] === argv[1]) ? y : module.builder(y)).command(subcommands.map(register))
            : (y: Argv) => module.builder(y).command(subcommands.map(register))
              .demandCommand(1, `name what to do: ${subcommands.map((sub) => `${module.command} ${sub.command.split(' ')[0]}`).join(' or ')} (see "duo-bridge ${module.command} --help")`),
        handler: async (args: unknown) => {
          exitCode = await module.run(args as never, io, argv);
        },
      };
    }))
    .middleware(rejectRepeatedOptions as never, true)
    .middleware(keepTypedText(argv) as never, true)
    .demandCommand(1, 'name a command: export, validate, import, plan, migrate, rollback, sync, tenant, simulator')
    .recommendCommands()
    .strict()
    .fail((message, error) => {
      // yargs reports its own usage errors as a message; our handlers' errors pass through as they are.
      if (error && error.name !== 'YError') throw error;
      const text = message || error.message;
      const missing = /^Not enough non-option arguments/.test(text) ? missingArgument(argv) : null;
      if (missing !== null) throw new UsageError('MISSING_ARGUMENT', missing);
      const unknown = /^Unknown arguments?: (.*)$/.exec(text);
      if (unknown !== null) throw new UsageError('BAD_OPTION', unknownOptions(unknown[1]!, parser, argv));
      const recommended = /^Did you mean (\S+)\?$/.exec(text);
      if (recommended !== null) throw new UsageError('BAD_OPTION', `${JSON.stringify(argv[0])} is not a command: did you mean ${recommended[1]}? (see "duo-bridge ${recommended[1]} --help")`);
      throw new UsageError('USAGE', text.replace(/\s*\n\s*/g, ' '));
    })
    .exitProcess(false)
    .help()
    .alias('h', 'help')
    // Not the bare .version(): it reads package.json from disk, which a single executable has not beside it.
    .version(VERSION)
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .example('$0 export --from-ldif dump.ldf --alias-attr mail --out users.csv', 'AD dump → Duo CSV')
    .example('$0 validate users.csv', 'check the list before anything is sent')
    .example('$0 import users.csv --apply', 'create the users in Duo (DUO_HOST, DUO_IKEY, DUO_SKEY)')
    .epilogue('Exit codes: 0 success, 1 data problems, 2 usage, 3 a remote system failed, 4 a sync safeguard held destructive actions.\n' +
      'Secrets come from the environment or files only: LDAP_BIND_PASSWORD / --password-file, DUO_SKEY / --skey-file.');
  try {
    await parser.parseAsync();
    return exitCode;
  } catch (error) {
    if (error instanceof DuoBridgeError) {
      const hint = error instanceof UsageError && error.code === 'USAGE' ? '\nRun "duo-bridge --help" for usage.' : '';
      io.err(`duo-bridge: ${error.message}${hint}\n`);
      return error.exitCode;
    }
    debug('%s', error instanceof Error ? error.stack : String(error));
    io.err(`duo-bridge: internal error: ${error instanceof Error ? error.message : String(error)} ` +
      '(run with NODE_DEBUG=duo-bridge for details)\n');
    return 70;
  }
}
