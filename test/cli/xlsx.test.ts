import { describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { spreadsheetDamage } from '../../src/validate/baseline.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';

async function workbook(path: string): Promise<ExcelJS.Workbook> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(path);
  return book;
}

/** A workbook as a person leaves it after editing: numbers, a formula, a date, a second sheet. */
async function edited(path: string): Promise<void> {
  const book = new ExcelJS.Workbook();
  book.addWorksheet('Notes').addRow(['read the other sheet']);
  const sheet = book.addWorksheet('Users');
  sheet.addRow(['username', 'email', 'phone1', 'alias1']);
  sheet.addRow([123, 'a@example.org', 4915123456789, 'a1@example.org']);
  sheet.addRow(['bob', 'b@example.org', '+17345550100', { formula: 'A2&"@example.org"', result: '123@example.org' }]);
  sheet.addRow([]);
  sheet.addRow(['carol', new Date(Date.UTC(2024, 2, 4)), '', '']);
  await book.xlsx.writeFile(path);
}

describe('spreadsheets (.xlsx)', () => {
  it('export --out users.xlsx: one sheet "Users", every cell text (numeric-looking ones too), header bold, frozen and filtered', async () => {
    const dir = tmpFiles();
    const out = join(dir, 'users.xlsx');
    const run = await runCli(['export', '--from-ldif', 'samples/directory.ldif', '--alias-attr', 'mail', '--phone-attr', 'mobile', '--default-country', 'US', '--out', out]);
    expect(run.exitCode).toBe(0);
    const sheet = (await workbook(out)).worksheets[0]!;
    expect(sheet.name).toBe('Users');
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet.autoFilter).toBeTruthy();
    expect(sheet.getRow(1).font?.bold).toBe(true);
    expect(sheet.getRow(2).getCell(16).value).toBe('+17345550101');
    sheet.eachRow((row) => row.eachCell((cell) => expect(cell.type).toBe(ExcelJS.ValueType.String)));
    expect(sheet.getColumn(1).numFmt).toBe('@');
    // --format beats the extension.
    const csv = await runCli(['export', '--from-ldif', 'samples/directory.ldif', '--format', 'csv', '--out', join(dir, 'named.xlsx')]);
    expect(csv.exitCode).toBe(0);
  });

  it('validate reads the first sheet or --sheet NAME; a number, formula or date cell is a finding naming its cell', async () => {
    const dir = tmpFiles();
    await edited(join(dir, 'edited.xlsx'));
    const first = await runCli(['validate', join(dir, 'edited.xlsx')]);
    expect(first.stdout).toMatch(/MISSING_USERNAME_COLUMN/);
    const run = await runCli(['validate', join(dir, 'edited.xlsx'), '--sheet', 'users', '--format', 'json']);
    expect(run.exitCode).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.rows).toBe(3);
    expect(report.findings.map((f: { code: string; cell: string; line: number }) => [f.code, f.cell, f.line])).toEqual([
      ['NUMBER_CELL', 'A2', 2],
      ['PHONE_NEEDS_COUNTRY', 'C2', 2],
      ['NUMBER_CELL', 'C2', 2],
      ['XLSX_FORMULA', 'D3', 3],
      ['INVALID_EMAIL', 'B5', 5],
      ['DATE_CELL', 'B5', 5],
    ]);
    expect(report.findings[2].message).toMatch(/probably "\+4915123456789"/);
    const text = await runCli(['validate', join(dir, 'edited.xlsx'), '--sheet', 'Users']);
    expect(text.stdout).toMatch(/3 rows, 4 errors, 2 warnings, sheet "Users"/);
  });

  it('a sheet that is not there, --delimiter on a workbook, and a file that is not a workbook: one clear line each', async () => {
    const dir = tmpFiles();
    await edited(join(dir, 'edited.xlsx'));
    const missing = await runCli(['validate', join(dir, 'edited.xlsx'), '--sheet', 'People']);
    expect([missing.exitCode, missing.stderr.trim()]).toEqual([2, expect.stringMatching(/has no sheet "People"; its sheets: "Notes", "Users"$/)]);
    expect((await runCli(['validate', join(dir, 'edited.xlsx'), '--delimiter', ';'])).stderr).toMatch(/--delimiter is for CSV files/);
    writeFileSync(join(dir, 'fake.xlsx'), 'username\nann\n');
    const broken = await runCli(['validate', join(dir, 'fake.xlsx'), '--format', 'json']);
    expect(broken.exitCode).toBe(1);
    expect(JSON.parse(broken.stdout).findings[0]).toMatchObject({ code: 'MALFORMED_CSV', message: expect.stringMatching(/not a readable .xlsx workbook/) });
  });

  it('validate --report findings.xlsx: the rows with each offending cell filled and noted, and a Findings sheet linking to the cells', async () => {
    const dir = tmpFiles();
    const run = await runCli(['validate', 'samples/users-messy.csv', '--report', join(dir, 'findings.xlsx')]);
    expect(run.exitCode).toBe(1);
    const book = await workbook(join(dir, 'findings.xlsx'));
    const [rows, list] = book.worksheets;
    expect(rows!.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    const jfoo = rows!.getRow(2).getCell(1);
    expect(jfoo.value).toBe('jfoo@example.com');
    expect((jfoo.fill as ExcelJS.FillPattern).fgColor).toEqual({ argb: 'FFFFC7CE' });
    expect(String(jfoo.note)).toMatch(/error ALIAS_IS_USERNAME: username "jfoo@example.com" is also an alias on line 4\nfix: /);
    const padded = rows!.getRow(8).getCell(1);
    expect((padded.fill as ExcelJS.FillPattern).fgColor).toEqual({ argb: 'FFFFEB9C' });
    expect(list!.name).toBe('Findings');
    expect(list!.rowCount).toBe(14);
    expect(list!.getRow(3).getCell(4).value).toEqual({ text: 'A2', hyperlink: "#'Users'!A2" });
  });

  it('import, plan and the batches read a workbook exactly as the CSV it was exported with', async () => {
    const dir = tmpFiles();
    const args = ['--from-ldif', 'samples/directory.ldif', '--alias-attr', 'mail', '--phone-attr', 'mobile', '--default-country', 'US', '--duo-group', 'CN=VPN Users,OU=Groups,DC=corp,DC=example'];
    await runCli(['export', ...args, '--out', join(dir, 'users.xlsx')]);
    await runCli(['export', ...args, '--out', join(dir, 'users.csv')]);
    for (const name of ['users.xlsx', 'users.csv']) {
      const run = await runCli(['import', join(dir, name), '--out-dir', join(dir, `batches-${name}`), '--skip-invalid', '--default-country', 'US']);
      expect(run.stderr).toMatch(/wrote 40 users/);
    }
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(join(dir, 'batches-users.xlsx', 'batch-0001.json'), 'utf8')).toBe(readFileSync(join(dir, 'batches-users.csv', 'batch-0001.json'), 'utf8'));
    const plan = await runCli(['plan', join(dir, 'users.xlsx'), '--tenant', 'samples/tenant-mail-sync.json', '--skip-invalid', '--default-country', 'US', '--assert-sync-deleted', '--create-groups']);
    expect(plan.stdout).toMatch(/create 6 · unchanged 0 · update 0 · migrate 34 · conflict 0/);
  });
});

