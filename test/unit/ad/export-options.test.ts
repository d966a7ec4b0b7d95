import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { loadExportConfig, resolveExportOptions } from '../../../src/ad/export-options.js';
import { UsageError } from '../../../src/errors.js';
import { tmpFiles } from '../../helpers/tmp-files.js';

const LDAP_ENV = { LDAP_URL: 'ldaps://dc1.corp.example', LDAP_BIND_DN: 'svc@corp.example', LDAP_BASE: 'DC=corp,DC=example', LDAP_BIND_PASSWORD: 's3cret!' };

describe('resolveExportOptions', () => {
  it('fills defaults and reads the environment', async () => {
    const options = await resolveExportOptions({ out: 'u.csv' }, LDAP_ENV);
    expect(options).toEqual({
      out: 'u.csv',
      source: { kind: 'ldap', url: 'ldaps://dc1.corp.example', bindDn: 'svc@corp.example', password: 's3cret!', base: 'DC=corp,DC=example',
        startTls: false, ca: undefined, pageSize: 500, connectTimeoutMs: 10_000, operationTimeoutMs: 120_000 },
      selection: { filter: undefined, groups: [], includeDisabled: false },
      mapping: { usernameAttribute: 'sAMAccountName', aliasAttributes: [], lowercase: false, phoneAttributes: [], defaultCountry: undefined },
      duoGroups: [],
      format: 'csv',
      crlf: false,
    });
    expect(Object.isFrozen(options)).toBe(true);
  });

  it('flags win over the environment, which wins over the config file', async () => {
    const options = await resolveExportOptions({ out: 'u.csv', base: 'DC=flag' }, LDAP_ENV, { base: 'DC=config', 'bind-dn': 'config-dn', 'username-attr': 'mail', 'page-size': 900 });
    expect(options.source).toMatchObject({ base: 'DC=flag', bindDn: 'svc@corp.example', pageSize: 900 });
    expect(options.mapping.usernameAttribute).toBe('mail');
  });

  it('reads the password and the CA from files', async () => {
    const dir = tmpFiles({ pw: 'from-file\n', 'ca.pem': '-----BEGIN CERTIFICATE-----\n' });
    const options = await resolveExportOptions({ out: 'u.csv', 'password-file': join(dir, 'pw'), ca: join(dir, 'ca.pem') }, { ...LDAP_ENV, LDAP_BIND_PASSWORD: '' });
    expect(options.source).toMatchObject({ password: 'from-file', ca: '-----BEGIN CERTIFICATE-----\n' });
  });

  it.each([
    [{}, LDAP_ENV, /--out FILE is required/],
    [{ out: 'u.csv' }, {}, /name a source/],
    [{ out: 'u.csv' }, { ...LDAP_ENV, LDAP_BIND_PASSWORD: '' }, /LDAP_BIND_PASSWORD or pass --password-file/],
    [{ out: 'u.csv', url: 'https://dc1' }, LDAP_ENV, /--url must look like ldaps:\/\/host/],
    [{ out: 'u.csv', starttls: true }, LDAP_ENV, /--starttls is for ldap:\/\//],
    [{ out: 'u.csv', 'from-ldif': 'x.ldif', group: ['CN=G'] }, {}, /need an LDAP source/],
    [{ out: 'u.csv', 'alias-attr': Array(9).fill('mail') }, LDAP_ENV, /at most 8 times/],
    [{ out: 'u.csv', 'page-size': 5000 }, LDAP_ENV, /--page-size must be a whole number from 1 to 1000/],
    [{ out: 'u.csv', 'page-size': 'abc' }, LDAP_ENV, /--page-size must be a whole number from 1 to 1000, got "abc"/],
    [{ out: 'u.csv', url: 'ldap://dc1' }, LDAP_ENV, /ldap:\/\/dc1 is not encrypted: the bind password would cross the network in clear.*--insecure-plaintext-bind/],
    [{ out: 'u.csv', url: 'ldap://dc1', ca: 'ca.pem' }, LDAP_ENV, /--ca with an ldap:\/\/ URL needs --starttls/],
  ])('refuses %j', async (args, env, message) => {
    await expect(resolveExportOptions(args, env)).rejects.toThrow(message);
    await expect(resolveExportOptions(args, env)).rejects.toBeInstanceOf(UsageError);
  });

  it('a plain ldap:// simple bind only when the admin says it is insecure, or with StartTLS', async () => {
    await expect(resolveExportOptions({ out: 'u.csv', url: 'ldap://dc1', 'insecure-plaintext-bind': true }, LDAP_ENV)).resolves.toMatchObject({ source: { url: 'ldap://dc1', startTls: false } });
    await expect(resolveExportOptions({ out: 'u.csv', url: 'ldap://dc1', starttls: true }, LDAP_ENV)).resolves.toMatchObject({ source: { startTls: true } });
  });

  it('a config file cannot allow a plaintext bind: that takes the command line', async () => {
    const dir = tmpFiles({ 'c.json': JSON.stringify({ url: 'ldap://dc1', 'insecure-plaintext-bind': true }) });
    await expect(loadExportConfig(join(dir, 'c.json'))).rejects.toThrow(/unknown key "insecure-plaintext-bind"/);
  });

  it('never puts the password in a message', async () => {
    const failure = resolveExportOptions({ out: 'u.csv', url: 'bad' }, LDAP_ENV);
    await expect(failure).rejects.not.toThrow(/s3cret/);
  });
});

describe('phones and Duo groups', () => {
  it('--duo-group names the Duo group after the cn (escapes undone); a config map names it; --default-country is checked', async () => {
    const options = await resolveExportOptions({ out: 'u.csv', 'duo-group': ['CN=VPN\\, Remote,OU=Groups,DC=x', 'cn=Staff,DC=x'], 'phone-attr': ['mobile'], 'default-country': 'de' }, LDAP_ENV);
    expect(options.duoGroups).toEqual([{ dn: 'CN=VPN\\, Remote,OU=Groups,DC=x', name: 'VPN, Remote' }, { dn: 'cn=Staff,DC=x', name: 'Staff' }]);
    expect(options.mapping).toMatchObject({ phoneAttributes: ['mobile'], defaultCountry: 'DE' });
    const dir = tmpFiles({ 'c.json': JSON.stringify({ 'duo-group': { 'CN=GG-VPN,OU=Groups,DC=x': 'VPN Users' }, 'phone-attr': 'mobile' }) });
    const config = await loadExportConfig(join(dir, 'c.json'));
    expect((await resolveExportOptions({ out: 'u.csv' }, LDAP_ENV, config)).duoGroups).toEqual([{ dn: 'CN=GG-VPN,OU=Groups,DC=x', name: 'VPN Users' }]);
    await expect(resolveExportOptions({ out: 'u.csv', 'default-country': 'Germany' }, LDAP_ENV)).rejects.toThrow(/not a two-letter country code/);
    await expect(resolveExportOptions({ out: 'u.csv', 'duo-group': ['OU=Groups,DC=x'] }, LDAP_ENV)).rejects.toThrow(/needs a group DN starting with CN=/);
    expect((await resolveExportOptions({ out: 'U.XLSX' }, LDAP_ENV)).format).toBe('xlsx');
    await expect(resolveExportOptions({ out: 'u.csv', format: 'ods' }, LDAP_ENV)).rejects.toThrow(/--format is csv or xlsx/);
  });
});

describe('loadExportConfig', () => {
  it('reads the options, ignores "//" comment keys and accepts one string for a list', async () => {
    const dir = tmpFiles({ 'c.json': JSON.stringify({ '// why': 'comment', url: 'ldaps://dc1', group: 'CN=G', 'alias-attr': ['mail', 'userPrincipalName'], lowercase: true }) });
    expect(await loadExportConfig(join(dir, 'c.json'))).toMatchObject({ url: 'ldaps://dc1', group: ['CN=G'], 'alias-attr': ['mail', 'userPrincipalName'], lowercase: true });
  });

  it('parses the template shipped in templates/', async () => {
    await expect(loadExportConfig('templates/export.config.json')).resolves.toMatchObject({ 'username-attr': 'sAMAccountName' });
  });

  it.each([
    [{ usernameAttr: 'mail' }, /unknown key "usernameAttr"/],
    [{ lowercase: 'yes' }, /"lowercase" must be boolean/],
    [{ 'page-size': 0 }, /"page-size" must be >= 1/],
    [{ password: 'x' }, /passwords do not belong in a config file/],
  ])('names the bad key in %j', async (config, message) => {
    const dir = tmpFiles({ 'c.json': JSON.stringify(config) });
    await expect(loadExportConfig(join(dir, 'c.json'))).rejects.toThrow(message);
  });

  it('reports invalid JSON and a missing file as usage errors', async () => {
    const dir = tmpFiles({ 'bad.json': '{ url: ' });
    await expect(loadExportConfig(join(dir, 'bad.json'))).rejects.toThrow(/not valid JSON/);
    await expect(loadExportConfig(join(dir, 'none.json'))).rejects.toThrow(/no such file/);
  });
});

describe('hostile option values', () => {
  it('reads a config file that starts with a byte-order mark (Notepad, PowerShell)', async () => {
    const dir = tmpFiles({ 'c.json': '\ufeff' + JSON.stringify({ url: 'ldaps://dc1', 'username-attr': 'mail' }) });
    await expect(loadExportConfig(join(dir, 'c.json'))).resolves.toMatchObject({ url: 'ldaps://dc1', 'username-attr': 'mail' });
  });

  it.each([
    [{ 'username-attr': '' }, {}, /--username-attr \(or "username-attr" in --config\) is empty/],
    [{}, { 'username-attr': ' ' }, /--username-attr \(or "username-attr" in --config\) is empty/],
    [{ 'alias-attr': ['mail', ''] }, {}, /--alias-attr .* is empty/],
    [{}, { 'phone-attr': [''] }, /--phone-attr .* is empty/],
    [{}, { filter: '' }, /--filter .* is empty/],
    [{}, { group: [''] }, /--group .* is empty/],
  ])('an empty name where one is needed is a usage error naming the key: flags %j, config %j', async (cli, config, message) => {
    const failure = resolveExportOptions({ out: 'u.csv', ...cli }, LDAP_ENV, config);
    await expect(failure).rejects.toBeInstanceOf(UsageError);
    await expect(resolveExportOptions({ out: 'u.csv', ...cli }, LDAP_ENV, config)).rejects.toThrow(message);
  });

  it('an empty --from-ldif is refused too, not opened', async () => {
    await expect(resolveExportOptions({ out: 'u.csv', 'from-ldif': '' }, {})).rejects.toThrow(/--from-ldif .* is empty: name the LDIF file/);
  });
});
