import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeDuo } from '../fake-duo/fake-duo.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';

/** Duo's own example on its "Import Users" page: national phone numbers, a group, a hardware token. */
const DUO_EXAMPLE = [
  'username,realname,email,alias1,alias2,status,notes,phone1,platform1,group1',
  'jsmith,Joe Smith,jsmith@example.com,joe.smith,,active,,734-555-1234,iphone,Sales',
  'jack,Jack Jones,jack@example.com,,,active,,(734) 555-3302 x3243,landline,',
  'tjohnson,Tom Johnson,tjohnson@example.com,,,bypass,Needs a token,+17345554322,android,Engineering',
].join('\r\n') + '\r\n';

const validate = async (file: string, ...args: string[]) => JSON.parse((await runCli(['validate', file, '--format', 'json', ...args])).stdout);

describe('real CSVs: Duo\'s own, PowerShell\'s, and what import hands back', () => {
  it('Duo\'s example without --default-country: refused, saying what Duo would do and what to pass', async () => {
    const dir = tmpFiles({ 'duo.csv': DUO_EXAMPLE });
    const report = await validate(join(dir, 'duo.csv'));
    const needs = report.findings.filter((f: any) => f.code === 'PHONE_NEEDS_COUNTRY');
    expect(needs.map((f: any) => f.line)).toEqual([2, 3]);
    expect(needs[0].message).toBe('"734-555-1234" has no country code, and Duo would read it as a US number');
    const text = await runCli(['validate', join(dir, 'duo.csv')]);
    expect(text.stdout).toContain('fix: Duo itself reads a number without "+" as a US number: if these are US numbers, say so with --default-country US');
    expect((await validate(join(dir, 'duo.csv'), '--default-country', 'US')).errors).toBe(0);
  });

  it('PowerShell 5.1\'s Export-Csv: the #TYPE line skipped with a note, ";" sniffed on the header after it, line numbers the file\'s', async () => {
    const dir = tmpFiles({ 'ad.csv': '#TYPE Selected.Microsoft.ActiveDirectory.Management.ADUser\r\n"username";"email";"realname"\r\n"jdoe";"jdoe@corp.example";"Doe, John"\r\n"";"x@corp.example";"X"\r\n' });
    const report = await validate(join(dir, 'ad.csv'));
    expect((await runCli(['validate', join(dir, 'ad.csv')])).stdout).toContain('2 rows, 1 error, 1 warning, delimiter ";"');
    expect(report.findings.map((f: any) => [f.code, f.line])).toEqual([['TYPE_LINE', 1], ['BLANK_USERNAME', 4]]);
    expect(report.findings[0].message).toContain('#TYPE Selected.Microsoft.ActiveDirectory.Management.ADUser');
  });

  it('a line break, tab or other control character in a username, alias or email is an error naming the cell', async () => {
    const dir = tmpFiles({ 'c.csv': 'username,email,alias1\r\n"Once upon \na time",a@corp.example,x\r\nb,"b@corp.exa\tmple",y\r\nc,c@corp.example,"z\u0007"\r\n' });
    const report = await validate(join(dir, 'c.csv'));
    expect(report.findings.filter((f: any) => f.code === 'CONTROL_CHARACTER').map((f: any) => [f.line, f.column])).toEqual([[2, 'username'], [4, 'email'], [5, 'alias1']]);
  });

  it('--skip-invalid\'s rejected file keeps every input column in its order; fixed and imported again, nothing is lost', async () => {
    const header = 'username,realname,email,alias1,phone1,platform1,group1,custom,ad_guid,ad_dn';
    const dir = tmpFiles({ 'users.csv': `${header}\r\nok,Ok,ok@corp.example,,+17345550100,mobile,VPN,x,g1,"CN=Ok,DC=t"\r\nbad,Bad,bad@corp.example,,12,mobile,VPN,y,g2,"CN=Bad,DC=t"\r\n` });
    const run = await runCli(['import', join(dir, 'users.csv'), '--out-dir', join(dir, 'b'), '--skip-invalid']);
    expect(run.exitCode).toBe(1);
    const rejected = parse(readFileSync(join(dir, 'users.rejected.csv')), { bom: true, columns: true }) as Record<string, string>[];
    expect(Object.keys(rejected[0]!)).toEqual(['line', ...header.split(','), 'reason']);
    expect(rejected[0]).toMatchObject({ line: '3', username: 'bad', phone1: '12', platform1: 'mobile', group1: 'VPN', custom: 'y', ad_guid: 'g2', ad_dn: 'CN=Bad,DC=t' });
    // Fixed in a spreadsheet and imported again: its phone and group come with it; rejected twice, still one "line" and one "reason".
    writeFileSync(join(dir, 'again.csv'), readFileSync(join(dir, 'users.rejected.csv'), 'utf8').replace(',12,', ',+17345550199,'));
    const again = await validate(join(dir, 'again.csv'));
    expect(again.errors).toBe(0);
    writeFileSync(join(dir, 'twice.csv'), readFileSync(join(dir, 'users.rejected.csv')));
    await runCli(['import', join(dir, 'twice.csv'), '--out-dir', join(dir, 'c'), '--skip-invalid']);
    expect(Object.keys((parse(readFileSync(join(dir, 'twice.rejected.csv')), { bom: true, columns: true }) as Record<string, string>[])[0]!)).toEqual(['line', ...header.split(','), 'reason']);
  });

  it('offline batches say what bulk_create cannot carry; --duo-csv writes Duo\'s own format, read back as Duo documents it', async () => {
    const dir = tmpFiles({ 'duo.csv': DUO_EXAMPLE });
    const batches = await runCli(['import', join(dir, 'duo.csv'), '--out-dir', join(dir, 'b'), '--default-country', 'US']);
    expect(batches.stderr).toContain('warning: bulk_create carries users only: 2 group memberships (2 users) and 3 phones (3 users) are not in the batch files');
    const run = await runCli(['import', join(dir, 'duo.csv'), '--duo-csv', join(dir, 'for-duo.csv'), '--default-country', 'US']);
    expect(run.exitCode).toBe(0);
    const text = readFileSync(join(dir, 'for-duo.csv'), 'utf8');
    expect(text.charCodeAt(0)).not.toBe(0xfeff);
    expect(text).not.toContain("'");
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(['username', 'realname', 'email', 'alias1', 'status', 'notes', 'phone1', 'platform1', 'group1']);
    expect(rows.map((r: any) => [r.username, r.alias1, r.phone1, r.platform1, r.group1])).toEqual([
      ['jsmith', 'joe.smith', '+17345551234', 'iphone', 'Sales'], ['jack', '', '+17345553302 x3243', 'landline', ''], ['tjohnson', '', '+17345554322', 'android', 'Engineering']]);
    expect((await validate(join(dir, 'for-duo.csv'))).errors).toBe(0);
  });
});

describe('the results file of a live import', () => {
  let duo: FakeDuo;
  beforeEach(async () => {
    duo = await new FakeDuo().start();
  });
  afterEach(async () => {
    await duo.stop();
  });

  it('carries every input column in its order, then the result columns', async () => {
    const dir = tmpFiles({ 'duo.csv': DUO_EXAMPLE });
    const run = await runCli(['import', join(dir, 'duo.csv'), '--apply', '--yes', '--default-country', 'US', '--create-groups', '--rate', '100000'], { env: duo.env() });
    expect(run.exitCode).toBe(0);
    const results = parse(readFileSync(join(dir, 'duo.results.csv')), { bom: true, columns: true }) as Record<string, string>[];
    expect(Object.keys(results[0]!)).toEqual(['line', ...DUO_EXAMPLE.split('\r\n')[0]!.split(','), 'result', 'duo_user_id', 'error', 'note']);
    expect(results[0]).toMatchObject({ username: 'jsmith', phone1: '734-555-1234', group1: 'Sales', result: 'created' });
  });
});
