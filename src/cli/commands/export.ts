import type { Argv } from 'yargs';
import { exportUsers } from '../../ad/export-users.js';
import { loadExportConfig, resolveExportOptions, type ExportArgs } from '../../ad/export-options.js';
import { checkOutputPath } from '../../atomic-file.js';
import type { CliIo } from '../io.js';
import { count, counted, ProgressLine, rate } from '../progress.js';
import type { CommandModule } from './command.js';
import { DataError } from '../../errors.js';
import type { ExportSummary } from '../../ad/export-users.js';
import type { NotAUser } from '../../ad/ldif-entry-kind.js';
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
    const pages = summary.pages > 0 ? ` in ${counted(summary.pages, 'page')}` : '';
    io.err(`exported ${counted(summary.users, 'user')}${pages}${summary.written ? ` to ${options.out}` : ''} (${seconds.toFixed(1)} s, ${rate(summary.users, seconds)})\n`);
    const attribute = options.mapping.usernameAttribute;
    if (summary.missingUsername > 0) {
      io.err(`warning: ${counted(summary.missingUsername, 'user has', 'users have')} no ${attribute}; their username cell is empty — ` +
        'choose another --username-attr or fix them before import (validate lists them as BLANK_USERNAME)\n');
    }
    if (summary.aliasOverflow > 0) io.err(`warning: ${counted(summary.aliasOverflow, 'user has', 'users have')} more than 8 aliases; the first 8 were kept\n`);
    if (summary.unreadableStatus > 0) {
      io.err(`warning: ${counted(summary.unreadableStatus, 'user')} ${summary.unreadableStatus === 1 ? 'has' : 'have'} a userAccountControl that is not a 32-bit integer (${summary.unreadableStatusDns.join('; ')}${summary.unreadableStatus > 3 ? '; …' : ''}): ` +
        'whether the account is disabled is unknown, so its status cell says so and validate refuses the row\n');
    }
    if (summary.disabled > 0) io.err(`note: ${count(summary.disabled)} disabled accounts exported with status "disabled"\n`);
    if (summary.unnormalisedPhones > 0) {
      io.err(`warning: ${counted(summary.unnormalisedPhones, 'phone number')} could not be normalised and were written as found` +
        `${options.mapping.defaultCountry ? '' : ' (numbers without +CC need --default-country)'}: validate lists them\n`);
    }
    if (options.duoGroups.length > 0) io.err(`note: ${counted(summary.inGroups, 'user is', 'users are')} in ${options.duoGroups.length === 1 ? 'the mapped group' : `at least one of the ${count(options.duoGroups.length)} mapped groups`}\n`);
    if (summary.userReferrals > 0) {
      // A search on port 389 refers to a child domain instead of reading it: its users are not in the file.
      io.err(`warning: the ${options.source.kind === 'ldif' ? 'dump' : 'search'} is incomplete: ${counted(summary.userReferrals, 'referral')} to other directories ` +
        `(${options.source.kind === 'ldif' ? '"# refldap://" or "ref:" lines' : 'search references'}) ${summary.userReferrals === 1 ? 'was' : 'were'} not followed, so users there are not in ${options.out}; ` +
        'read the global catalog (port 3268, or 3269 with TLS) or each domain, and do not deprovision on this file\n');
    }
    for (const dn of summary.emptyGroups) io.err(`warning: no exported user is a member of ${dn}: check the DN\n`);
    for (const line of leftOutLines(summary)) io.err(`${line}\n`);
    if (options.selection.groups.some((dn) => /^CN=Domain Users,/i.test(dn))) {
      io.err('warning: "Domain Users" is usually a primary group, which AD does not list in memberOf; few users match it\n');
    }
    if (summary.users === 0) {
      const source = options.source;
      const seen = source.kind === 'ldif'
        ? `${source.file} holds ${count(summary.entries)} entries${summary.entries > 0 ? ', none of them an enabled user account' : ''}`
        : `the search under ${source.base} returned no user`;
      throw new DataError('NO_USERS', `no users were exported: ${seen} (a wrong filter or base, an empty dump, or not an Active Directory one?); ${options.out} was not written`);
    }
    return 0;
  },
};

const LEFT_OUT: readonly (readonly [NotAUser, string, string])[] = [
  ['computer', 'computer', 'computers'], ['built-in', 'built-in account', 'built-in accounts'],
  ['deleted', 'deleted object', 'deleted objects'], ['other', 'other object (group, contact, container …)', 'other objects (groups, contacts, containers …)'],
];

/** What an LDIF dump held besides the exported users, a line per reason an admin acts on differently. */
function leftOutLines(summary: ExportSummary): string[] {
  const { notUsers } = summary;
  const lines: string[] = [];
  const kinds = LEFT_OUT.filter(([why]) => notUsers[why] > 0);
  if (kinds.length > 0) {
    const total = kinds.reduce((sum, [why]) => sum + notUsers[why], 0);
    lines.push(`note: ${count(total)} LDIF ${total === 1 ? 'entry is' : 'entries are'} not user accounts and were left out: ` +
      `${kinds.map(([why, one, many]) => `${count(notUsers[why])} ${notUsers[why] === 1 ? one : many}`).join(', ')}` +
      `${notUsers['built-in'] > 0 ? ' (built-in: Administrator, Guest, krbtgt, DefaultAccount, RID 500–503)' : ''}`);
  }
  if (notUsers.disabled > 0) lines.push(`note: ${count(notUsers.disabled)} disabled ${notUsers.disabled === 1 ? 'account was' : 'accounts were'} left out: --include-disabled exports them (status "disabled")`);
  if (notUsers.unreadable > 0) {
    lines.push(`warning: ${count(notUsers.unreadable)} LDIF entries are only a DN, without attributes: the account that made the dump may not read them (bind rights); left out`);
  }
  if (summary.indistinct > 0) {
    lines.push(`warning: ${count(summary.indistinct)} LDIF entries have no objectClass, objectCategory or sAMAccountType: only a "$" name or a built-in RID tells a computer or a built-in account apart there; ` +
      'make the dump with objectClass objectCategory sAMAccountType objectSid userAccountControl among its attributes');
  }
  if (summary.changeRecords > 0) lines.push(`note: ${count(summary.changeRecords)} LDIF change records (changetype modify, delete, modrdn) are not entries and were skipped`);
  return lines;
}
