import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';

/** A binary objectSid (S-1-5-21-a-b-c-RID), base64, as ldapsearch prints it. */
function sid(rid: number): string {
  const bytes = Buffer.alloc(28);
  bytes.writeUInt8(1, 0);
  bytes.writeUInt8(5, 1);
  bytes.writeUInt8(5, 7);
  [21, 1004336348, 1177238915, 682003330, rid].forEach((part, i) => bytes.writeUInt32LE(part, 8 + 4 * i));
  return bytes.toString('base64');
}

const HEADER = ['# extended LDIF', '#', '# LDAPv3', '# base <DC=megabank,DC=local> with scope subtree', '# filter: (objectclass=*)', '# requesting: name sAMAccountName description', '#', ''];
const trailer = (result: string, entries: number) => ['', '# search result', 'search: 2', `result: ${result}`, '', `# numResponses: ${entries + 1}`, `# numEntries: ${entries}`, ''];

/** What `ldapsearch -x -H ldap://… -b DC=megabank,DC=local name sAMAccountName description` (no -LLL) prints for a small domain: no objectClass at all. */
function plainDump(result = '0 Success'): string {
  const entries = [
    ['dn: DC=megabank,DC=local', 'name: megabank'],
    ['dn: CN=Users,DC=megabank,DC=local', 'name: Users', 'description: Default container for upgraded user accounts'],
    ['dn: CN=Administrator,CN=Users,DC=megabank,DC=local', 'name: Administrator', 'sAMAccountName: Administrator', `objectSid:: ${sid(500)}`],
    ['dn: CN=Guest,CN=Users,DC=megabank,DC=local', 'name: Guest', 'sAMAccountName: Guest', `objectSid:: ${sid(501)}`],
    ['dn: CN=krbtgt,CN=Users,DC=megabank,DC=local', 'name: krbtgt', 'sAMAccountName: krbtgt', `objectSid:: ${sid(502)}`],
    ['dn: CN=DefaultAccount,CN=Users,DC=megabank,DC=local', 'name: DefaultAccount', 'sAMAccountName: DefaultAccount', `objectSid:: ${sid(503)}`],
    ['dn: CN=RESOLUTE,OU=Domain Controllers,DC=megabank,DC=local', 'name: RESOLUTE', 'sAMAccountName: RESOLUTE$'],
    ['dn: CN=MS02,CN=Computers,DC=megabank,DC=local', 'name: MS02', 'sAMAccountName: MS02$', 'sAMAccountType: 805306369'],
    ['dn: CN=Ryan Bertrand,OU=Contractors,OU=MegaBank Users,DC=megabank,DC=local', 'name: Ryan Bertrand', 'sAMAccountName: ryan', `objectSid:: ${sid(1105)}`],
    ['dn: CN=Marko Novak,OU=Employees,OU=MegaBank Users,DC=megabank,DC=local', 'name: Marko Novak', 'sAMAccountName: marko', 'description: Account created. Password set to Welcome123!'],
  ];
  return [...HEADER, ...entries.flatMap((lines) => [`# ${lines[0]!.slice(4)}`, ...lines, '']), ...trailer(result, entries.length)].join('\n');
}

async function exportDump(text: string, ...args: string[]) {
  const dir = tmpFiles({ 'dump.ldif': text });
  const out = join(dir, 'users.csv');
  const run = await runCli(['export', '--from-ldif', join(dir, 'dump.ldif'), '--out', out, ...args]);
  const rows = existsSync(out) ? readFileSync(out, 'utf8').replace(/^\uFEFF/, '').trimEnd().split(/\r?\n/).slice(1).map((l) => l.split(',')[0]) : [];
  return { run, rows, dir };
}

