import type { Argv } from 'yargs';
import type { CliIo } from '../io.js';

/** A subcommand: yargs wiring plus one async function that returns the exit code. */
export interface CommandModule<Args> {
  readonly command: string;
  readonly describe: string;
  readonly builder: (yargs: Argv) => Argv<unknown>;
  /** `argv` is the command line as given (after the program's name), for the reports that name it. */
  readonly run: (args: Args, io: CliIo, argv: readonly string[]) => Promise<number>;
  /** Commands under this one (`tenant export`, `tenant diff`), each with its own options and --help. */
  readonly subcommands?: readonly CommandModule<never>[];
  /** The command runs on its own too (`sync`, and `sync status`): a subcommand is not required. */
  readonly optionalSubcommand?: boolean;
}
