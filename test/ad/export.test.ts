import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';
import { AD, ENABLED_USERS, USERS, firstUsers, isDisabled, ldapEnv, ldapsearch, sam } from './ad-env.js';
import { readCsvObjects } from './csv-rows.js';

function ldapArgs(out: string, ...extra: string[]): string[] {
  return ['export', '--url', AD.url, '--insecure-plaintext-bind', '--bind-dn', AD.exportUser, '--base', AD.base, '--out', out, ...extra];
}

function dnsOf(ldif: string): string[] {
  return ldif.split('\n').filter((l) => l.startsWith('dn: ')).map((l) => l.slice(4)).sort();
}

describe('export from a real Samba AD DC', () => {
  it('pages through 5,000 users: every user exactly once, in more than one page', async () => {
    const out = join(tmpFiles(), 'all.csv');
    const run = await runCli(ldapArgs(out, '--page-size', '500', '--include-disabled'), { env: ldapEnv() });
    expect(run.exitCode).toBe(0);
    const pages = Number(/in (\d+) pages/.exec(run.stderr)?.[1]);
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(AD.users / 500));
    const usernames = readCsvObjects(out).map((r) => r.username!);
    expect(new Set(usernames).size).toBe(usernames.length);
    for (let i = 1; i <= AD.users; i++) expect(usernames).toContain(sam(i));
    const independent = ldapsearch(USERS, ['sAMAccountName']).split('\n').filter((l) => l.startsWith('sAMAccountName: ')).map((l) => l.slice(16));
    expect(usernames.sort()).toEqual(independent.sort());
  });

  it('--username-attr mail keeps the users without mail, blank, and validate flags exactly them', async () => {
    const dir = tmpFiles();
    const out = join(dir, 'by-mail.csv');
    const run = await runCli(ldapArgs(out, '--username-attr', 'mail'), { env: ldapEnv() });
    expect(run.exitCode).toBe(0);
    const withoutMail = dnsOf(ldapsearch(`(&${ENABLED_USERS}(!(mail=*)))`, ['dn']));
    expect(withoutMail.length).toBeGreaterThan(AD.users / 20);
    expect(run.stderr).toContain(`warning: ${withoutMail.length.toLocaleString('en-US')} users have no mail`);

    const rows = readCsvObjects(out);
    expect(rows).toHaveLength(dnsOf(ldapsearch(ENABLED_USERS, ['dn'])).length);
    const blankDns = rows.filter((r) => r.username === '').map((r) => r.ad_dn!).sort();
    expect(blankDns.map((dn) => dn.toLowerCase())).toEqual(withoutMail.map((dn) => dn.toLowerCase()));

    const validate = await runCli(['validate', out, '--format', 'json']);
    expect(validate.exitCode).toBe(1);
    const report = JSON.parse(validate.stdout);
    const flagged = report.findings.filter((f: any) => f.code === 'BLANK_USERNAME').map((f: any) => rows[f.row - 1]!.ad_dn).sort();
    expect(flagged).toEqual(blankDns);
    expect(report.errors).toBe(blankDns.length);
  });

  it('--group selects the members of nested groups and no others', async () => {
    const out = join(tmpFiles(), 'group.csv');
    const run = await runCli(ldapArgs(out, '--group', `CN=GG-Top,OU=Groups,${AD.base}`), { env: ldapEnv() });
    expect(run.exitCode).toBe(0);
    const expected = Array.from({ length: 60 }, (_, k) => k + 1).filter((i) => !isDisabled(i)).map(sam);
    expect(readCsvObjects(out).map((r) => r.username).sort()).toEqual(expected);

    const both = join(tmpFiles(), 'two-groups.csv');
    await runCli(ldapArgs(both, '--group', `CN=GG-Leaf,OU=Groups,${AD.base}`, '--group', `CN=GG-Other,OU=Groups,${AD.base}`, '--include-disabled'), { env: ldapEnv() });
    expect(readCsvObjects(both).map((r) => r.username).sort()).toEqual([...Array.from({ length: 50 }, (_, k) => k + 1), ...Array.from({ length: 10 }, (_, k) => k + 61)].map(sam));
  });

  it('leaves disabled accounts out by default and marks them disabled with --include-disabled', async () => {
    const dir = tmpFiles();
    await runCli(ldapArgs(join(dir, 'a.csv'), '--filter', `${firstUsers(40)}`), { env: ldapEnv() });
    const enabled = readCsvObjects(join(dir, 'a.csv'));
    expect(enabled.map((r) => r.username)).not.toContain(sam(7));
    expect(enabled.every((r) => r.status === '')).toBe(true);

    await runCli(ldapArgs(join(dir, 'b.csv'), '--filter', `${firstUsers(40)}`, '--include-disabled'), { env: ldapEnv() });
    const all = readCsvObjects(join(dir, 'b.csv'));
    expect(all.filter((r) => r.status === 'disabled').map((r) => r.username).sort()).toEqual([sam(7), sam(27)]);
    expect(all).toHaveLength(40);
  });

  it('escapes values in --group so a crafted DN cannot widen the filter', async () => {
    const out = join(tmpFiles(), 'x.csv');
    const run = await runCli(ldapArgs(out, '--group', `CN=GG-Top)(objectClass=*,OU=Groups,${AD.base}`), { env: ldapEnv() });
    // No user matched: exit 1, saying so (an export of nobody is nearly always a mistake).
    expect([run.exitCode, run.stderr]).toEqual([1, expect.stringContaining('no users were exported: the search under')]);
    // ...and writes no file: a CSV of nobody would only be imported by mistake.
    expect(existsSync(out)).toBe(false);
  });

  it('maps names, aliases (proxyAddresses: SMTP only, primary first) and ad_guid as AD tools print it', async () => {
    const out = join(tmpFiles(), 'map.csv');
    const run = await runCli(ldapArgs(out, '--filter', `${firstUsers(14)}`, '--alias-attr', 'proxyAddresses', '--alias-attr', 'mail'), { env: ldapEnv() });
    expect(run.stderr).toContain('warning: 1 user has more than 8 aliases');
    const rows = new Map(readCsvObjects(out).map((r) => [r.username, r]));
    expect(rows.get(sam(1))).toMatchObject({ realname: 'Björn Müller', firstname: 'Björn', lastname: 'Müller', email: 'u000001@example.test', alias1: 'u000001@example.test' });
    expect(rows.get(sam(3))).toMatchObject({ alias1: 'u000003.1@example.test', alias8: 'u000003.8@example.test' });
    const u14 = rows.get(sam(14))!;
    expect([u14.alias1, u14.alias2, u14.alias3]).toEqual([expect.stringMatching(/^[a-z]+\..+\.14@example\.test$/), 'u000014@legacy.example.test', 'u000014@example.test']);
    expect(rows.get(sam(10))).toMatchObject({ email: '', alias1: '' });

    for (const i of [1, 2, 3]) {
      const base64 = /^objectGUID:: (\S+)$/m.exec(ldapsearch(`(sAMAccountName=${sam(i)})`, ['objectGUID']))![1]!;
      const b = Buffer.from(base64, 'base64');
      const hex = (bytes: number[]): string => bytes.map((x) => x.toString(16).padStart(2, '0')).join('');
      const independent = `${hex([b[3]!, b[2]!, b[1]!, b[0]!])}-${hex([b[5]!, b[4]!])}-${hex([b[7]!, b[6]!])}-${hex([...b.subarray(8, 10)])}-${hex([...b.subarray(10)])}`;
      expect(rows.get(sam(i))!.ad_guid).toBe(independent);
    }
  });

  it('--lowercase lower-cases usernames and aliases', async () => {
    const out = join(tmpFiles(), 'lc.csv');
    await runCli(ldapArgs(out, '--filter', '(sAMAccountName=svc-export)', '--username-attr', 'userPrincipalName', '--alias-attr', 'sAMAccountName', '--lowercase'), { env: ldapEnv() });
    expect(readCsvObjects(out).map((r) => [r.username, r.alias1])).toEqual([[`svc-export@${AD.realm}`, 'svc-export']]);
  });

  it('gives the same CSV from an ldapsearch -LLL dump as from LDAP', async () => {
    const dir = tmpFiles();
    const mapping = ['--alias-attr', 'mail', '--alias-attr', 'proxyAddresses', '--include-disabled'];
    expect((await runCli(ldapArgs(join(dir, 'ldap.csv'), ...mapping), { env: ldapEnv() })).exitCode).toBe(0);
    const dump = ldapsearch(USERS, ['objectClass', 'displayName', 'givenName', 'sn', 'mail', 'userAccountControl', 'objectGUID', 'sAMAccountName', 'proxyAddresses'], ['-o', 'ldif_wrap=78']);
    writeFileSync(join(dir, 'dump.ldif'), dump);
    const fromFile = await runCli(['export', '--from-ldif', join(dir, 'dump.ldif'), '--out', join(dir, 'ldif.csv'), ...mapping]);
    expect(fromFile.exitCode).toBe(0);
    expect(readCsvObjects(join(dir, 'ldif.csv'))).toEqual(readCsvObjects(join(dir, 'ldap.csv')));
  });
});

