import type { Argv } from 'yargs';
import type { DuoUserRow } from '../../csv/duo-row.js';
import { checkImportInput } from '../../duo/workflows/import-gate.js';
import { loadValidRows } from '../../duo/workflows/valid-rows.js';
import { parseDelimiter } from '../options.js';

export interface CsvRowsArgs {
  file: string;
  'skip-invalid'?: boolean;
  delimiter?: string;
}

/** The user CSV that plan and migrate read whole: the file, --skip-invalid, --delimiter. */
export function csvRowsOptions(yargs: Argv): Argv {
  return yargs
    .positional('file', { type: 'string', demandOption: true, describe: 'the user CSV' })
    .option('skip-invalid', { type: 'boolean', describe: 'use the valid rows of a file with errors' })
    .option('delimiter', { type: 'string', describe: 'field delimiter (default: sniffed)' });
}

/** Validates the CSV first, as import does, then returns its valid rows. */
export async function readValidRows(args: CsvRowsArgs): Promise<DuoUserRow[]> {
  const delimiter = parseDelimiter(args.delimiter);
  const gate = await checkImportInput(args.file, { delimiter, skipInvalid: args['skip-invalid'] ?? false });
  return loadValidRows(args.file, gate, delimiter);
}
