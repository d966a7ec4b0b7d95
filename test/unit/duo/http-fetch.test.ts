import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { DuoClient } from '../../../src/duo/api/client.js';
import { httpFetch } from '../../../src/duo/api/http-fetch.js';
import { DuoApiError, DuoOutcomeUnknownError } from '../../../src/errors.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A loopback server answering with `answer`; returns its base URL and what it received. */
async function serve(answer: (req: IncomingMessage, res: ServerResponse) => void, tls = false): Promise<{ base: URL; seen: Seen[] }> {
  const seen: Seen[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      answer(req, res);
    });
  };
  const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/tls/${name}`, import.meta.url));
  const server = tls ? createHttpsServer({ cert: fixture('self-signed.crt'), key: fixture('self-signed.key') }, handler) : createHttpServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { base: new URL(`${tls ? 'https' : 'http'}://127.0.0.1:${port}/`), seen };
}

const GET = { method: 'GET', headers: { Date: 'x' }, redirect: 'manual' } as const;

describe('httpFetch', () => {
  it('sends the method, path, query and headers, and answers status, headers and body', async () => {
    const { base, seen } = await serve((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json', Date: 'Sat, 28 Nov 2026 12:00:00 GMT' }).end('{"stat":"OK"}'));
    const response = await httpFetch(new URL('/admin/v1/users?limit=1', base), { ...GET, headers: { Date: 'd', Authorization: 'Basic x' } });
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.headers.get('date')).toBe('Sat, 28 Nov 2026 12:00:00 GMT');
    expect(await response.text()).toBe('{"stat":"OK"}');
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/admin/v1/users?limit=1', body: '' });
    expect(seen[0]!.headers).toMatchObject({ date: 'd', authorization: 'Basic x', host: base.host });
  });

  it('sends a body with its byte length, never chunked', async () => {
    const { base, seen } = await serve((_req, res) => res.end('{}'));
    await httpFetch(new URL('/p', base), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"realname":"Zoë"}', redirect: 'manual' });
    expect(seen[0]!.body).toBe('{"realname":"Zoë"}');
    expect(seen[0]!.headers['content-length']).toBe(String(Buffer.byteLength('{"realname":"Zoë"}')));
    expect(seen[0]!.headers['transfer-encoding']).toBeUndefined();
  });

  it('answers a redirect as it is, without following it', async () => {
    const { base, seen } = await serve((_req, res) => res.writeHead(302, { Location: '/elsewhere' }).end('moved'));
    const response = await httpFetch(new URL('/p', base), GET);
    expect(response.status).toBe(302);
    expect(seen).toHaveLength(1);
  });

  it('answers 204 with an empty body', async () => {
    const { base } = await serve((_req, res) => res.writeHead(204).end());
    expect(await (await httpFetch(new URL('/p', base), GET)).text()).toBe('');
  });

  it('throws as fetch does: a TypeError whose cause carries the socket error code', async () => {
    const { base } = await serve(() => undefined);
    const port = base.port;
    servers[0]!.close();
    const error = await httpFetch(new URL(`http://127.0.0.1:${port}/p`), GET).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ cause: { code: 'ECONNREFUSED' } });
  });

  it('an answer cut short is a failure, not a short body', async () => {
    const { base } = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' }).write('{"stat":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await expect(httpFetch(new URL('/p', base), GET)).rejects.toMatchObject({ cause: { code: 'ECONNRESET' } });
  });

  it('rejects with the signal\'s reason when it aborts, and leaves the server no open request', async () => {
    const { base } = await serve(() => undefined);
    const error = await httpFetch(new URL('/p', base), { ...GET, signal: AbortSignal.timeout(50) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TimeoutError' });
  });

  it('verifies TLS: a self-signed certificate is refused', async () => {
    const { base, seen } = await serve((_req, res) => res.end('{}'), true);
    const error = await httpFetch(new URL('/p', base), GET).catch((e: unknown) => e);
    expect(error).toMatchObject({ cause: { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' } });
    expect(seen).toHaveLength(0);
  });
});

describe('DuoClient over httpFetch', () => {
  const client = (base: URL, timeoutMs = 5000): DuoClient => new DuoClient({ credentials: { baseUrl: base, ikey: 'DIKEY', skey: 'secret' }, ratePerMinute: 100_000, timeoutMs });

  it('is the default transport: a call reaches the server and its answer is parsed', async () => {
    const { base, seen } = await serve((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"stat":"OK","response":[1]}'));
    await expect(client(base).get('/admin/v1/users', { limit: '1' })).resolves.toEqual({ response: [1] });
    expect(seen[0]!.headers.authorization).toMatch(/^Basic /);
  });

  it('an untrusted certificate is "cannot reach Duo" (exit 3), naming the TLS code', async () => {
    const { base } = await serve((_req, res) => res.end('{}'), true);
    const failure = client(base).post('/admin/v1/users', {});
    await expect(failure).rejects.toBeInstanceOf(DuoApiError);
    await expect(failure).rejects.toThrow(`cannot reach Duo at ${base.host} (DEPTH_ZERO_SELF_SIGNED_CERT)`);
  });

  it('a write left unanswered past the timeout has an unknown outcome', async () => {
    const { base } = await serve(() => undefined);
    const failure = client(base, 1000).post('/admin/v1/users', {});
    await expect(failure).rejects.toBeInstanceOf(DuoOutcomeUnknownError);
    await expect(failure).rejects.toThrow('POST /admin/v1/users: no answer within 1 s');
  });
});
