import type { Argv } from 'yargs';
import type { DuoUserRow } from '../../csv/duo-row.js';
import { checkImportInput } from '../../duo/workflows/import-gate.js';
import { loadValidRows } from '../../duo/workflows/valid-rows.js';
import { parseCountry } from '../../phone.js';
import { parseDelimiter } from '../options.js';
import type { CliIo } from '../io.js';
import { counted } from '../progress.js';

export interface CsvRowsArgs {
  file: string;
  'skip-invalid'?: boolean;
  delimiter?: string;
  'default-country'?: string;
  sheet?: string;
}

/** --default-country, shared by every command that reads phone cells. */
export function countryOption(yargs: Argv): Argv {
  return yargs.option('default-country', { type: 'string', describe: 'country of phone numbers written without +CC (e.g. US, DE); without it such numbers are errors' });
}

/** The user list (CSV or .xlsx) that plan and migrate read whole: the file, --skip-invalid, --delimiter or --sheet. */
export function csvRowsOptions(yargs: Argv): Argv {
  return yargs
    .positional('file', { type: 'string', demandOption: true, describe: 'the user CSV' })
    .option('skip-invalid', { type: 'boolean', describe: 'use the valid rows of a file with errors' })
    .option('delimiter', { type: 'string', describe: 'field delimiter (default: sniffed)' })
    .option('default-country', { type: 'string', describe: 'country of phone numbers written without +CC (e.g. US)' })
    .option('sheet', { type: 'string', describe: 'for an .xlsx file: the worksheet to read (default the first)' });
}

/** Validates the CSV first, as import does, then returns its valid rows, saying how many it left out. */
export async function readValidRows(args: CsvRowsArgs, io: CliIo): Promise<DuoUserRow[]> {
  const delimiter = parseDelimiter(args.delimiter);
  const defaultCountry = parseCountry(args['default-country']);
  const gate = await checkImportInput(args.file, { delimiter, sheet: args.sheet, skipInvalid: args['skip-invalid'] ?? false, defaultCountry });
  const rows = await loadValidRows(args.file, gate);
  if (gate.invalidRows.size > 0) io.err(`note: ${counted(gate.invalidRows.size, 'invalid row')} of ${args.file} left out (--skip-invalid): "duo-bridge validate ${args.file}" lists why\n`);
  return rows;
}
