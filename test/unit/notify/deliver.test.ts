import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { deliver } from '../../../src/notify/deliver.js';
import type { Notification } from '../../../src/notify/notification.js';
import type { NotifySettings } from '../../../src/notify/notify-settings.js';

const MESSAGE: Notification = { subject: 's', tone: 'bad', summary: 'x', sections: [], commands: [], facts: [], json: {} };
const PASSWORD = 'S3cr3t-P@ss:w/rd%20"x';
const servers: (Server | HttpServer)[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

/** A mail server that refuses every login and echoes back what it was sent, as some do. */
async function echoingSmtp(): Promise<number> {
  const server = createServer((socket) => {
    socket.write('220 echo ESMTP\r\n');
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      let at: number;
      while ((at = buffer.indexOf('\r\n')) !== -1) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        if (/^EHLO/i.test(line)) socket.write('250-echo\r\n250 AUTH PLAIN LOGIN\r\n');
        else if (/^AUTH/i.test(line)) socket.write(`535 5.7.8 rejected: ${line}\r\n`);
        else if (/^QUIT/i.test(line)) socket.end('221 bye\r\n');
        else socket.write(`500 what is ${line}\r\n`);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function smtp(port: number): NotifySettings {
  return { webhooks: null, email: { host: '127.0.0.1', port, implicitTls: false, requireTls: false, ignoreTls: true, ca: undefined, user: 'notifier', password: PASSWORD, from: 'a@b.example', to: ['c@d.example'] } };
}

describe('delivery never says a secret and never hangs', () => {
  it('a refused login is named by its code only: the server\'s echo of AUTH (the password in base64) is not repeated', async () => {
    const port = await echoingSmtp();
    const result = await deliver(smtp(port), MESSAGE);
    expect(result).toMatchObject({ delivered: 0, attempted: 1 });
    expect(result.warnings).toEqual([expect.stringMatching(/the server refused the login of notifier \(535\): check SMTP_PASSWORD or --smtp-password-file$/)]);
    const said = result.warnings.join('\n');
    for (const form of [PASSWORD, Buffer.from(PASSWORD).toString('base64'), Buffer.from(`\u0000notifier\u0000${PASSWORD}`).toString('base64')]) expect(said).not.toContain(form);
  });

  it('a webhook that trickles its answer is cut off at the deadline; the URL\'s path and query are never in the warning', async () => {
    const server = createHttpServer((req, res) => {
      req.resume();
      res.writeHead(200);
      const timer = setInterval(() => res.write('.'), 50);
      res.on('close', () => clearInterval(timer));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/TOKEN-abc?sig=TOKEN-def`);
    const result = await deliver({ email: null, webhooks: { urls: [{ url, line: 3 }], file: '/etc/hooks.txt', format: 'json', ca: undefined } }, MESSAGE, { deadlineMs: 500 });
    expect(result.warnings).toEqual([expect.stringMatching(/^the webhook on line 3 of \/etc\/hooks\.txt \(127\.0\.0\.1:\d+\) was not called: no complete answer in 0\.5 s$/)]);
    expect(result.warnings.join()).not.toContain('TOKEN');
  });
});