describe('export over TLS', () => {
  it('LDAPS with --ca', async () => {
    const out = join(tmpFiles(), 'tls.csv');
    const run = await runCli(['export', '--url', AD.urlTls, '--ca', AD.ca, '--bind-dn', AD.exportUser, '--base', AD.base, '--filter', `${firstUsers(5)}`, '--out', out], { env: ldapEnv() });
    expect(run.exitCode).toBe(0);
    expect(readCsvObjects(out).length).toBeGreaterThan(0);
  });

  it('StartTLS with --ca, binding as DOMAIN\\user', async () => {
    const out = join(tmpFiles(), 'starttls.csv');
    const run = await runCli(['export', '--url', AD.url, '--starttls', '--ca', AD.ca, '--bind-dn', `${AD.realm.split('.')[0]!.toUpperCase()}\\svc-export`, '--base', AD.base, '--filter', `${firstUsers(5)}`, '--out', out], { env: ldapEnv() });
    expect(run.stderr).not.toContain('duo-bridge:');
    expect(run.exitCode).toBe(0);
  });

  it.each([
    ['LDAPS', [AD.urlTls]],
    ['StartTLS', [AD.url, '--starttls']],
  ])('%s without --ca fails clearly: exit 3, no file', async (_name, url) => {
    const dir = tmpFiles();
    const run = await runCli(['export', '--url', ...url, '--bind-dn', AD.exportUser, '--base', AD.base, '--out', join(dir, 'x.csv')], { env: ldapEnv() });
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/^duo-bridge: .*TLS certificate not accepted.*--ca FILE\n$/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('export failures: exit 3, one line, no output file', () => {
  it.each([
    ['wrong password', ['--url', AD.url, '--insecure-plaintext-bind'], ldapEnv('not-the-password'), /refused: wrong password \(AD data 52e\)/],
    ['unreachable port', ['--url', 'ldap://127.0.0.1:1', '--insecure-plaintext-bind'], ldapEnv(), /cannot connect \(ECONNREFUSED\)/],
    ['unknown base DN', ['--url', AD.url, '--insecure-plaintext-bind', '--base', 'DC=nowhere,DC=test'], ldapEnv(), /base DN "DC=nowhere,DC=test" does not exist/],
  ])('%s', async (_name, args, env, message) => {
    const dir = tmpFiles();
    const base = args.includes('--base') ? [] : ['--base', AD.base];
    const run = await runCli(['export', '--bind-dn', AD.exportUser, ...base, ...args, '--out', join(dir, 'x.csv')], { env });
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).not.toContain(AD.exportPassword);
    expect(existsSync(join(dir, 'x.csv'))).toBe(false);
  });
});
