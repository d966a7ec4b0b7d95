import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { fakeDuoPerTest } from '../helpers/fake-duo-per-test.js';
import { runCli, type CliRun } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';
import { usersCsv } from '../helpers/users-csv.js';

// Issue 27: one `import --apply` opens its input at most twice (the check, the send); it used to be
// nine times (validation, the preview, the header, the batches, the journal's sha256, each from the
// start). Counted by a preload that sees every open of the file, as strace would.

const COUNT_OPENS = fileURLToPath(new URL('../helpers/count-opens.mjs', import.meta.url));
const FAST = ['--rate', '100000', '--timeout', '5'];

const fake = fakeDuoPerTest();

/** The run, and how many times it opened `input`. */
async function counted(input: string, args: readonly string[]): Promise<CliRun & { opens: number }> {
  const countFile = `${input}.opens`;
  const run = await runCli(['import', input, ...args, ...FAST], {
    env: { ...fake.duo.env(), DUO_BRIDGE_COUNT_OPENS: input, DUO_BRIDGE_COUNT_FILE: countFile },
    nodeArgs: ['--import', COUNT_OPENS],
  });
  return { ...run, opens: Number(readFileSync(countFile, 'utf8')) };
}

async function usersWorkbook(path: string, count: number): Promise<void> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Users');
  for (const line of usersCsv(count).trimEnd().split('\n')) sheet.addRow(line.split(','));
  await book.xlsx.writeFile(path);
}

describe('import --apply opens its input at most twice', () => {
  it.each(['users.csv', 'users.xlsx'])('%s: a fresh run (check, preview, send, journal) and its resume', async (name) => {
    const dir = tmpFiles(name.endsWith('.csv') ? { [name]: usersCsv(10) } : {});
    const input = join(dir, name);
    if (name.endsWith('.xlsx')) await usersWorkbook(input, 10);
    const run = await counted(input, ['--apply', '--yes']);
    expect(run.stderr).toMatch(/plan for 127\.0\.0\.1:\d+: create 10 /);
    expect(run.stderr).toMatch(/created 10, exists 0, failed 0, skipped 0/);
    expect(run.exitCode).toBe(0);
    expect(run.opens).toBeGreaterThan(0);
    expect(run.opens).toBeLessThanOrEqual(2);
    const again = await counted(input, ['--apply', '--yes']);
    expect(again.stderr).toMatch(/resumed import .* created 10/);
    expect(again.opens).toBeLessThanOrEqual(2);
  });

  it('with --skip-invalid, a name seen twice (its first sighting looked up again), the rejected file and --report', async () => {
    const dir = tmpFiles({ 'users.csv': usersCsv(10) + 'u00003,Again,,,\n' });
    const input = join(dir, 'users.csv');
    const run = await counted(input, ['--apply', '--yes', '--skip-invalid', '--report', join(dir, 'import.html')]);
    expect(run.stderr).toMatch(/created 9, exists 0, failed 0, skipped 2/);
    expect(readFileSync(join(dir, 'users.rejected.csv'), 'utf8')).toMatch(/DUPLICATE_USERNAME/);
    expect(existsSync(join(dir, 'import.html'))).toBe(true);
    expect(run.opens).toBeLessThanOrEqual(2);
  });
});
