import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { validTeamsCard } from '../helpers/adaptive-card.js';
import { fakeDuoPerTest } from '../helpers/fake-duo-per-test.js';
import { runCli } from '../helpers/run-cli.js';
import { labUsers, VPN, writeLdif } from '../helpers/sync-ldif.js';
import { tmpFiles } from '../helpers/tmp-files.js';

/**
 * Issue 29's webhooks against a loopback HTTPS sink with its own CA (openssl): the three formats a
 * held sync posts, each as its target takes it; the URL (a secret) nowhere in what is printed or kept.
 */
const fake = fakeDuoPerTest();
const FAST = ['--rate', '100000', '--timeout', '5'];
let server: Server;
let base: string;
let certs: string;
const received: { path: string; type: string; body: any }[] = [];

beforeAll(async () => {
  // Not tmpFiles: that folder goes after each test, and the server and every test use these.
  certs = mkdtempSync(join(tmpdir(), 'duo-bridge-webhook-certs-'));
  const openssl = (args: string[]): void => void execFileSync('openssl', args, { cwd: certs, stdio: 'ignore' });
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=duo-bridge webhook test CA', '-keyout', 'ca.key', '-out', 'ca.pem']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
  writeFileSync(join(certs, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'san.ext', '-out', 'server.pem']);
  server = createServer({ key: readFileSync(join(certs, 'server.key')), cert: readFileSync(join(certs, 'server.pem')) }, (req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => {
      received.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', body: JSON.parse(text) });
      // Teams Workflows answers 202 Accepted; Slack 200 "ok".
      res.writeHead(req.url?.includes('workflows') ? 202 : 200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(certs, { recursive: true, force: true });
});

describe('webhooks over HTTPS (issue 29)', () => {
  it.each([
    ['teams', '/workflows/abc/triggers/manual/paths/invoke?sig=S3CRET-teams'],
    ['slack', '/services/T000/B000/S3CRET-slack'],
    ['json', '/hooks/S3CRET-json'],
  ] as const)('a held sync posts one %s message that its target takes', async (format, path) => {
    received.length = 0;
    const dir = tmpFiles({ 'hooks.txt': `${base}${path}\n` });
    const args = ['sync', '--from-ldif', join(dir, 'ad.ldif'), '--state', join(dir, 's.json'), '--duo-group', VPN, ...FAST,
      '--notify-webhook-file', join(dir, 'hooks.txt'), '--webhook-format', format, '--webhook-ca', join(certs, 'ca.pem'), '--apply', '--yes'];
    const ad = labUsers(60);
    writeLdif(join(dir, 'ad.ldif'), ad);
    const first = await runCli(args, { env: fake.duo.env() });
    expect(first.stderr).not.toMatch(/duo-bridge: /);
    expect(first.exitCode).toBe(0);
    for (const u of ad.slice(0, 11)) u.disabled = true;
    writeLdif(join(dir, 'ad.ldif'), ad);
    const held = await runCli(args, { env: fake.duo.env() });
    expect(held.exitCode).toBe(4);
    expect(held.stderr).toMatch(/notified: alert \(held\) on 1 of 1 channels/);
    expect(received).toHaveLength(1);
    const { body, type } = received[0]!;
    expect(type).toBe('application/json; charset=utf-8');
    if (format === 'teams') {
      expect(validTeamsCard(body)).toEqual([]);
      const texts = body.attachments[0].content.body.map((b: any) => b.text ?? '').join('\n');
      expect(texts).toMatch(/held: 11 destructive actions wait for approval/);
      expect(body.attachments[0].content.body.find((b: any) => b.fontType === 'Monospace').text).toMatch(/ --apply --approve [0-9a-f]{12} --yes$/);
    } else if (format === 'slack') {
      expect(body.text).toMatch(/held: 11 destructive actions wait for approval/);
      expect(body.blocks.map((b: any) => b.text?.text ?? '').join('\n')).toMatch(/```.* --apply --approve [0-9a-f]{12} --yes```/);
    } else {
      expect(body.notification).toMatchObject({ event: 'alert', health: 'held' });
      expect(body.status).toMatchObject({ health: 'held', exit: 4, hold: { count: 11 } });
      expect(body.run).toMatchObject({ exit: 4, held: 11 });
    }
    expect(held.stdout + held.stderr + readFileSync(join(dir, 's.health.json'), 'utf8')).not.toContain('S3CRET');
    expect(JSON.stringify(body)).not.toContain('S3CRET');
  }, 60_000);

  it('a certificate not from --webhook-ca: one warning naming the line and the host, never the URL; the exit code stands', async () => {
    received.length = 0;
    const dir = tmpFiles({ 'hooks.txt': `# ops channel\n${base}/hooks/S3CRET-x\n` });
    writeLdif(join(dir, 'ad.ldif'), labUsers(3));
    fake.duo.seed({ username: 'user001' });
    const run = await runCli(['sync', '--from-ldif', join(dir, 'ad.ldif'), '--state', join(dir, 's.json'), ...FAST, '--notify-webhook-file', join(dir, 'hooks.txt'), '--apply', '--yes'], { env: fake.duo.env() });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^warning: the webhook on line 2 of .*hooks\.txt \(127\.0\.0\.1:\d+\) was not called: .*(self.signed|certificate)/im);
    expect(run.stderr).not.toContain('S3CRET');
    expect(received).toHaveLength(0);
  }, 60_000);
});
