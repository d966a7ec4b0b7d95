import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DuoSimulator, MAX_BODY_BYTES } from '../../src/simulator/duo-simulator.js';
import { snapshotProblem } from '../../src/duo/tenant/snapshot-schema.js';
import { MAX_NAME_LENGTH } from '../../src/name-rules.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';

// Issue 32, "Hostile inputs, second campaign": each case of the issue, through the CLI or over raw HTTP.

const codes = (stdout: string): string[][] => JSON.parse(stdout).findings.map((f: { code: string; line: number; column: string | null }) => [f.code, f.line, f.column]);

describe('damaged data is never called ready', () => {
  it('invisible and bidi-control characters in names: validate exit 1, import refuses', async () => {
    const dir = tmpFiles({ 'u.csv': 'username,alias1\njsmith,\nj\u200bsmith,\n\u202eevil,\nbad\ufffd,\nx\u2066y\u2069,\na\u2028b,\nsoft\u00adhy,\nclean,al\u00adias\n' });
    const run = await runCli(['validate', join(dir, 'u.csv'), '--format', 'json']);
    expect(run.exitCode).toBe(1);
    expect(codes(run.stdout)).toEqual([3, 4, 5, 6, 7, 8].map((line) => ['INVISIBLE_CHARACTER', line, 'username']).concat([['INVISIBLE_CHARACTER', 9, 'alias1']]));
    const imported = await runCli(['import', join(dir, 'u.csv'), '--out-dir', join(dir, 'batches')]);
    expect(imported.exitCode).toBe(1);
    expect(existsSync(join(dir, 'batches', 'batch-0001.json'))).toBe(false);
  });

  it('Cyrillic usеr1 and full-width ｕｓｅｒ１ beside user1: a warning naming both', async () => {
    const dir = tmpFiles({ 'u.csv': 'username\nuser1\nus\u0435r1\n\uff55\uff53\uff45\uff52\uff11\n' });
    const run = await runCli(['validate', join(dir, 'u.csv'), '--format', 'json']);
    const findings = JSON.parse(run.stdout).findings;
    expect(findings.map((f: { code: string; related_lines: number[] }) => [f.code, f.related_lines])).toEqual([['CONFUSABLE_NAME', [3, 4]], ['CONFUSABLE_NAME', [2, 4]], ['CONFUSABLE_NAME', [2, 3]]]);
    expect(findings[1].message).toContain('"user1"');
  });

  it('a 5,000-character username: refused by validate and import, and a snapshot holding one is refused by the same limit', async () => {
    const dir = tmpFiles({ 'u.csv': `username\n${'a'.repeat(5000)}\n` });
    const run = await runCli(['validate', join(dir, 'u.csv'), '--format', 'json']);
    expect([run.exitCode, codes(run.stdout)]).toEqual([1, [['VALUE_TOO_LONG', 2, 'username']]]);
    expect((await runCli(['import', join(dir, 'u.csv'), '--out-dir', join(dir, 'b')])).exitCode).toBe(1);
    const user = (username: string) => ({ users: [{ user_id: 'DU1', username }] });
    expect(snapshotProblem(user('a'.repeat(MAX_NAME_LENGTH)))).toBeNull();
    expect(snapshotProblem(user('a'.repeat(MAX_NAME_LENGTH + 1)))).toMatch(/users\.0\.username must NOT have more than 100 characters/);
  });

  it('userAccountControl 514x or 99999999999999999999999: exported with a status validate refuses, never as active', async () => {
    const entry = (name: string, uac: string) => `dn: CN=${name},DC=corp,DC=example\nobjectClass: user\nsAMAccountName: ${name}\nuserAccountControl: ${uac}\n`;
    const dir = tmpFiles({ 'd.ldif': [entry('a', '514x'), entry('b', '99999999999999999999999'), entry('c', '512')].join('\n') });
    const run = await runCli(['export', '--from-ldif', join(dir, 'd.ldif'), '--out', join(dir, 'u.csv')]);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain('2 users have a userAccountControl that is not a 32-bit integer (CN=a,DC=corp,DC=example; CN=b,DC=corp,DC=example)');
    const validate = await runCli(['validate', join(dir, 'u.csv'), '--format', 'json']);
    expect([validate.exitCode, codes(validate.stdout)]).toEqual([1, [['INVALID_STATUS', 2, 'status'], ['INVALID_STATUS', 3, 'status']]]);
  });

  it('an export that exports nobody (exit 1) writes no file, and leaves an earlier one as it was', async () => {
    const dir = tmpFiles({ 'd.ldif': 'dn: CN=c,DC=corp,DC=example\nobjectClass: user\nsAMAccountName: c\nuserAccountControl: 514\n' });
    const run = await runCli(['export', '--from-ldif', join(dir, 'd.ldif'), '--out', join(dir, 'u.csv')]);
    expect([run.exitCode, run.stderr]).toEqual([1, expect.stringContaining('was not written')]);
    expect(existsSync(join(dir, 'u.csv'))).toBe(false);
    writeFileSync(join(dir, 'old.csv'), 'username\nkept\n');
    expect((await runCli(['export', '--from-ldif', join(dir, 'd.ldif'), '--out', join(dir, 'old.csv')])).exitCode).toBe(1);
    expect(readFileSync(join(dir, 'old.csv'), 'utf8')).toBe('username\nkept\n');
  });
});

