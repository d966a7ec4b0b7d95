import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { FakeDuo } from '../fake-duo/fake-duo.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';
import { AD, firstUsers, isDisabled, ldapEnv, sam } from './ad-env.js';
import { readCsvObjects } from './csv-rows.js';

// The generator's phone rules (gen-ldif.mjs), for the first 100 users.
const mobileE164 = (i: number): string => `+1734${500 + Math.floor(i / 10000)}${String(i % 10000).padStart(4, '0')}`;
const hasMobile = (i: number): boolean => i % 4 !== 0 && i !== 97;
const desk = (i: number): string => `+44207946${String(i).padStart(4, '0')} x${i % 100}`;

let duo: FakeDuo;
beforeAll(async () => {
  duo = await new FakeDuo().start();
});
afterAll(async () => {
  await duo.stop();
});

describe('export with phones and Duo groups from a real Samba AD DC, round-tripped into the fake Duo', () => {
  it('--phone-attr mobile --phone-attr telephoneNumber --duo-group (nested): E.164 phones, groups by cn; validate, plan and import carry them', async () => {
    const dir = tmpFiles();
    const out = join(dir, 'users.csv');
    const run = await runCli(['export', '--url', AD.url, '--insecure-plaintext-bind', '--bind-dn', AD.exportUser, '--base', AD.base, '--out', out,
      '--filter', firstUsers(100), '--alias-attr', 'mail', '--phone-attr', 'mobile', '--phone-attr', 'telephoneNumber', '--default-country', 'US',
      '--duo-group', `CN=GG-Top,OU=Groups,${AD.base}`, '--duo-group', `CN=GG-Other,OU=Groups,${AD.base}`], { env: ldapEnv() });
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toMatch(/warning: 1 phone number could not be normalised/);
    const enabled = Array.from({ length: 100 }, (_, k) => k + 1).filter((i) => !isDisabled(i));
    expect(run.stderr).toMatch(new RegExp(`note: ${enabled.filter((i) => i <= 70).length} users are in at least one of the 2 mapped groups`));

    const rows = new Map(readCsvObjects(out).map((r) => [r.username!, r]));
    // "+…" cells carry the formula-escape quote (Excel would compute them); every reader strips it.
    const unescaped = (cell: string | undefined): string => (cell ?? '').replace(/^'(?=\+)/, '');
    expect(rows.size).toBe(enabled.length);
    for (const i of enabled) {
      const row = rows.get(sam(i))!;
      expect(unescaped(row.phone1)).toBe(hasMobile(i) ? mobileE164(i) : i === 97 ? 'ask reception' : '');
      expect(unescaped(row.phone2)).toBe(i % 5 === 0 ? desk(i) : '');
      // Members of GG-Leaf (u1..u50) and GG-Mid (u51..u60) are in GG-Top through nesting.
      expect(row.group1).toBe(i <= 60 ? 'GG-Top' : i <= 70 ? 'GG-Other' : '');
      expect(row.group2).toBe('');
    }

    // The one number that is not a number is the one validate stops.
    const validate = await runCli(['validate', out, '--format', 'json']);
    const report = JSON.parse(validate.stdout);
    expect(report.findings.filter((f: { severity: string }) => f.severity === 'error').map((f: { code: string; value: string }) => [f.code, f.value]))
      .toEqual([['INVALID_PHONE', 'ask reception']]);

    const env = duo.env();
    duo.seedGroup('GG-Top');
    const plan = await runCli(['plan', out, '--skip-invalid', '--rate', '100000'], { env });
    expect(plan.stdout).toMatch(/Duo has no group "GG-Other"/);
    const imported = await runCli(['import', out, '--apply', '--yes', '--skip-invalid', '--create-groups', '--rate', '100000'], { env });
    expect(imported.stderr).toMatch(new RegExp(`created ${enabled.length - 1}, exists 0, failed 0, skipped 1`));
    const users = duo.byUsername();
    for (const i of enabled.filter((n) => n !== 97)) {
      const user = users.get(sam(i))!;
      expect(duo.groupNamesOf(user)).toEqual(i <= 60 ? ['GG-Top'] : i <= 70 ? ['GG-Other'] : []);
      const numbers = user.phones.map((p) => `${p.number}${p.extension ? ` x${p.extension}` : ''}`);
      expect(numbers).toEqual([...(hasMobile(i) ? [mobileE164(i)] : []), ...(i % 5 === 0 ? [desk(i)] : [])]);
    }
  });
});
