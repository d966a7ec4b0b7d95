import { describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, runCli, type CliRun } from '../helpers/run-cli.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { tmpFiles } from '../helpers/tmp-files.js';

/** One line on stderr, no stack trace. */
function expectOneLineError(run: CliRun): void {
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

async function validateJson(path: string, ...extra: string[]): Promise<{ run: CliRun; json: any }> {
  const run = await runCli(['validate', path, '--format', 'json', ...extra]);
  return { run, json: JSON.parse(run.stdout) };
}

describe('duo-bridge validate', () => {
  it('exit 0 and a summary for the clean sample', async () => {
    const run = await runCli(['validate', 'samples/users-clean.csv']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/10 rows, 0 errors, 0 warnings.*ready for import/);
  });

  it('exit 1 with findings grouped by code for the messy sample', async () => {
    const run = await runCli(['validate', 'samples/users-messy.csv']);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/error BLANK_USERNAME \(2\)/);
    expect(run.stdout).toContain('samples/users-messy.csv:3 [username] the username is empty');
    expect(run.stdout).not.toMatch(/\u001b\[/);
  });

  it('prints exactly the contract JSON object', async () => {
    const { run, json } = await validateJson('samples/users-messy.csv');
    expect(run.exitCode).toBe(1);
    expect(Object.keys(json)).toEqual(['file', 'rows', 'errors', 'warnings', 'findings']);
    expect(json).toMatchObject({ file: 'samples/users-messy.csv', rows: 10, errors: 9, warnings: 4 });
    expect(json.findings.find((f: any) => f.code === 'ALIAS_IS_USERNAME' && f.line === 4)).toEqual({
      severity: 'error', code: 'ALIAS_IS_USERNAME', line: 4, row: 3, column: 'alias1', value: 'jfoo@example.com',
      message: expect.any(String), related_lines: [2],
    });
  });

  it('reads the Excel ";" sample with a BOM', async () => {
    const { json } = await validateJson('samples/users-excel-semicolon.csv');
    expect(json.findings.map((f: any) => [f.code, f.line])).toEqual([
      ['DUPLICATE_USERNAME', 3], ['DUPLICATE_USERNAME', 4], ['BLANK_USERNAME', 5], ['WHITESPACE', 6],
    ]);
  });

  it('--report writes the findings as a BOM CSV with formula escaping', async () => {
    const dir = tmpFiles({ 'u.csv': "username,alias1\n'=evil,x\n=evil,\n" });
    const report = join(dir, 'report.csv');
    const run = await runCli(['validate', join(dir, 'u.csv'), '--report', report]);
    expect(run.exitCode).toBe(1);
    const text = readFileSync(report, 'utf8');
    expect(text.startsWith('\ufeffseverity,code,line,row,column,value,message,fix,related_lines\r\n')).toBe(true);
    expect(text).toContain(",'=evil,");
    expect(text).not.toMatch(/,=evil/);
  });

  it('--help shows every option and examples', async () => {
    const run = await runCli(['validate', '--help']);
    expect(run.exitCode).toBe(0);
    for (const option of ['--format', '--report', '--delimiter', '--max-aliases', 'Examples:']) expect(run.stdout).toContain(option);
  });
});

describe('bad input: one clear line and the right exit code', () => {
  it('missing file → exit 2', async () => {
    const run = await runCli(['validate', 'no-such.csv']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe('duo-bridge: no-such.csv: no such file\n');
  });

  it('a directory → exit 2', async () => {
    const run = await runCli(['validate', 'samples']);
    expect(run.exitCode).toBe(2);
    expectOneLineError(run);
    expect(run.stderr).toContain('is a directory');
  });

  it('bad options → exit 2, one line naming the option (on a file that exists, so the option is the cause)', async () => {
    const file = 'samples/users-clean.csv';
    for (const [args, message] of [
      [['validate'], /validate needs <file>: duo-bridge validate <file> \(see "duo-bridge validate --help"\)/],
      [['validate', file, '--format', 'xml'], /Invalid values:.*format/],
      [['validate', file, '--max-aliases', '12'], /--max-aliases must be a whole number from 0 to 8, got 12$/m],
      [['validate', file, '--max-shown', 'lots'], /--max-shown must be a whole number from 0 to \d+, got "lots"/],
      [['validate', file, '--max-shown=2.5'], /--max-shown must be a whole number from 0 to \d+, got 2.5$/m],
      [['validate', file, '--max-shown='], /--max-shown must be a whole number from 0 to \d+, got ""/],
      [['nonsense'], /"nonsense" is not a command: name one of export, validate, import/],
      [['tenant'], /name what to do: tenant export or tenant diff/],
      [['simulator', '--tenant', 'samples/tenant-mail-sync.json', '--tls-cert', 'sim.crt'], /--tls-cert and --tls-key go together/],
      [['tenant', 'diff'], /tenant diff needs <before>: duo-bridge tenant diff <before> \(see "duo-bridge tenant diff --help"\)/],
      [['validate', file, '--delimiter', 'ab'], /--delimiter must be one character or "tab", got "ab"/],
    ] as const) {
      const run = await runCli([...args]);
      expect([run.exitCode, run.stdout]).toEqual([2, '']);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it.each<{ name: string; content: string | Buffer; code: string; line: number; also?: [string, number] }>([
    { name: '0-byte file', content: '', code: 'MISSING_USERNAME_COLUMN', line: 1 },
    { name: 'binary file', content: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]), code: 'INVALID_ENCODING', line: 1 },
    // The broken byte reads as U+FFFD, which the name rules report too: the cell names what the file-wide finding covers.
    { name: 'invalid UTF-8', content: Buffer.concat([Buffer.from('username\nbj'), Buffer.from([0xf6, 0x72]), Buffer.from('n\n')]), code: 'INVALID_ENCODING', line: 2, also: ['INVISIBLE_CHARACTER', 2] },
    { name: 'unclosed quote', content: 'username,notes\na,"never closed\nb,x\n', code: 'MALFORMED_CSV', line: 2 },
  ])('$name → exit 1 with $code', async ({ content, code, line, also }) => {
    const dir = tmpFiles({ 'in.csv': content });
    const { run, json } = await validateJson(join(dir, 'in.csv'));
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toBe('');
    expect(json.findings.map((f: any) => [f.code, f.line])).toEqual(also === undefined ? [[code, line]] : [[code, line], also]);
  });

  it('a header only → exit 0, 0 rows', async () => {
    const { run, json } = await validateJson('templates/users.csv');
    expect(run.exitCode).toBe(0);
    expect(json).toMatchObject({ rows: 0, errors: 0, warnings: 0 });
  });

  it('a 50 MB file with no newline → one MALFORMED_CSV finding, in bounded memory', async () => {
    const dir = tmpFiles();
    const path = join(dir, 'huge.csv');
    writeFileSync(path, 'username,' + 'x'.repeat(50 * 1024 * 1024));
    // Under a 64 MB old-space heap the 50 MB line cannot be held as one string: reading it whole would crash.
    const run = await runCli(['validate', path, '--format', 'json'], { env: { NODE_OPTIONS: '--max-old-space-size=64' } });
    expect([run.exitCode, run.stderr]).toEqual([1, '']);
    expect(JSON.parse(run.stdout).findings.map((f: any) => [f.code, f.line])).toEqual([['MALFORMED_CSV', 1]]);
  });

  it('findings do not live in memory: 200,000 findings validate under a heap that could not hold them', async () => {
    const dir = tmpFiles();
    const path = join(dir, 'blank.csv');
    // 100,000 rows of blank usernames with white space: two findings per row, ~60 MB as objects, on
    // top of the ~18 MB the program itself holds. 40 MB sat at the edge (an occasional abort in GC).
    writeFileSync(path, 'username,email\n' + ' ,x@example.com \n'.repeat(100_000));
    const run = await runCli(['validate', path, '--format', 'json'], { env: { NODE_OPTIONS: '--max-old-space-size=56' } });
    expect(run.stderr).toBe('');
    const json = JSON.parse(run.stdout);
    expect([json.errors, json.warnings, json.findings.length]).toEqual([100_000, 200_000, 300_000]);
    expect(json.findings[299_999]).toMatchObject({ line: 100_001, code: 'WHITESPACE', column: 'email' });
  }, 60_000);

  it('10,000 duplicate rows → exit 1, every row flagged, output stays small', async () => {
    const dir = tmpFiles({ 'dups.csv': 'username,email\n' + 'jdoe,jdoe@example.com\n'.repeat(10_000) });
    const { run, json } = await validateJson(join(dir, 'dups.csv'));
    expect(run.exitCode).toBe(1);
    expect(json.errors).toBe(10_000);
    expect(run.stdout.length).toBeLessThan(6_000_000);
    const text = await runCli(['validate', join(dir, 'dups.csv')]);
    expect(text.stdout.split('\n').length).toBeLessThan(60);
    expect(text.stdout).toMatch(/and 9980 more/);
  });

  it('writes no report when the input cannot be read', async () => {
    const dir = tmpFiles();
    const run = await runCli(['validate', join(dir, 'missing.csv'), '--report', join(dir, 'r.csv')]);
    expect(run.exitCode).toBe(2);
    expect(existsSync(join(dir, 'r.csv'))).toBe(false);
  });
});

describe('validate … | head', () => {
  it('stops quietly when the reader of its output goes away: no EPIPE stack trace', async () => {
    const dir = tmpFiles({ 'bad.csv': ['username,email', ...Array.from({ length: 20_000 }, (_, i) => `u${i},not-an-email`)].join('\n') + '\n' });
    const child = spawn(process.execPath, [BIN, 'validate', join(dir, 'bad.csv'), '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // The first chunk read, the reader leaves (what `| head -c 100` does).
    await once(child.stdout, 'data');
    child.stdout.destroy();
    const [code] = (await once(child, 'close')) as [number | null];
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('each subcommand has its own --help: tenant export shows its options, not diff\'s', async () => {
    const run = await runCli(['tenant', 'export', '--help']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('duo-bridge tenant export');
    expect(run.stdout).toContain('--out');
    expect(run.stdout).not.toContain('--include-trash');
  });

  it('--help calls a numeric option a number, however its value is checked', async () => {
    for (const [command, option] of [[['import'], '--batch-size'], [['sync'], '--threshold-count'], [['export'], '--page-size'], [['validate'], '--max-shown'], [['simulator'], '--port']] as const) {
      const help = (await runCli([...command, '--help'])).stdout;
      // The option's entry: its line, and the lines a long description wraps onto.
      const lines = help.split('\n');
      const at = lines.findIndex((l) => l.trimStart().startsWith(option));
      const end = lines.findIndex((l, i) => i > at && /^\s+-/.test(l));
      expect(lines.slice(at, end).join(' ')).toMatch(/\[number\]/);
    }
  });
});