describe('the Duo CSV round trip', () => {
  it('a quoted notes cell with a bare LF stays one row: import --duo-csv quotes it, and reading it back gives the same rows', async () => {
    const dir = tmpFiles({ 'u.csv': 'username,email,notes,phone1\njdoe,jdoe@corp.example,"first line\nsecond line",+12025550123\nbob,bob@corp.example,"a\r\nb",\n' });
    const run = await runCli(['import', join(dir, 'u.csv'), '--duo-csv', join(dir, 'duo.csv')]);
    expect(run.exitCode).toBe(0);
    expect(readFileSync(join(dir, 'duo.csv'), 'utf8')).toBe(
      'username,realname,email,notes,phone1,platform1\r\njdoe,,jdoe@corp.example,"first line\nsecond line",+12025550123,\r\nbob,,bob@corp.example,"a\nb",,\r\n');
    const again = await runCli(['import', join(dir, 'duo.csv'), '--duo-csv', join(dir, 'duo2.csv')]);
    expect(again.exitCode).toBe(0);
    expect(readFileSync(join(dir, 'duo2.csv'), 'utf8')).toBe(readFileSync(join(dir, 'duo.csv'), 'utf8'));
  });
});

/** Sends raw bytes to the server; resolves with the status line answered ('' if none) once the connection closes. */
function raw(url: string, text: string, options: { abortAfterMs?: number; keepOpen?: boolean } = {}): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(text);
      if (options.abortAfterMs !== undefined) setTimeout(() => socket.destroy(), options.abortAfterMs);
      else if (!options.keepOpen) socket.end();
    });
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      // An answer may come before the request is sent whole: take its status line and go.
      if (options.keepOpen && answer.includes('\r\n')) socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
  });
}

describe('the simulator survives one hostile request', () => {
  const signedHeaders = (sim: DuoSimulator): string => `Authorization: Basic ${Buffer.from(`${sim.ikey}:0`).toString('base64')}\r\nDate: ${new Date().toUTCString()}\r\n`;

  it('malformed request targets are answered 400; a client leaving mid-body ends only its request; it still answers after', async () => {
    const sim = await new DuoSimulator().start();
    try {
      for (const target of ['//[', '//a:99999999/x', 'http://[::1/']) {
        expect([target, await raw(sim.url, `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`)]).toEqual([target, 'HTTP/1.1 400 Bad Request']);
      }
      expect(await raw(sim.url, `POST /admin/v1/users HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n${signedHeaders(sim)}\r\nusername=`, { abortAfterMs: 50 })).toBe('');
      expect(await raw(sim.url, 'GET /admin/v1/users HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('HTTP/1.1 401 Unauthorized');
    } finally {
      await sim.stop();
    }
  });

  it('credentials are checked on the headers before the body is read; a body over the cap is refused unread (413)', async () => {
    const sim = await new DuoSimulator().start();
    try {
      const huge = `Content-Length: ${300 * 1024 * 1024}\r\n`;
      expect(await raw(sim.url, `POST /admin/v1/users HTTP/1.1\r\nHost: x\r\n${huge}\r\nabc`, { keepOpen: true })).toBe('HTTP/1.1 401 Unauthorized');
      expect(await raw(sim.url, `POST /admin/v1/users HTTP/1.1\r\nHost: x\r\n${huge}${signedHeaders(sim)}\r\nabc`, { keepOpen: true })).toBe('HTTP/1.1 413 Payload Too Large');
      const chunked = `POST /admin/v1/users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n${signedHeaders(sim)}\r\n`;
      const block = 1024 * 1024;
      const body = Array.from({ length: MAX_BODY_BYTES / block + 1 }, () => `${block.toString(16)}\r\n${'a'.repeat(block)}\r\n`).join('');
      expect(await raw(sim.url, chunked + body, { keepOpen: true })).toBe('HTTP/1.1 413 Payload Too Large');
    } finally {
      await sim.stop();
    }
  });
});
