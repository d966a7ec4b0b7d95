import type { Argv } from 'yargs';
import type { CliIo } from '../io.js';

/** A subcommand: yargs wiring plus one async function that returns the exit code. */
export interface CommandModule<Args> {
  readonly command: string;
  readonly describe: string;
  readonly builder: (yargs: Argv) => Argv<unknown>;
  readonly run: (args: Args, io: CliIo) => Promise<number>;
}
