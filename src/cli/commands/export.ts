import type { Argv } from 'yargs';
import { exportUsers } from '../../ad/export-users.js';
import { loadExportConfig, resolveExportOptions, type ExportArgs } from '../../ad/export-options.js';
import { checkOutputPath } from '../../atomic-file.js';
import type { CliIo } from '../io.js';
import { count, ProgressLine, rate } from '../progress.js';
import type { CommandModule } from './command.js';

type ExportCliArgs = ExportArgs & { config?: string };

export const exportCommand: CommandModule<ExportCliArgs> = {
  command: 'export',
  describe: 'Export users from Active Directory (LDAP or an LDIF file) to a Duo CSV',
  builder: (yargs: Argv) =>
    yargs
      .option('out', { type: 'string', describe: 'the file to write: users.csv, or users.xlsx for a spreadsheet (appears only when the export is complete)' })
      .option('format', { choices: ['csv', 'xlsx'], describe: 'csv or xlsx (default: from --out\'s extension)' })
      .option('config', { type: 'string', describe: 'JSON file with any of these options (no secrets); flags win' })
      .group(['url', 'bind-dn', 'base', 'starttls', 'ca', 'insecure-plaintext-bind', 'password-file', 'page-size', 'timeout', 'connect-timeout'], 'LDAP source:')
      .option('url', { type: 'string', describe: 'ldaps://dc:636 or ldap://dc:389 (env LDAP_URL)' })
      .option('bind-dn', { type: 'string', describe: 'DN, UPN (svc@corp.example) or DOMAIN\\user (env LDAP_BIND_DN)' })
      .option('base', { type: 'string', describe: 'search base, e.g. "DC=corp,DC=example" (env LDAP_BASE)' })
      .option('starttls', { type: 'boolean', describe: 'upgrade ldap:// with StartTLS before binding' })
      .option('ca', { type: 'string', describe: 'PEM file of the CA that issued the DC certificate (TLS is always verified)' })
      .option('insecure-plaintext-bind', { type: 'boolean', describe: 'allow a simple bind over plain ldap:// (the password travels in clear)' })
      .option('password-file', { type: 'string', describe: 'file holding the bind password (else env LDAP_BIND_PASSWORD)' })
      .option('page-size', { type: 'string', describe: 'entries per LDAP page (default 500, at most 1000)' })
      .option('timeout', { type: 'string', describe: 'seconds per LDAP operation (default 120)' })
      .option('connect-timeout', { type: 'string', describe: 'seconds to connect (default 10)' })
      .group(['from-ldif'], 'File source:')
      .option('from-ldif', { type: 'string', describe: 'read an LDIF dump (ldifde -f, ldapsearch -LLL) instead of LDAP' })
      .group(['filter', 'group', 'include-disabled'], 'Selection:')
      .option('filter', { type: 'string', describe: 'LDAP filter ANDed with "user objects", e.g. "(department=Sales)"' })
      .option('group', { type: 'string', array: true, describe: 'group DN; members at any depth (repeatable)' })
      .option('include-disabled', { type: 'boolean', describe: 'also export disabled accounts, with status "disabled"' })
      .group(['username-attr', 'alias-attr', 'phone-attr', 'default-country', 'duo-group', 'lowercase', 'crlf'], 'Mapping:')
      .option('username-attr', { type: 'string', describe: 'attribute for the Duo username (default sAMAccountName)' })
      .option('alias-attr', { type: 'string', array: true, describe: 'attribute for alias1.. in order (repeatable, at most 8)' })
      .option('phone-attr', { type: 'string', array: true, describe: 'attribute for phone1.. in order, e.g. mobile, telephoneNumber (repeatable); normalised to +E.164' })
      .option('default-country', { type: 'string', describe: 'country of phone numbers written without +CC (e.g. US, DE)' })
      .option('duo-group', { type: 'string', array: true, describe: 'AD group DN: its members (at any depth) get its cn as a Duo group in group1.. (repeatable; a config file may map DN to another name)' })
      .option('lowercase', { type: 'boolean', describe: 'lower-case usernames and aliases' })
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
