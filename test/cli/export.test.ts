import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';

describe('duo-bridge export --from-ldif', () => {
  it('exports the sample directory and keeps users without the username attribute', async () => {
    const out = join(tmpFiles(), 'users.csv');
    const run = await runCli(['export', '--from-ldif', 'samples/directory.ldif', '--username-attr', 'mail', '--out', out]);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain('exported 45 users');
    expect(run.stderr).toContain('warning: 6 users have no mail; their username cell is empty');
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('\ufeffusername,realname,firstname,lastname,email,alias1,')).toBe(true);
    expect(text).toContain('Gülşen Yılmaz');

    const validate = JSON.parse((await runCli(['validate', out, '--format', 'json'])).stdout);
    expect(validate.findings.filter((f: any) => f.code === 'BLANK_USERNAME')).toHaveLength(6);
  });

  it('formula-escapes cells and round-trips through validate', async () => {
    const dir = tmpFiles({ 'd.ldif': 'dn: CN=x,DC=t\nobjectClass: user\nsAMAccountName: -x\ndisplayName: =HYPERLINK("http://evil")\n' });
    const run = await runCli(['export', '--from-ldif', join(dir, 'd.ldif'), '--out', join(dir, 'u.csv')]);
    expect(run.exitCode).toBe(0);
    const text = readFileSync(join(dir, 'u.csv'), 'utf8');
    expect(text).toContain(`'-x,"'=HYPERLINK(""http://evil"")"`);
    const report = JSON.parse((await runCli(['validate', join(dir, 'u.csv'), '--format', 'json'])).stdout);
    expect(report.findings.map((f: any) => [f.code, f.value])).toEqual([['FORMULA_PREFIX', '-x']]);
  });

  it('a damaged LDIF: exit 1, file:line, no output file', async () => {
    const dir = tmpFiles({ 'd.ldif': 'dn: CN=a,DC=t\nobjectClass: user\nthis line is not ldif\n' });
    const run = await runCli(['export', '--from-ldif', join(dir, 'd.ldif'), '--out', join(dir, 'u.csv')]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toBe(`duo-bridge: ${join(dir, 'd.ldif')}:3: expected "attribute: value"\n`);
    expect(readdirSync(dir)).toEqual(['d.ldif']);
  });

  it('usage errors exit 2: missing file, no source, a password on the command line', async () => {
    const dir = tmpFiles();
    const missing = await runCli(['export', '--from-ldif', join(dir, 'none.ldif'), '--out', join(dir, 'u.csv')]);
    expect([missing.exitCode, missing.stderr]).toEqual([2, `duo-bridge: ${join(dir, 'none.ldif')}: no such file\n`]);
    const noSource = await runCli(['export', '--out', join(dir, 'u.csv')]);
    expect(noSource.exitCode).toBe(2);
    expect(noSource.stderr).toMatch(/name a source/);
    const password = await runCli(['export', '--url', 'ldaps://dc', '--password', 'hunter2', '--out', join(dir, 'u.csv')]);
    expect(password.exitCode).toBe(2);
    expect(password.stderr).toMatch(/--password is not an option of export: did you mean --password-file\?/);
    expect(password.stderr).not.toContain('hunter2');
    expect(existsSync(join(dir, 'u.csv'))).toBe(false);
  });

  it('an output that cannot be written is refused before the export runs (exit 2, never an internal error)', async () => {
    const dir = tmpFiles();
    const intoDir = await runCli(['export', '--from-ldif', 'samples/directory.ldif', '--out', dir]);
    expect([intoDir.exitCode, intoDir.stderr]).toEqual([2, `duo-bridge: --out ${dir}: is a directory; name the file to write\n`]);
    const noFolder = await runCli(['export', '--from-ldif', 'samples/directory.ldif', '--out', join(dir, 'missing', 'u.csv')]);
    expect([noFolder.exitCode, noFolder.stderr]).toEqual([2, `duo-bridge: --out ${join(dir, 'missing', 'u.csv')}: the folder ${join(dir, 'missing')} does not exist\n`]);
  });

  it('--config supplies options and names a bad key', async () => {
    const dir = tmpFiles({
      'good.json': JSON.stringify({ 'from-ldif': 'samples/directory.ldif', 'alias-attr': 'mail', lowercase: true }),
      'bad.json': JSON.stringify({ 'from-ldif': 'samples/directory.ldif', aliasAttr: 'mail' }),
    });
    const good = await runCli(['export', '--config', join(dir, 'good.json'), '--out', join(dir, 'u.csv')]);
    expect(good.exitCode).toBe(0);
    expect(readFileSync(join(dir, 'u.csv'), 'utf8')).toContain('\nadavis,Alice Davis,Alice,Davis,alice.davis@corp.example,alice.davis@corp.example,');
    const bad = await runCli(['export', '--config', join(dir, 'bad.json'), '--out', join(dir, 'v.csv')]);
    expect([bad.exitCode, bad.stderr]).toEqual([2, `duo-bridge: --config ${join(dir, 'bad.json')}: unknown key "aliasAttr"\n`]);
  });

  it('--help lists every option with examples', async () => {
    const run = await runCli(['export', '--help']);
    for (const option of ['--url', '--bind-dn', '--base', '--starttls', '--ca', '--password-file', '--from-ldif', '--filter', '--group',
      '--include-disabled', '--username-attr', '--alias-attr', '--lowercase', '--config', 'Examples:']) {
      expect(run.stdout).toContain(option);
    }
  });
});
