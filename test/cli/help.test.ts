import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';

describe('--help says what each option is for, in groups; one name per meaning; a typo gets the nearest option', () => {
  it.each([
    ['import', ['Duo (DUO_HOST, DUO_IKEY, DUO_SKEY):', 'Writes:', 'What to do (one of --out-dir, --duo-csv, --apply):', 'The list:', 'Groups, phones and tokens:']],
    ['plan', ['Duo (DUO_HOST, DUO_IKEY, DUO_SKEY):', 'The list:', 'What to compare with, and the output:']],
    ['migrate', ['Duo (DUO_HOST, DUO_IKEY, DUO_SKEY):', 'Writes:', 'The list:', 'What to do:']],
    ['rollback', ['Duo (DUO_HOST, DUO_IKEY, DUO_SKEY):', 'Writes:', 'What to do:']],
  ])('%s --help groups its options', async (command, headings) => {
    const help = (await runCli([command, '--help'])).stdout;
    for (const heading of headings) expect(help).toContain(`\n${heading}\n`);
    // Only --version and --help are left ungrouped.
    expect(help.slice(help.indexOf('\nOptions:\n'), help.indexOf('\nExamples:')).match(/^ {2}(?:-\w, )?\s*--[\w-]+/gm)?.map((l) => l.trim())).toEqual(['--version', '-h, --help']);
    expect(help).not.toMatch(/the user CSV/);
  });

  it('plan --format says what it prints; the Duo timeout is --duo-timeout and the LDAP one --ldap-timeout (--timeout still works)', async () => {
    expect((await runCli(['plan', '--help'])).stdout).toMatch(/--format +the plan on stdout: text/);
    for (const command of ['import', 'sync']) {
      const help = (await runCli([command, '--help'])).stdout;
      expect(help).toMatch(/--duo-timeout +seconds per Duo API call/);
      expect(help).not.toMatch(/^ +--timeout /m);
    }
    expect((await runCli(['export', '--help'])).stdout).toMatch(/--ldap-timeout +seconds per LDAP operation/);
    expect((await runCli(['sync', '--help'])).stdout).toMatch(/--ldap-timeout +seconds per LDAP operation/);
    // The earlier spellings still parse (and still check their value).
    const csv = join(tmpFiles({ 'u.csv': 'username,email\njdoe,jdoe@corp.example\n' }), 'u.csv');
    const env = { DUO_HOST: 'api-x.duosecurity.com', DUO_IKEY: 'DIX', DUO_SKEY: 's' };
    expect((await runCli(['import', csv, '--timeout', 'soon', '--apply', '--yes'], { env })).stderr).toMatch(/--timeout must be a whole number .*got "soon"/);
    expect((await runCli(['import', csv, '--duo-timeout', '5', '--timeout', '5', '--apply', '--yes'], { env })).stderr).toMatch(/--duo-timeout and --timeout are one option/);
  });

  it('a typo: the nearest option or command, and where the help is; never a secret typed as a value', async () => {
    const typo = await runCli(['import', 'users.csv', '--aply']);
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toBe('duo-bridge: --aply is not an option of import: did you mean --apply? (see "duo-bridge import --help")\n');
    expect((await runCli(['imprt', 'users.csv'])).stderr).toMatch(/"imprt" is not a command: did you mean import\? \(see "duo-bridge import --help"\)/);
    expect((await runCli(['sync', 'status', '--max-ag', '2h'])).stderr).toMatch(/--max-ag is not an option of sync status: did you mean --max-age\?/);
    const secret = await runCli(['sync', '--smtp-password', 'Hunter2', '--config', 'x.json']);
    expect(secret.stderr).toMatch(/--smtp-password is not an option of sync: did you mean --smtp-password-file\?/);
    expect(secret.stderr).not.toContain('Hunter2');
  });
});