describe('spreadsheetDamage', () => {
  it.each([
    ['00123', '123', 'leading zeros lost'],
    ['+4915123456789', '4915123456789', 'the leading + lost'],
    ['4915123456789123', '4.91512E+15', 'turned into scientific notation'],
    ['3-4', '2024-03-04', 'turned into a date'],
    ['Müller', 'MÃ¼ller', 'text re-encoded (UTF-8 read as Latin-1)'],
    ['Łukasz', 'Å\u0081ukasz', 'text re-encoded (UTF-8 read as Latin-1)'],
    ['ann', 'anna', null],
    ['123', '0123', null],
    // Typed into an empty cell: an edit, not something a spreadsheet did to a value.
    ['', '2025-01-31', null],
  ])('%s → %s: %s', (was, now, expected) => {
    expect(spreadsheetDamage(was, now)).toBe(expected);
  });
});

describe('validate --baseline', () => {
  it('a date typed into an empty cell is an edit (CHANGED_SINCE_EXPORT); a value the spreadsheet turned into something else is damage', async () => {
    const dir = tmpFiles({
      'export.csv': 'username,email,notes,ad_guid\n00123,ann@example.com,,11111111-1111-1111-1111-111111111111\nbob,bob@example.com,,22222222-2222-2222-2222-222222222222\n',
      'edited.csv': 'username,email,notes,ad_guid\n123,ann@example.com,,11111111-1111-1111-1111-111111111111\nbob,bob@example.com,2025-01-31,22222222-2222-2222-2222-222222222222\n',
    });
    const run = await runCli(['validate', join(dir, 'edited.csv'), '--baseline', join(dir, 'export.csv'), '--format', 'json']);
    const findings = (JSON.parse(run.stdout).findings as { code: string; line: number; column: string }[]).map((f) => [f.code, f.line, f.column]);
    expect(findings).toEqual(expect.arrayContaining([['SPREADSHEET_DAMAGE', 2, 'username'], ['CHANGED_SINCE_EXPORT', 3, 'notes']]));
    expect(findings).not.toContainEqual(['SPREADSHEET_DAMAGE', 3, 'notes']);
  });
});
