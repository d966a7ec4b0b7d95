import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { BIN, REPO } from '../helpers/run-cli.js';
import { rezip } from '../helpers/rezip.js';
import { tmpFiles } from '../helpers/tmp-files.js';

// Issue 20 (hostile and broken inputs), the items this round covers: each builds its input and
// asserts the exit code, one line on stderr, and a memory bound (the child's peak RSS, read as it
// exits). The timeout only detects a hang; no assertion depends on the machine's speed.

const PRELOAD = fileURLToPath(new URL('./peak-rss.mjs', import.meta.url));
const HANG = 60_000;

interface HostileRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Peak resident memory, MiB. */
  readonly rssMiB: number;
}

function run(args: readonly string[], dir: string): Promise<HostileRun> {
  const rssFile = join(dir, `rss-${Math.random().toString(36).slice(2)}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', PRELOAD, BIN, ...args], {
      cwd: REPO, env: { PATH: process.env.PATH, DUO_BRIDGE_RSS_FILE: rssFile }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // A hang detector only: no assertion depends on how long a run takes, only on whether it ends.
    let hung = false;
    const hang = setTimeout(() => ((hung = true), child.kill('SIGKILL')), HANG);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(hang);
      if (hung) return reject(new Error(`duo-bridge ${args.join(' ')}: no answer within ${HANG / 1000} s (a hang)`));
      let rssMiB = Number.NaN;
      try {
        rssMiB = Number(readFileSync(rssFile, 'utf8')) / 1024;
      } catch {
        // killed: no exit hook ran
      }
      resolve({ exitCode, stdout, stderr, rssMiB });
    });
  });
}

/** One clear line: no stack trace, no "internal error". */
function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/internal error|\n\s+at /);
  return lines[0]!;
}

const mkfifo = (path: string): void => void execFileSync('mkfifo', [path]);

describe('hostile inputs', () => {
  it('4. an LDIF line far too long is refused in linear time, and /dev/zero at once', async () => {
    const dir = tmpFiles();
    const path = join(dir, 'long.ldif');
    // 40 MiB without a newline after the first record.
    const fd = openSync(path, 'w');
    writeFileSync(fd, 'dn: CN=a,DC=x\nsAMAccountName: a\n\ndn: CN=b,DC=x\ndescription: ');
    const block = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 40; i++) writeFileSync(fd, block);
    closeSync(fd);
    const long = await run(['export', '--from-ldif', path, '--out', join(dir, 'out.csv')], dir);
    expect(long.exitCode).toBe(1);
    expect(oneLine(long.stderr)).toBe(`duo-bridge: ${path}:5: a line (or folded value) longer than 16 MiB: not an LDIF dump of users`);
    expect(long.rssMiB).toBeLessThan(250);
    const zero = await run(['export', '--from-ldif', '/dev/zero', '--out', join(dir, 'out.csv')], dir);
    expect([zero.exitCode, oneLine(zero.stderr)]).toEqual([2, 'duo-bridge: /dev/zero: is a device, not a regular file: give the input as a file']);
  }, HANG * 2);

  it('5. a named pipe as any input is refused at once (exit 2), never waited on', async () => {
    const dir = tmpFiles({ 'users.csv': 'username\nann\n' });
    const fifo = join(dir, 'pipe');
    mkfifo(fifo);
    const expected = (what: string) => `duo-bridge: ${fifo}: is a named pipe, not a regular file: give the ${what} as a file\n`;
    for (const [args, what] of [
      [['validate', fifo], 'input'],
      [['export', '--from-ldif', fifo, '--out', join(dir, 'o.csv')], 'input'],
      [['plan', join(dir, 'users.csv'), '--tenant', fifo], 'tenant snapshot'],
      [['tenant', 'diff', fifo, fifo], 'tenant snapshot'],
      [['simulator', '--tenant', fifo], 'tenant snapshot'],
    ] as const) {
      const result = await run(args, dir);
      expect([args[0], result.exitCode, result.stderr]).toEqual([args[0], 2, expected(what)]);
    }
    const xlsx = join(dir, 'pipe.xlsx');
    mkfifo(xlsx);
    const workbook = await run(['validate', xlsx], dir);
    expect([workbook.exitCode, workbook.stderr]).toEqual([2, `duo-bridge: ${xlsx}: is a named pipe, not a regular file: give the workbook as a file\n`]);
  }, HANG * 2);

  it('6. 32,000 rows sharing one username: linear, every row flagged, related lines capped with a count', async () => {
    const dir = tmpFiles({ 'same.csv': 'username\n' + 'jdoe\n'.repeat(32_000) });
    const result = await run(['validate', join(dir, 'same.csv'), '--format', 'json'], dir);
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.errors).toBe(32_000);
    expect(report.findings[31_999]).toMatchObject({ line: 32_001, code: 'DUPLICATE_USERNAME', related_lines: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21] });
    expect(report.findings[31_999].message).toBe('username "jdoe" is also the username on lines 2, 3, 4, 5, 6 and 31,994 more');
    expect(result.rssMiB).toBeLessThan(300);
  }, HANG);

  it('7. plan against a snapshot where 20,000 users share one email and one phone', async () => {
    const users = Array.from({ length: 20_000 }, (_, i) => ({
      user_id: `DU${String(i + 1).padStart(18, '0')}`, username: `user${i}`, email: 'shared@example.com',
      phones: [{ phone_id: 'DP000000000000000001', number: '+15550100000', extension: '' }], groups: [],
    }));
    const dir = tmpFiles({
      'tenant.json': JSON.stringify({ host: 'x', exported_at: '2026-01-01T00:00:00Z', users, groups: [] }),
      'users.csv': 'username,email,phone1\nnewbie,shared@example.com,+15550100000\nuser5,shared@example.com,\n',
    });
    const result = await run(['plan', join(dir, 'users.csv'), '--tenant', join(dir, 'tenant.json'), '--format', 'json'], dir);
    expect(result.exitCode).toBe(1);
    const rows = JSON.parse(result.stdout).rows;
    expect(rows[0].reason).toMatch(/the row matches several Duo users: .* \(20,000 Duo users have that email\)/);
    expect(result.rssMiB).toBeLessThan(400);
  }, HANG);

  it('8. a workbook with a byte flipped in its compressed data: exit 0 or 1, never a silent exit 13 (25 seeded flips)', async () => {
    const dir = tmpFiles();
    const book = join(dir, 'users.xlsx');
    expect((await run(['export', '--from-ldif', join(REPO, 'samples/directory.ldif'), '--out', book], dir)).exitCode).toBe(0);
    const bytes = readFileSync(book);
    let seed = 1;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const outcomes: (number | null)[] = [];
    for (let flip = 0; flip < 25; flip++) {
      const damaged = Buffer.from(bytes);
      damaged[200 + Math.floor(random() * (damaged.length - 400))]! ^= 0xff;
      writeFileSync(join(dir, 'flipped.xlsx'), damaged);
      const result = await run(['validate', join(dir, 'flipped.xlsx')], dir);
      outcomes.push(result.exitCode);
      expect(result.stderr === '' || result.stderr.split('\n').length === 2).toBe(true);
      if (result.exitCode === 1 && result.stdout.includes('not a readable .xlsx workbook')) expect(result.stdout).toMatch(/flipped\.xlsx:1 not a readable \.xlsx workbook/);
    }
    expect(outcomes.every((code) => code === 0 || code === 1)).toBe(true);
    // 25 runs in a row, each with its own hang guard (run()): the whole needs room on a busy machine.
  }, HANG * 5);

  describe('workbooks', () => {
    const exported = async (dir: string): Promise<string> => {
      const book = join(dir, 'users.xlsx');
      expect((await run(['export', '--from-ldif', join(REPO, 'samples/directory.ldif'), '--out', book], dir)).exitCode).toBe(0);
      return book;
    };
    /** `count` copies of `unit`, streamed (never held whole). */
    const repeated = (head: string, unit: string, count: number, tail: string): Readable =>
      Readable.from((function* () {
        yield head;
        const block = unit.repeat(1000);
        for (let i = 0; i < count / 1000; i++) yield block;
        yield tail;
      })());

    it('1. shared strings that inflate past their budget (a zip bomb) are refused before they are read', async () => {
      const dir = tmpFiles();
      const book = await exported(dir);
      const bomb = join(dir, 'bomb.xlsx');
      // 140,000 strings of 1 kB: 137 MiB inflated from well under 1 MiB.
      const unit = `<si><t>${'x'.repeat(1000)}</t></si>`;
      // The export writes inline strings: the bomb is a shared-strings part added to it.
      await rezip(book, bomb, () => undefined, {
        'xl/sharedStrings.xml': repeated('<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">', unit, 140_000, '</sst>'),
      });
      const result = await run(['validate', bomb, '--format', 'json'], dir);
      expect(result.exitCode).toBe(1);
      expect(JSON.parse(result.stdout).findings[0].message).toMatch(/^not a readable \.xlsx workbook: part xl\/sharedStrings\.xml inflates to 13\d MiB, more than the 128 MiB read here$/);
      expect(result.rssMiB).toBeLessThan(200);
    }, HANG);

    /** The exported workbook with its sheet replaced by a header and `rows` generated rows (streamed into the zip). */
    async function sheetOf(dir: string, name: string, rows: number, row: (i: number) => string): Promise<string> {
      const book = await exported(dir);
      const path = join(dir, name);
      const xml = Readable.from((function* () {
        yield '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' +
          '<row r="1"><c r="A1" t="inlineStr"><is><t>username</t></is></c></row>';
        for (let r = 2; r <= rows + 1; r += 1000) {
          let block = '';
          for (let i = r; i < Math.min(r + 1000, rows + 2); i++) block += row(i);
          yield block;
        }
        yield '</sheetData></worksheet>';
      })());
      await rezip(book, path, (part) => (part === 'xl/worksheets/sheet1.xml' ? xml : undefined));
      return path;
    }

    // exceljs walks a row's cell array index by index (16,384 steps for a cell in XFD): src/csv/excel-module.ts replaces those walks.
    it('2. 100,000 rows each with one cell in column XFD: bounded time and memory; a row is as wide as what it holds (FIELD_COUNT names the true width)', async () => {
      const dir = tmpFiles();
      const wide = await sheetOf(dir, 'wide.xlsx', 100_000, (i) => `<row r="${i}"><c r="A${i}" t="inlineStr"><is><t>u${i}</t></is></c><c r="XFD${i}" t="inlineStr"><is><t>x</t></is></c></row>`);
      const result = await run(['validate', wide, '--format', 'json'], dir);
      expect(result.exitCode).toBe(1);
      const report = JSON.parse(result.stdout);
      expect(report.rows).toBe(100_000);
      expect(report.findings[0]).toMatchObject({ code: 'FIELD_COUNT', line: 2, message: 'the record has 16384 fields but the header has 1' });
      expect(result.rssMiB).toBeLessThan(400);
      const imported = await run(['import', wide, '--out-dir', join(dir, 'batches')], dir);
      expect(imported.exitCode).toBe(1);
      expect(imported.rssMiB).toBeLessThan(400);
    }, HANG * 2);

    it('3. a sheet of 1,048,575 empty rows: read in bounded time and memory, no row invented', async () => {
      const dir = tmpFiles();
      const empty = await sheetOf(dir, 'empty.xlsx', 1_048_575, (i) => `<row r="${i}"><c r="A${i}"/></row>`);
      const result = await run(['validate', empty, '--format', 'json'], dir);
      expect(result.exitCode).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ rows: 0, errors: 0 });
      expect(result.rssMiB).toBeLessThan(400);
    }, HANG * 2);

    it('11. a sheet whose XML is cut in half is damage (exit 1, nothing written), not a shorter list', async () => {
      const dir = tmpFiles();
      const book = await exported(dir);
      const cut = join(dir, 'cut.xlsx');
      await rezip(book, cut, (name, content) => (name === 'xl/worksheets/sheet1.xml' ? content.subarray(0, Math.floor(content.length / 2)) : undefined));
      const result = await run(['validate', cut, '--format', 'json'], dir);
      expect(result.exitCode).toBe(1);
      expect(JSON.parse(result.stdout).findings).toEqual([expect.objectContaining({ code: 'MALFORMED_CSV', message: 'not a readable .xlsx workbook: part xl/worksheets/sheet1.xml ends before its closing </worksheet>: the workbook was cut short' })]);
      const imported = await run(['import', cut, '--out-dir', join(dir, 'batches')], dir);
      expect(imported.exitCode).toBe(1);
      expect(existsSync(join(dir, 'batches'))).toBe(false);
    });

    it('12. a shared-string cell in a workbook without shared strings is a finding on that cell, never "[object Object]"', async () => {
      const dir = tmpFiles();
      const book = await exported(dir);
      const broken = join(dir, 'broken.xlsx');
      const sheet = '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' +
        '<row r="1"><c r="A1" t="inlineStr"><is><t>username</t></is></c></row><row r="2"><c r="A2" t="s"><v>7</v></c></row></sheetData></worksheet>';
      await rezip(book, broken, (name) => (name === 'xl/worksheets/sheet1.xml' ? sheet : name === 'xl/sharedStrings.xml' ? null : undefined));
      const result = await run(['validate', broken, '--format', 'json'], dir);
      expect(result.exitCode).toBe(1);
      expect(result.stdout).not.toMatch(/object Object/);
      expect(JSON.parse(result.stdout).findings).toContainEqual(expect.objectContaining({ code: 'XLSX_UNREADABLE_CELL', line: 2, cell: 'A2' }));
    });

    it('15. a sheet of 600 MiB of white space is refused by its declared size, at flat memory', async () => {
      const dir = tmpFiles();
      const book = await exported(dir);
      const blank = join(dir, 'blank.xlsx');
      await rezip(book, blank, (name) => (name === 'xl/worksheets/sheet1.xml' ? repeated('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>', ' '.repeat(1024), 600 * 1024, '</sheetData></worksheet>') : undefined));
      const result = await run(['validate', blank, '--format', 'json'], dir);
      expect(result.exitCode).toBe(1);
      expect(JSON.parse(result.stdout).findings[0].message).toMatch(/part xl\/worksheets\/sheet1\.xml inflates to 60\d MiB, more than the 512 MiB read here/);
      expect(result.rssMiB).toBeLessThan(200);
    }, HANG * 2);
  });

  it('9. a header of 130,000 empty columns: findings, never a stack overflow', async () => {
    const dir = tmpFiles({ 'wide.csv': 'username' + ','.repeat(130_000) + '\nann\n' });
    const result = await run(['validate', join(dir, 'wide.csv')], dir);
    // Warnings only: the row itself is fine.
    expect([result.exitCode, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toMatch(/warning UNKNOWN_COLUMN \(130000\)/);
    expect(result.rssMiB).toBeLessThan(400);
  }, HANG);

  it.each([
    ['null', 'null', 'the top level must be object'],
    ['phones a string', '{"users":[{"user_id":"DU1","username":"a","phones":"x"}]}', 'users.0.phones must be array'],
    ['groups: [null]', '{"users":[],"groups":[null]}', 'groups.0 must be object'],
    ['host an object', '{"host":{},"users":[]}', 'host must be string'],
    ['a negative Trash period', '{"users":[],"settings":{"pending_deletion_days":-5}}', 'settings.pending_deletion_days must be >= 1'],
    ['a huge Trash period', '{"users":[],"settings":{"pending_deletion_days":1e300}}', 'settings.pending_deletion_days must be <= 3650'],
    ['email: 5', '{"users":[{"user_id":"DU1","username":"a","email":5}]}', 'users.0.email must be string,null'],
    ['last_directory_sync: "x"', '{"users":[{"user_id":"DU1","username":"a","last_directory_sync":"x"}]}', 'users.0.last_directory_sync must be integer,null'],
    ['200,000 groups', JSON.stringify({ users: [{ user_id: 'DU1', username: 'a', groups: Array.from({ length: 200_000 }, (_, i) => ({ group_id: `DG${i}`, name: `g${i}` })) }] }), 'users.0.groups must NOT have more than 100 items'],
    ['a phone number 100,000 arrays deep', `{"users":[{"user_id":"DU1","username":"a","phones":[{"number":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}]}`, 'users.0.phones.0.number must be string'],
  ])('10. a snapshot of the wrong shape (%s) is refused with the path of its first bad value, by every reader', async (_name, text, problem) => {
    const dir = tmpFiles({ 'snap.json': text, 'users.csv': 'username\nann\n' });
    const snap = join(dir, 'snap.json');
    for (const args of [['tenant', 'diff', snap, snap], ['plan', join(dir, 'users.csv'), '--tenant', snap], ['simulator', '--tenant', snap]]) {
      const result = await run(args, dir);
      expect([args[0], result.exitCode, result.stderr]).toEqual([args[0], 2, `duo-bridge: ${snap}: not a tenant snapshot: ${problem}\n`]);
    }
  }, HANG);

  it('10. the simulator refuses a snapshot in which two users hold one name (exit 1), not "internal error"', async () => {
    const dir = tmpFiles({ 'snap.json': '{"users":[{"user_id":"DU000000000000000001","username":"ann"},{"user_id":"DU000000000000000002","username":"ANN"}]}' });
    const result = await run(['simulator', '--tenant', join(dir, 'snap.json')], dir);
    expect(result.exitCode).toBe(1);
    expect(oneLine(result.stderr)).toBe(`duo-bridge: --tenant ${join(dir, 'snap.json')}: not a tenant Duo could hold: 'ann' is already in use`);
  });

  it('13. a NUL byte past the first 8 KiB is a finding on its cell, and nothing is written', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => `user${i},user${i}@example.com`).join('\n');
    const dir = tmpFiles({ 'nul.csv': `username,email\n${rows}\nevil\u0000admin,evil@example.com\n` });
    const result = await run(['validate', join(dir, 'nul.csv'), '--format', 'json'], dir);
    expect(result.exitCode).toBe(1);
    expect(JSON.parse(result.stdout).findings).toEqual([expect.objectContaining({ code: 'CONTROL_CHARACTER', line: 402, column: 'username', message: 'the value holds a control character (U+0000, NUL) at position 5' })]);
    const imported = await run(['import', join(dir, 'nul.csv'), '--out-dir', join(dir, 'batches')], dir);
    expect(imported.exitCode).toBe(1);
  });

  it('13 (and #17\'s names rule). a line break or tab inside a username, alias or email is an error; in notes it is not', async () => {
    const dir = tmpFiles({ 'multi.csv': 'username,alias1,notes\n"Once upon\na time",x,"two\nlines"\nbob,"b\tb",ok\n' });
    const result = await run(['validate', join(dir, 'multi.csv'), '--format', 'json'], dir);
    const codes = JSON.parse(result.stdout).findings.map((f: { code: string; line: number; column: string }) => [f.code, f.line, f.column]);
    expect(codes).toEqual([['CONTROL_CHARACTER', 2, 'username'], ['CONTROL_CHARACTER', 5, 'alias1']]);
  });

  it('14. a lone surrogate in a UTF-16 CSV is INVALID_ENCODING, as the same damage in UTF-8 is', async () => {
    const text = 'username\nann\nb\uD800b\n';
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const dir = tmpFiles();
    writeFileSync(join(dir, 'u16.csv'), utf16);
    const result = await run(['validate', join(dir, 'u16.csv'), '--format', 'json'], dir);
    expect(result.exitCode).toBe(1);
    expect(JSON.parse(result.stdout).findings).toContainEqual(expect.objectContaining({ code: 'INVALID_ENCODING', line: 3 }));
  });

  it('15. a snapshot with a BOM is read; one too large is refused by its size before it is read', async () => {
    const dir = tmpFiles({ 'users.csv': 'username\nann\n' });
    writeFileSync(join(dir, 'bom.json'), '\uFEFF{"users":[],"groups":[]}');
    const bom = await run(['plan', join(dir, 'users.csv'), '--tenant', join(dir, 'bom.json')], dir);
    expect(bom.exitCode).toBe(0);
    expect(bom.stdout).toMatch(/create 1/);
    // Sparse: 1 GiB on paper, nothing on disk.
    execFileSync('truncate', ['-s', '1G', join(dir, 'huge.json')]);
    const huge = await run(['plan', join(dir, 'users.csv'), '--tenant', join(dir, 'huge.json')], dir);
    expect([huge.exitCode, oneLine(huge.stderr)]).toEqual([2, `duo-bridge: ${join(dir, 'huge.json')}: 1024 MiB is larger than a tenant snapshot can be here (400 MiB)`]);
    expect(huge.rssMiB).toBeLessThan(150);
  });
});
