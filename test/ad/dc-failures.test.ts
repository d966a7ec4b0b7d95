import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../helpers/run-cli.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';
import { AD, lab, ldapEnv } from './ad-env.js';

// These tests restart or kill the lab DC; each leaves it running as it found it.
describe('a DC that requires strong auth', () => {
  afterAll(() => {
    lab('stop');
    lab('strong', 'no');
    lab('start');
  });

  it('refuses a plain simple bind with advice, and accepts StartTLS', async () => {
    lab('stop');
    lab('strong', 'yes');
    lab('start');
    const dir = tmpFiles();
    const plain = await runCli(['export', '--url', AD.url, '--insecure-plaintext-bind', '--bind-dn', AD.exportUser, '--base', AD.base, '--out', join(dir, 'x.csv')], { env: ldapEnv() });
    expect(plain.exitCode).toBe(3);
    expect(plain.stderr).toMatch(/^duo-bridge: .*requires a protected connection.*ldaps:\/\/ or --starttls.*\n$/);
    const tls = await runCli(['export', '--url', AD.url, '--starttls', '--ca', AD.ca, '--bind-dn', AD.exportUser, '--base', AD.base,
      '--filter', '(employeeNumber<=3)', '--out', join(dir, 'y.csv')], { env: ldapEnv() });
    expect(tls.exitCode).toBe(0);
  });
});

describe('the DC dies in the middle of an export', () => {
  afterAll(() => lab('start'));

  it('exit 3, one line, no output file and no temp file left', async () => {
    const dir = tmpFiles();
    const child = spawn(process.execPath, [BIN, 'export', '--url', AD.url, '--insecure-plaintext-bind', '--bind-dn', AD.exportUser, '--base', AD.base,
      '--page-size', '5', '--timeout', '10', '--out', join(dir, 'users.csv')], { env: { PATH: process.env.PATH, ...ldapEnv() } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));

    // Kill the DC once rows are flowing into the temp file.
    for (let waited = 0; waited < 20_000; waited += 20) {
      const temp = readdirSync(dir).find((name) => name.includes('.tmp-'));
      if (temp !== undefined && statSync(join(dir, temp)).size > 5000) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    process.kill(Number(readFileSync(join(AD.dir, 'samba.pid'), 'utf8')), 'SIGKILL');

    expect(await exited).toBe(3);
    expect(stderr).toMatch(/^duo-bridge: ldap:\/\/127\.0\.0\.1:389: the connection to the DC was lost during the search after \d+ entries.*\n$/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
