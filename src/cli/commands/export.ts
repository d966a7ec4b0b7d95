import type { Argv } from 'yargs';
import { exportUsers } from '../../ad/export-users.js';
import { loadExportConfig, resolveExportOptions, type ExportArgs } from '../../ad/export-options.js';
import { checkOutputPath } from '../../atomic-file.js';
import type { CliIo } from '../io.js';
import { count, ProgressLine, rate } from '../progress.js';
import type { CommandModule } from './command.js';
import { directoryOptions } from './directory-options.js';

type ExportCliArgs = ExportArgs & { config?: string };

export const exportCommand: CommandModule<ExportCliArgs> = {
  command: 'export',
  describe: 'Export users from Active Directory (LDAP or an LDIF file) to a Duo CSV',
  builder: (yargs: Argv) =>
    directoryOptions(yargs, 'export')
      .option('out', { type: 'string', describe: 'the file to write: users.csv, or users.xlsx for a spreadsheet (appears only when the export is complete)' })
      .option('format', { choices: ['csv', 'xlsx'], describe: 'csv or xlsx (default: from --out\'s extension)' })
      .option('config', { type: 'string', describe: 'JSON file with any of these options (no secrets); flags win' })
      .option('crlf', { type: 'boolean', describe: 'CRLF line ends (default LF)' })
      .example('LDAP_BIND_PASSWORD=… $0 export --url ldaps://dc1.corp.example --ca corp-ca.pem --bind-dn svc-duo@corp.example --base "DC=corp,DC=example" --alias-attr mail --out users.csv', 'export over LDAPS')
      .example('$0 export --from-ldif dump.ldf --username-attr sAMAccountName --alias-attr mail --out users.csv', 'export from an LDIF dump')
      .example('$0 export --config export.json --out users.csv', 'options from a file (see templates/export.config.json)')
      .example('$0 export --from-ldif dump.ldf --alias-attr mail --out users.xlsx', 'a workbook to edit in Excel: every cell text, nothing re-typed')
      .example('$0 export --from-ldif dump.ldf --phone-attr mobile --default-country US --duo-group "CN=VPN Users,OU=Groups,DC=corp,DC=example" --out users.csv', 'with phones and a Duo group'),
  run: async (args, io: CliIo) => {
    const config = args.config === undefined ? {} : await loadExportConfig(args.config);
    const options = await resolveExportOptions(args, io.env, config);
    await checkOutputPath(options.out, '--out');
    const progress = new ProgressLine(io);
    const summary = await exportUsers(options, ({ users, pages }) =>
      progress.update((s) => `exporting: ${count(users)} users${pages > 0 ? `, ${count(pages)} pages` : ''}, ${rate(users, s)}`),
    ).finally(() => progress.done());

    const seconds = progress.elapsedSeconds();
    const pages = summary.pages > 0 ? ` in ${count(summary.pages)} pages` : '';
    io.err(`exported ${count(summary.users)} users${pages} to ${options.out} (${seconds.toFixed(1)} s, ${rate(summary.users, seconds)})\n`);
    const attribute = options.mapping.usernameAttribute;
    if (summary.missingUsername > 0) {
      io.err(`warning: ${count(summary.missingUsername)} users have no ${attribute}; their username cell is empty — ` +
        'choose another --username-attr or fix them before import (validate lists them as BLANK_USERNAME)\n');
    }
    if (summary.aliasOverflow > 0) io.err(`warning: ${count(summary.aliasOverflow)} users have more than 8 aliases; the first 8 were kept\n`);
    if (summary.disabled > 0) io.err(`note: ${count(summary.disabled)} disabled accounts exported with status "disabled"\n`);
    if (summary.unnormalisedPhones > 0) {
      io.err(`warning: ${count(summary.unnormalisedPhones)} phone numbers could not be normalised and were written as found` +
        `${options.mapping.defaultCountry ? '' : ' (numbers without +CC need --default-country)'}: validate lists them\n`);
    }
    if (options.duoGroups.length > 0) io.err(`note: ${count(summary.inGroups)} users are in at least one of the ${count(options.duoGroups.length)} mapped groups\n`);
    for (const dn of summary.emptyGroups) io.err(`warning: no exported user is a member of ${dn}: check the DN\n`);
    if (summary.skipped > 0) io.err(`note: ${count(summary.skipped)} LDIF entries were not selected users and were skipped\n`);
    if (options.selection.groups.some((dn) => /^CN=Domain Users,/i.test(dn))) {
      io.err('warning: "Domain Users" is usually a primary group, which AD does not list in memberOf; few users match it\n');
    }
    return 0;
  },
};
