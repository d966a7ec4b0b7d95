import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';

// UTF-8, comma, double quote, first line 1 (LibreOffice's CSV filter options).
const CSV_UTF8 = 'CSV:44,34,76,1';

/** LibreOffice, headless, as a user's "open, then save as": returns the new file's path. */
function libreOffice(input: string, to: 'xlsx' | 'csv' | 'pdf', outDir: string): string {
  const target = to === 'csv' ? 'csv:Text - txt - csv (StarCalc):44,34,76,1' : to;
  execFileSync('soffice', ['--headless', `-env:UserInstallation=file://${outDir}/profile`, ...(/\.csv$/.test(input) ? [`--infilter=${CSV_UTF8}`] : []),
    '--convert-to', target, '--outdir', outDir, input], { stdio: 'ignore', timeout: 120_000 });
  const out = join(outDir, input.replace(/^.*\//, '').replace(/\.[^.]+$/, `.${to}`));
  expect(existsSync(out)).toBe(true);
  return out;
}

function batches(dir: string): string[] {
  return readdirSync(dir).sort().map((name) => readFileSync(join(dir, name), 'utf8'));
}

const EXPORT = ['export', '--from-ldif', 'samples/directory.ldif', '--alias-attr', 'mail', '--alias-attr', 'proxyAddresses', '--lowercase',
  '--phone-attr', 'mobile', '--default-country', 'US', '--duo-group', 'CN=Duo Users,OU=Groups,DC=corp,DC=example'];

describe('a real spreadsheet program: LibreOffice Calc', () => {
  it('export → .xlsx → LibreOffice re-saves it as .xlsx and as .csv → validate and import read exactly the data of the original (same batches, byte for byte)', async () => {
    const dir = tmpFiles();
    expect((await runCli([...EXPORT, '--out', join(dir, 'users.xlsx')])).exitCode).toBe(0);
    const resaved = libreOffice(join(dir, 'users.xlsx'), 'xlsx', join(dir, 'lo-xlsx'));
    const asCsv = libreOffice(join(dir, 'users.xlsx'), 'csv', join(dir, 'lo-csv'));

    const reports: unknown[] = [];
    const written: string[][] = [];
    for (const [i, file] of [join(dir, 'users.xlsx'), resaved, asCsv].entries()) {
      const validate = await runCli(['validate', file, '--default-country', 'US', '--format', 'json']);
      const { findings } = JSON.parse(validate.stdout);
      reports.push(findings.map((f: { code: string; line: number; column: string; value: string }) => [f.code, f.line, f.column, f.value]));
      const out = join(dir, `batches-${i}`);
      const imported = await runCli(['import', file, '--out-dir', out, '--skip-invalid', '--default-country', 'US']);
      expect(imported.stderr).toMatch(/wrote 40 users in 1 batch file /);
      written.push(batches(out));
    }
    expect(reports[1]).toEqual(reports[0]);
    expect(reports[2]).toEqual(reports[0]);
    expect(written[1]).toEqual(written[0]);
    expect(written[2]).toEqual(written[0]);
    // The phones kept their +, nothing became a number or a date.
    expect(readFileSync(asCsv, 'utf8')).toMatch(/"adavis",.*,"\+17345550101","Duo Users",/);
  }, 180_000);

  it('LibreOffice opens the findings workbook without repair: the painted sheet reads back as the input rows', async () => {
    const dir = tmpFiles();
    const report = join(dir, 'findings.xlsx');
    const validate = await runCli(['validate', 'samples/users-messy.csv', '--report', report]);
    expect(validate.exitCode).toBe(1);
    libreOffice(report, 'pdf', join(dir, 'pdf'));
    const rows = parse(readFileSync(libreOffice(report, 'csv', join(dir, 'csv'))), { relax_column_count: true }) as string[][];
    const input = parse(readFileSync('samples/users-messy.csv'), { bom: true, relax_column_count: true }) as string[][];
    // (LibreOffice's CSV export trims the spaces the WHITESPACE finding is about.)
    const trimmed = (table: string[][]): string[][] => table.map((row) => row.map((cell) => cell.trim()));
    expect(trimmed(rows)).toEqual(trimmed(input));
  }, 120_000);

  it('a plain open-and-save of a CSV turns 00123 into 123 and +4915123456789 into 4915123456789: --baseline makes that two errors, the report shows old and new', async () => {
    const dir = tmpFiles({ 'users.csv': 'username,realname,email,alias1\r\n00123,Anna Müller,anna@example.org,+4915123456789\r\nbob,Bob,bob@example.org,bob@example.org\r\n' });
    const saved = libreOffice(join(dir, 'users.csv'), 'csv', join(dir, 'saved'));
    expect(readFileSync(saved, 'utf8')).toMatch(/^123,.*,4915123456789$/m);
    const plain = await runCli(['validate', saved]);
    expect(plain.stdout).toMatch(/ready for import/);
    expect(plain.stdout).not.toMatch(/NOT READY/);

    const checked = await runCli(['validate', saved, '--baseline', join(dir, 'users.csv'), '--report', join(dir, 'report.csv'), '--format', 'json']);
    expect(checked.exitCode).toBe(1);
    const errors = JSON.parse(checked.stdout).findings.filter((f: { severity: string }) => f.severity === 'error');
    expect(errors.map((f: { code: string; column: string; previous: string; value: string }) => [f.code, f.column, f.previous, f.value])).toEqual([
      ['SPREADSHEET_DAMAGE', 'username', '00123', '123'],
      ['SPREADSHEET_DAMAGE', 'alias1', '+4915123456789', '4915123456789'],
    ]);
    const report = readFileSync(join(dir, 'report.csv'), 'utf8');
    expect(report).toMatch(/previous_value\r\n/);
    expect(report).toMatch(/SPREADSHEET_DAMAGE,2,1,username,123,.*,00123\r\n/);
  }, 120_000);
});
