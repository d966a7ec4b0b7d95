import type { Argv } from 'yargs';
import { checkOutputPath } from '../../atomic-file.js';
import { openInputFile } from '../../input-file.js';
import { jsonReport, writeFindingsCsv } from '../../validate/report.js';
import { validateCsv } from '../../validate/validate-csv.js';
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
  'max-aliases'?: string;
  'max-shown': string;
  'default-country'?: string;
}

export const validateCommand: CommandModule<ValidateArgs> = {
  command: 'validate <file>',
  describe: 'Check a Duo user CSV: blank and duplicate names, bad emails, spreadsheet damage',
  builder: (yargs: Argv) =>
    countryOption(yargs)
      .positional('file', { type: 'string', demandOption: true, describe: 'the user CSV to check' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output format on stdout' })
      .option('report', { type: 'string', describe: 'also write the findings as a CSV for a spreadsheet' })
      .option('delimiter', { type: 'string', describe: 'field delimiter (default: sniffed from the header: , ; or tab)' })
      .option('max-aliases', { type: 'string', describe: 'most aliases a row may have (default 8, Duo\'s limit)' })
      .option('max-shown', { type: 'string', default: '20', describe: 'findings listed per code in text output (0 = all)' })
      .example('$0 validate users.csv', 'check a file, findings grouped by code')
      .example('$0 validate users.csv --format json > findings.json', 'machine-readable findings')
      .example('$0 validate users.csv --report findings.csv', 'findings as a spreadsheet')
      .example('$0 validate export.csv --delimiter ";" --max-aliases 4', 'an Excel ";" file, a tenant with 4 aliases')
      .example('$0 validate users.csv --default-country US', 'phone cells like (734) 555-1234 are US numbers'),
  run: async (args, io: CliIo) => {
    const maxShown = parseIntegerOption('max-shown', args['max-shown'], 0, Number.MAX_SAFE_INTEGER) ?? 20;
    const options = {
      delimiter: parseDelimiter(args.delimiter),
      maxAliases: parseIntegerOption('max-aliases', args['max-aliases'], 0, 8),
      keepPerCode: maxShown,
      defaultCountry: parseCountry(args['default-country']),
    };
    if (args.report !== undefined) await checkOutputPath(args.report, '--report');
    const result = await validateCsv(await openInputFile(args.file), options);
    try {
      if (args.report !== undefined) await writeFindingsCsv(args.report, result);
      if (args.format === 'json') await printAll(io, jsonReport(args.file, result));
      else await printAll(io, renderFindingsText(args.file, result, { maxShown, style: styler(io.outIsTTY) }));
      return result.errors > 0 ? 1 : 0;
    } finally {
      await result.dispose();
    }
  },
};
