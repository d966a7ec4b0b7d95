import type { Argv } from 'yargs';
import type { Report } from '../../report/report-model.js';
import type { RunInfo } from '../../report/run-facts.js';
import { writeHtmlReport } from '../../report/write-report.js';
import type { CliIo } from '../io.js';
import { quote } from './suggested-command.js';

export interface ReportArgs {
  report?: string;
}

/** `--report FILE.html`, as every command that plans or writes takes it. */
export function reportOption(yargs: Argv): Argv {
  return yargs.option('report', { type: 'string', describe: 'also write an HTML page for an approver: every row, what is destructive or held first (self-contained, opens offline)' });
}

/** The run as a report names it: the command line as typed (quoted where needed), the tenant, the files read. */
export function runInfo(argv: readonly string[], host: string | null, inputs: RunInfo['inputs']): RunInfo {
  return { command: argv.map((arg) => quote(arg, 'linux')).join(' '), host, inputs };
}

/** Writes the page and says where it is. */
export async function saveReport(io: CliIo, path: string, report: Report): Promise<void> {
  await writeHtmlReport(path, report);
  io.err(`report: ${path}\n`);
}
