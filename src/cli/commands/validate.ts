import type { Argv } from 'yargs';
import { checkOutputPath } from '../../atomic-file.js';
import { jsonReport, writeFindingsCsv } from '../../validate/report.js';
import { validateRecords } from '../../validate/validate-csv.js';
import { writeFindingsWorkbook } from '../../validate/findings-workbook.js';
import { Baseline } from '../../validate/baseline.js';
import { openRecordBatches } from '../../csv/input-records.js';
import { printAll, styler, type CliIo } from '../io.js';
import { parseDelimiter, parseIntegerOption } from '../options.js';
import { renderFindingsText } from '../render/findings-text.js';
import { parseCountry } from '../../phone.js';
import type { CommandModule } from './command.js';
import { countryOption } from './csv-rows.js';

interface ValidateArgs {
  file: string;
  format: 'text' | 'json';
  report?: string;
  delimiter?: string;
  'max-aliases'?: number | string;
  'max-shown': number | string;
  'default-country'?: string;
  sheet?: string;
  baseline?: string;
}

export const validateCommand: CommandModule<ValidateArgs> = {
  command: 'validate <file>',
  describe: 'Check a Duo user list (CSV or .xlsx): blank and duplicate names, bad emails, spreadsheet damage',
  builder: (yargs: Argv) =>
    countryOption(yargs)
      .positional('file', { type: 'string', demandOption: true, describe: 'the user list to check: a CSV, or an .xlsx workbook' })
      .option('sheet', { type: 'string', describe: 'for an .xlsx file: the worksheet to read (default the first)' })
      .option('baseline', { type: 'string', describe: 'the file export wrote (CSV or xlsx): list every cell changed since; a spreadsheet\'s damage (zeros or + lost, dates, 1.23E+15, mojibake) is an error' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output format on stdout' })
      .option('report', { type: 'string', describe: 'also write the findings: findings.csv, or findings.xlsx (the rows with each offending cell painted and noted, and a Findings sheet)' })
      .option('delimiter', { type: 'string', describe: 'field delimiter (default: sniffed from the header: , ; or tab)' })
      .option('max-aliases', { type: 'number', requiresArg: true, describe: 'most aliases a row may have (default 8, Duo\'s limit)' })
      .option('max-shown', { type: 'number', requiresArg: true, default: 20, describe: 'findings listed per code in text output (0 = all)' })
      .example('$0 validate users.csv', 'check a file, findings grouped by code')
      .example('$0 validate users.csv --format json > findings.json', 'machine-readable findings')
      .example('$0 validate users.csv --report findings.csv', 'findings as a spreadsheet')
      .example('$0 validate users.xlsx --report findings.xlsx', 'the sheet with every problem painted on its cell')
      .example('$0 validate edited.csv --baseline users.csv', 'what changed since the export, and what the spreadsheet damaged')
      .example('$0 validate export.csv --delimiter ";" --max-aliases 4', 'an Excel ";" file, a tenant with 4 aliases')
      .example('$0 validate users.csv --default-country US', 'phone cells like (734) 555-1234 are US numbers'),
  run: async (args, io: CliIo) => {
    const maxShown = parseIntegerOption('max-shown', args['max-shown'], 0, Number.MAX_SAFE_INTEGER) ?? 20;
    const options = {
      delimiter: parseDelimiter(args.delimiter),
      maxAliases: parseIntegerOption('max-aliases', args['max-aliases'], 0, 8),
      keepPerCode: maxShown,
      defaultCountry: parseCountry(args['default-country']),
      baseline: args.baseline === undefined ? undefined : await Baseline.load(args.baseline),
    };
    if (args.report !== undefined) await checkOutputPath(args.report, '--report');
    const read = { delimiter: options.delimiter, sheet: args.sheet };
    const result = await validateRecords(await openRecordBatches(args.file, read), { ...options, reread: () => openRecordBatches(args.file, read) });
    try {
      if (args.report !== undefined && /\.xlsx$/i.test(args.report)) await writeFindingsWorkbook(args.report, args.file, { delimiter: options.delimiter, sheet: args.sheet }, result);
      else if (args.report !== undefined) await writeFindingsCsv(args.report, result);
      if (args.format === 'json') await printAll(io, jsonReport(args.file, result));
      else await printAll(io, renderFindingsText(args.file, result, { maxShown, style: styler(io.outIsTTY) }));
      return result.errors > 0 ? 1 : 0;
    } finally {
      await result.dispose();
    }
  },
};