describe('export --from-ldif on dumps as admins make them', () => {
  it('plain ldapsearch output without objectClass: computers, built-ins and containers left out and counted; the missing attributes named once', async () => {
    const { run } = await exportDump(plainDump());
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain('exported 2 users');
    expect(run.stderr).toContain('note: 8 LDIF entries are not user accounts and were left out: 2 computers, 4 built-in accounts, 2 other objects (groups, contacts, containers …) (built-in: Administrator, Guest, krbtgt, DefaultAccount, RID 500–503)');
    expect(run.stderr.match(/no objectClass, objectCategory or sAMAccountType/g)).toHaveLength(1);
    expect(run.stderr).toContain('make the dump with objectClass objectCategory sAMAccountType objectSid userAccountControl');
  });

  it('the users of a plain dump are the people: no computer, no built-in account, no container', async () => {
    const { rows } = await exportDump(plainDump(), '--username-attr', 'sAMAccountName');
    expect(rows).toEqual(['ryan', 'marko']);
  });

  it('a result other than 0 in ldapsearch\'s trailer: the dump is incomplete, exit 1, nothing written', async () => {
    const { run, dir } = await exportDump(plainDump('4 Size limit exceeded'));
    expect([run.exitCode, existsSync(join(dir, 'users.csv'))]).toEqual([1, false]);
    expect(run.stderr).toBe(`duo-bridge: ${join(dir, 'dump.ldif')}:68: the dump is incomplete: ldapsearch ended with "result: 4 Size limit exceeded"; make it again with paging (ldapsearch -E pr=500/noprompt) or without the size limit\n`);
  });

  it('a trailer whose result is not a number ("result: banana") is no success either: incomplete, exit 1, nothing written', async () => {
    const { run, dir } = await exportDump(plainDump('banana'));
    expect([run.exitCode, existsSync(join(dir, 'users.csv'))]).toEqual([1, false]);
    expect(run.stderr).toBe(`duo-bridge: ${join(dir, 'dump.ldif')}:68: the dump is incomplete: its trailer says "result: banana", not "result: 0 Success"; make the dump again and keep ldapsearch's output as it wrote it\n`);
  });

  it('a -LLL dump taken on port 389 with a "# refldap://" to a child domain: exported, but said plainly to be incomplete', async () => {
    const users = ['dn: CN=Ryan,OU=People,DC=megabank,DC=local', 'objectClass: user', 'sAMAccountName: ryan', ''].join('\n');
    const refs = '\n# refldap://emea.megabank.local/DC=emea,DC=megabank,DC=local\n\n# refldap://megabank.local/CN=Configuration,DC=megabank,DC=local\n';
    const { run, rows } = await exportDump(users + refs);
    expect([run.exitCode, rows]).toEqual([0, ['ryan']]);
    expect(run.stderr).toMatch(/warning: the dump is incomplete: 1 referral to other directories \("# refldap:\/\/" or "ref:" lines\) was not followed, so users there are not in .*users\.csv; read the global catalog/);
    const plain = await exportDump(users);
    expect(plain.run.stderr).not.toMatch(/incomplete|referral/);
  });

  it('a --config with a byte-order mark is read; an empty username-attr in it is a usage error (exit 2) naming the key', async () => {
    const users = ['dn: CN=Ryan,OU=People,DC=megabank,DC=local', 'objectClass: user', 'sAMAccountName: ryan', 'mail: ryan@megabank.local', ''].join('\n');
    const dir = tmpFiles({ 'bom.json': '\ufeff{ "username-attr": "mail" }', 'empty.json': '{ "username-attr": "" }' });
    const withBom = await exportDump(users, '--config', join(dir, 'bom.json'));
    expect([withBom.run.exitCode, withBom.rows]).toEqual([0, ['ryan@megabank.local']]);
    const empty = await exportDump(users, '--config', join(dir, 'empty.json'));
    expect(empty.run.exitCode).toBe(2);
    expect(empty.run.stderr).toBe('duo-bridge: --username-attr (or "username-attr" in --config) is empty: name the attribute that holds the Duo username (default sAMAccountName), or leave the key out\n');
  });

  it('entries that are only a DN (an anonymous or limited bind) are unreadable, counted apart with the reason', async () => {
    const text = ['version: 1', '', 'dn: CN=Configuration,DC=htb,DC=local', '', 'dn: CN=krbtgt,CN=Users,DC=htb,DC=local', '',
      'dn: CN=Sam Lee,CN=Users,DC=htb,DC=local', 'objectClass: user', 'sAMAccountName: slee', ''].join('\n');
    const { run, rows } = await exportDump(text);
    expect([run.exitCode, rows]).toEqual([0, ['slee']]);
    expect(run.stderr).toContain('warning: 2 LDIF entries are only a DN, without attributes: the account that made the dump may not read them (bind rights); left out');
    expect(run.stderr).not.toContain('--username-attr');
  });

  it('deleted objects (isDeleted, CN=Deleted Objects, \\0ADEL:) are left out and counted', async () => {
    const text = ['dn: CN=Jane Doe\\0ADEL:5f2b6a1c-1d2e-4f3a-9b8c-7d6e5f4a3b2c,CN=Deleted Objects,DC=corp,DC=example', 'objectClass: user', 'sAMAccountName: jdoe', 'isDeleted: TRUE', '',
      'dn: CN=Old Box,CN=Deleted Objects,DC=corp,DC=example', 'objectClass: user', 'sAMAccountName: obox', '',
      'dn: CN=Ann Lee,OU=People,DC=corp,DC=example', 'objectClass: user', 'sAMAccountName: alee', ''].join('\n');
    const { run, rows } = await exportDump(text);
    expect([run.exitCode, rows]).toEqual([0, ['alee']]);
    expect(run.stderr).toContain('note: 2 LDIF entries are not user accounts and were left out: 2 deleted objects');
  });

  it('disabled accounts get a line of their own naming --include-disabled', async () => {
    const text = ['dn: CN=A,DC=t', 'objectClass: user', 'sAMAccountName: a', 'userAccountControl: 514', '', 'dn: CN=B,DC=t', 'objectClass: user', 'sAMAccountName: b', 'userAccountControl: 512', ''].join('\n');
    const { run, rows } = await exportDump(text);
    expect([run.exitCode, rows]).toEqual([0, ['b']]);
    expect(run.stderr).toContain('note: 1 disabled account was left out: --include-disabled exports them (status "disabled")');
    expect((await exportDump(text, '--include-disabled')).rows).toEqual(['a', 'b']);
  });

  it('no user exported is nearly always a mistake: exit 1, saying what the file held', async () => {
    const openldap = ['dn: dc=example,dc=org', 'objectClass: dcObject', 'objectClass: organization', '', 'dn: uid=jsmith,ou=people,dc=example,dc=org', 'objectClass: inetOrgPerson', 'uid: jsmith', ''].join('\n');
    const cases: [string, RegExp][] = [
      [openldap, /no users were exported: .*dump\.ldif holds 2 entries, none of them an enabled user account \(a wrong filter or base, an empty dump, or not an Active Directory one\?\)/],
      ['', /no users were exported: .*dump\.ldif holds 0 entries/],
    ];
    for (const [text, message] of cases) {
      const { run } = await exportDump(text);
      expect([run.exitCode, run.stderr]).toEqual([1, expect.stringMatching(message)]);
    }
  });

  it('validate recognises an LDIF dump and a workbook by their content, whatever their name, and names the command that reads them', async () => {
    const dir = tmpFiles({ 'dump.csv': plainDump(), 'dump.ldif': 'version: 1\n\ndn: CN=x,DC=t\nobjectClass: user\n', 'users.csv': Buffer.from('PK\u0003\u0004rest of a zip', 'latin1') });
    for (const name of ['dump.csv', 'dump.ldif']) {
      const run = await runCli(['validate', join(dir, name)]);
      expect([run.exitCode, run.stderr]).toEqual([2, `duo-bridge: ${join(dir, name)}: is an LDIF dump, not a CSV: "duo-bridge export --from-ldif ${join(dir, name)} --out users.csv" makes the Duo CSV from it\n`]);
    }
    const workbook = await runCli(['import', join(dir, 'users.csv'), '--out-dir', dir]);
    expect([workbook.exitCode, workbook.stderr]).toEqual([2, expect.stringContaining('is a workbook (a zip archive, as .xlsx files are), not a CSV: name it')]);
  });
});
