import { describe, expect, it } from '@jest/globals';
import { DuoClient } from '../../../src/duo/api/client.js';
import { duoBaseUrl } from '../../../src/duo/api/duo-host.js';
import { authorizationV5 } from '../../../src/duo/api/sign.js';
import { DuoApiError, DuoOutcomeUnknownError, DuoRequestError, RemoteError, UsageError } from '../../../src/errors.js';

interface Sent {
  url: string;
  init: RequestInit;
  at: number;
}

/** A client with a scripted fetch and a fake clock: sleeping advances the clock. */
function scripted(answers: Array<Response | Error>, rate = 60) {
  const sent: Sent[] = [];
  const clock = { now: Date.UTC(2026, 10, 28, 12, 0, 0) };
  const sleeps: number[] = [];
  const client = new DuoClient({
    credentials: { baseUrl: duoBaseUrl('api-test.duosecurity.com'), ikey: 'DIKEY', skey: 'secret' },
    ratePerMinute: rate,
    timeoutMs: 1000,
    now: () => clock.now,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.now += ms;
    },
    random: () => 0.5,
    fetch: (async (url: URL, init: RequestInit) => {
      sent.push({ url: String(url), init, at: clock.now });
      const answer = answers.shift();
      if (answer === undefined) throw new Error('no more answers scripted');
      if (answer instanceof Error) throw answer;
      return answer;
    }) as typeof fetch,
  });
  return { client, sent, sleeps, clock };
}

const ok = (response: unknown = []): Response => new Response(JSON.stringify({ stat: 'OK', response }), { status: 200 });
const fail = (status: number, code: number, message: string, detail?: string): Response =>
  new Response(JSON.stringify({ stat: 'FAIL', code, message, message_detail: detail }), { status });
const networkError = (code: string): Error => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });

