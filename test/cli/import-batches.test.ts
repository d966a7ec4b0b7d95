import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';
import { usersCsv } from '../helpers/users-csv.js';

describe('duo-bridge import --out-dir (offline batches)', () => {
  it('writes batches of at most --batch-size users, in file order, keys without a value left out', async () => {
    const dir = tmpFiles({ 'users.csv': usersCsv(250) });
    const run = await runCli(['import', join(dir, 'users.csv'), '--out-dir', join(dir, 'batches'), '--batch-size', '100']);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe(`wrote 250 users in 3 batch files to ${join(dir, 'batches')}\n`);
    expect(readdirSync(join(dir, 'batches'))).toEqual(['batch-0001.json', 'batch-0002.json', 'batch-0003.json']);
    const first = JSON.parse(readFileSync(join(dir, 'batches', 'batch-0001.json'), 'utf8'));
    expect(first.users).toHaveLength(100);
    expect(first.users[0]).toEqual({ username: 'u00001', realname: 'User 1', email: 'u00001@example.com', aliases: { alias1: 'u00001@example.com' } });
    expect(Object.keys(first.users[2])).toEqual(['username', 'realname', 'email', 'aliases']);
    expect(first.users[2].aliases).toEqual({ alias1: 'u00003@example.com', alias2: 'u00003.alt@example.org' });
    expect(JSON.parse(readFileSync(join(dir, 'batches', 'batch-0003.json'), 'utf8')).users).toHaveLength(50);
  });

  it('is deterministic: the same input gives the same bytes', async () => {
    const dir = tmpFiles({ 'users.csv': 'username,realname,firstname,lastname,email,alias2,status,notes\nJFoo,Jane Foo,Jane,Foo,jfoo@example.com,jane@example.com,Disabled,"left, 2026"\n' });
    await runCli(['import', join(dir, 'users.csv'), '--out-dir', join(dir, 'a')]);
    await runCli(['import', join(dir, 'users.csv'), '--out-dir', join(dir, 'b')]);
    const a = readFileSync(join(dir, 'a', 'batch-0001.json'));
    expect(a.equals(readFileSync(join(dir, 'b', 'batch-0001.json')))).toBe(true);
    expect(a.toString()).toBe(`${JSON.stringify({ users: [{ username: 'JFoo', realname: 'Jane Foo', firstname: 'Jane', lastname: 'Foo', email: 'jfoo@example.com', status: 'disabled', notes: 'left, 2026', aliases: { alias2: 'jane@example.com' } }] }, null, 2)}\n`);
  });

  it('refuses a file with errors, and skips them with --skip-invalid', async () => {
    const dir = tmpFiles({ 'users.csv': 'username,email\na,a@example.com\n,x@example.com\nb,bad-email\nc,\n' });
    const refused = await runCli(['import', join(dir, 'users.csv'), '--out-dir', join(dir, 'out')]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/has 2 errors; nothing was imported/);
    const skipped = await runCli(['import', join(dir, 'users.csv'), '--out-dir', join(dir, 'out'), '--skip-invalid']);
    expect(skipped.exitCode).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, 'out', 'batch-0001.json'), 'utf8')).users.map((u: any) => u.username)).toEqual(['a', 'c']);
    expect(readFileSync(join(dir, 'users.rejected.csv'), 'utf8')).toMatch(/^\ufeffline,username,.*,reason\r\n3,,.*BLANK_USERNAME.*\r\n4,b,.*INVALID_EMAIL/s);
  });

  it('refuses a damaged file even with --skip-invalid', async () => {
    const dir = tmpFiles({ 'users.csv': 'username,notes\na,"open\n' });
    const run = await runCli(['import', join(dir, 'users.csv'), '--out-dir', join(dir, 'out'), '--skip-invalid']);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/fix the file first/);
  });

  it('usage errors: neither or both modes, a batch size over 100, a directory that already holds batches, no credentials', async () => {
    const dir = tmpFiles({ 'users.csv': usersCsv(2), 'old/batch-0001.json': '{}' });
    const cases: [string[], RegExp][] = [
      [[], /one of --out-dir DIR .*, --duo-csv FILE .* or --apply/],
      [['--out-dir', join(dir, 'x'), '--apply', '--yes'], /give one of --out-dir/],
      [['--out-dir', join(dir, 'x'), '--batch-size', '101'], /--batch-size must be a whole number from 1 to 100/],
      [['--out-dir', join(dir, 'old')], /already holds 1 batch files/],
      [['--apply', '--yes'], /no Duo host: set DUO_HOST/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['import', join(dir, 'users.csv'), ...args]);
      expect([run.exitCode, run.stderr]).toEqual([2, expect.stringMatching(message)]);
    }
    const http = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes'], { env: { DUO_HOST: 'http://api-x.duosecurity.com', DUO_IKEY: 'DI', DUO_SKEY: 'x' } });
    expect([http.exitCode, http.stderr]).toEqual([2, expect.stringMatching(/plain http:\/\/ is allowed for loopback addresses only/)]);
  });
});

describe('duo-bridge import --out-dir: unusable output', () => {
  it('a file where the directory should be → exit 2, one line', async () => {
    const dir = tmpFiles({ 'users.csv': usersCsv(1), 'taken': 'x' });
    const run = await runCli(['import', join(dir, 'users.csv'), '--out-dir', join(dir, 'taken')]);
    expect([run.exitCode, run.stderr]).toEqual([2, `duo-bridge: ${join(dir, 'taken')}: a file is in the way (a directory was expected)\n`]);
  });
});
