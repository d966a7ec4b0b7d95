import type { Argv } from 'yargs';
import type { DuoUserRow } from '../../csv/duo-row.js';
import { CheckedInput } from '../../input/checked-input.js';
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
    .positional('file', { type: 'string', demandOption: true, describe: 'the user list: a CSV, or an .xlsx workbook' })
    .group(['skip-invalid', 'delimiter', 'sheet', 'default-country'], 'The list:')
    .option('skip-invalid', { type: 'boolean', describe: 'use the valid rows of a file with errors; the others are left out (validate lists why)' })
    .option('delimiter', { type: 'string', describe: 'field delimiter (default: sniffed)' })
    .option('default-country', { type: 'string', describe: 'country of phone numbers written without +CC (e.g. US)' })
    .option('sheet', { type: 'string', describe: 'for an .xlsx file: the worksheet to read (default the first)' });
}

/** Validates the file first, as import does, then returns its valid rows (saying how many it left out) and its sha256. */
export async function readValidRows(args: CsvRowsArgs, io: CliIo): Promise<{ rows: DuoUserRow[]; sha256: string }> {
  const delimiter = parseDelimiter(args.delimiter);
  const defaultCountry = parseCountry(args['default-country']);
  await using input = await CheckedInput.check(args.file, { delimiter, sheet: args.sheet, skipInvalid: args['skip-invalid'] ?? false, defaultCountry });
  const rows = await input.loadValidRows();
  if (input.invalidRows.size > 0) io.err(`note: ${counted(input.invalidRows.size, 'invalid row')} of ${args.file} left out (--skip-invalid): "duo-bridge validate ${args.file}" lists why\n`);
  return { rows, sha256: input.sha256 };
}