describe('DuoClient', () => {
  it('signs a GET with the query as the params line and sends exactly that query', async () => {
    const { client, sent } = scripted([ok()]);
    await client.get('/admin/v1/users', { username_list: '["a b","c"]' });
    const { url, init } = sent[0]!;
    expect(url).toBe('https://api-test.duosecurity.com/admin/v1/users?username_list=%5B%22a%20b%22%2C%22c%22%5D');
    const headers = init.headers as Record<string, string>;
    expect(headers.Date).toBe('Sat, 28 Nov 2026 12:00:00 -0000');
    expect(headers.Authorization).toBe(authorizationV5({ ikey: 'DIKEY', skey: 'secret', date: headers.Date!, method: 'GET', host: 'api-test.duosecurity.com',
      path: '/admin/v1/users', params: { username_list: '["a b","c"]' } }));
  });

  it('sends POST parameters as a JSON body, signed over those exact bytes', async () => {
    const { client, sent } = scripted([ok({})]);
    await client.post('/admin/v1/users/DU1', { aliases: 'alias1=a%40b' });
    const headers = sent[0]!.init.headers as Record<string, string>;
    expect(sent[0]!.init.body).toBe('{"aliases":"alias1=a%40b"}');
    expect(headers['Content-Type']).toBe('application/json');
    expect(headers.Authorization).toBe(authorizationV5({ ikey: 'DIKEY', skey: 'secret', date: headers.Date!, method: 'POST', host: 'api-test.duosecurity.com',
      path: '/admin/v1/users/DU1', body: '{"aliases":"alias1=a%40b"}' }));
  });

  it('spaces calls evenly at --rate', async () => {
    const { client, sent } = scripted([ok(), ok(), ok(), ok()], 120);
    for (let i = 0; i < 4; i++) await client.get('/admin/v1/users');
    expect(sent.map((s) => s.at - sent[0]!.at)).toEqual([0, 500, 1000, 1500]);
  });

  it('backs off on 429 with a fresh Date and signature each attempt', async () => {
    const tooMany = (): Response => fail(429, 42901, 'Too Many Requests');
    const { client, sent, sleeps } = scripted([tooMany(), tooMany(), tooMany(), ok()], 100_000);
    await client.post('/admin/v1/users', { username: 'a' });
    expect(sleeps.filter((ms) => ms >= 1000)).toEqual([1500, 2500, 4500]);
    const dates = sent.map((s) => (s.init.headers as Record<string, string>).Date);
    expect(new Set(dates).size).toBe(4);
    expect(new Set(sent.map((s) => (s.init.headers as Record<string, string>).Authorization)).size).toBe(4);
    expect(client.stats).toEqual({ calls: 4, writes: 4, rateLimited: 3 });
  });

  it('gives up after the 32 s step: 7 attempts', async () => {
    const { client, sleeps } = scripted(Array.from({ length: 7 }, () => fail(429, 42901, 'Too Many Requests')), 100_000);
    await expect(client.get('/admin/v1/users')).rejects.toBeInstanceOf(RemoteError);
    expect(sleeps.filter((ms) => ms >= 1000).map((ms) => ms - 500)).toEqual([1000, 2000, 4000, 8000, 16000, 32000]);
  });

  it.each<[string, Response, string]>([
    ['bad signature', fail(401, 40103, 'Invalid signature in request credentials'), 'the signature is not valid: check DUO_SKEY'],
    ['bad ikey', fail(401, 40102, 'Invalid integration key'), 'the integration key (DUO_IKEY) is not valid'],
    ['missing permission', fail(403, 40301, 'Access forbidden'), 'lacks a permission'],
  ])('%s → DuoApiError (exit 3)', async (_name, response, message) => {
    const { client, sent } = scripted([response]);
    const error = await client.get('/admin/v1/users').then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(DuoApiError);
    expect(error).toMatchObject({ exitCode: 3, message: expect.stringContaining(message) });
    // Refused credentials are final: not retried like a failure in transit.
    expect(sent).toHaveLength(1);
  });

  it('names clock skew when Duo refuses the signature and its Date is far from ours', async () => {
    const skewed = fail(401, 40103, 'Invalid signature in request credentials');
    skewed.headers.set('date', new Date(Date.UTC(2026, 10, 28, 11, 50, 0)).toUTCString());
    const { client } = scripted([skewed]);
    await expect(client.get('/admin/v1/users')).rejects.toThrow(/clock is 600 s ahead of Duo's/);
  });

  it('a 400 is a DuoRequestError carrying Duo\'s code, message and detail', async () => {
    const { client } = scripted([fail(400, 40002, 'Invalid request parameters', 'aliases')]);
    const error = await client.post('/admin/v1/users/DU1', { aliases: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuoRequestError);
    expect(error).toMatchObject({ status: 400, duoCode: 40002, duoMessage: 'Invalid request parameters', detail: 'aliases', exitCode: 3 });
  });

  it('never resends a write whose outcome is unknown', async () => {
    for (const answer of [fail(500, 50000, 'Internal'), new Response('<html>502</html>', { status: 502 }), networkError('ECONNRESET')]) {
      const { client, sent } = scripted([answer, ok()]);
      await expect(client.post('/admin/v1/users', { username: 'a' })).rejects.toBeInstanceOf(DuoOutcomeUnknownError);
      expect(sent).toHaveLength(1);
    }
  });

  it('retries a read that failed in transit', async () => {
    const { client, sent } = scripted([networkError('ECONNRESET'), fail(503, 50300, 'Unavailable'), ok(['x'])]);
    await expect(client.get('/admin/v1/users')).resolves.toEqual({ response: ['x'] });
    expect(sent).toHaveLength(3);
  });

  it('reports an unreachable host as DuoApiError: nothing was sent', async () => {
    const { client } = scripted([networkError('ECONNREFUSED')]);
    const failure = client.post('/admin/v1/users', {});
    await expect(failure).rejects.toBeInstanceOf(DuoApiError);
    await expect(failure).rejects.toThrow('cannot reach Duo at api-test.duosecurity.com (ECONNREFUSED)');
  });
});

describe('duoBaseUrl', () => {
  it.each([
    ['api-xxxxxxxx.duosecurity.com', 'https://api-xxxxxxxx.duosecurity.com/'],
    ['https://api-xxxxxxxx.duosecurity.com', 'https://api-xxxxxxxx.duosecurity.com/'],
    ['https://proxy.corp.example:8443/', 'https://proxy.corp.example:8443/'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/'],
    ['http://localhost:1234', 'http://localhost:1234/'],
    ['http://[::1]:1234', 'http://[::1]:1234/'],
  ])('%s → %s', (host, url) => {
    expect(duoBaseUrl(host).href).toBe(url);
  });

  it.each(['http://api-x.duosecurity.com', 'http://10.0.0.1', 'ftp://x', 'https://api-x.duosecurity.com/admin', 'https://user@host'])('refuses %s', (host) => {
    expect(() => duoBaseUrl(host)).toThrow(UsageError);
  });
});
