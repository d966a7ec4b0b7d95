import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** What DuoClient sends: Node's fetch takes it too, so tests can still hand the client a fetch. */
export interface HttpFetchInit {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly redirect: 'manual';
  readonly signal?: AbortSignal;
}

export type HttpFetch = (url: URL, init: HttpFetchInit) => Promise<Response>;

// Statuses whose Response may carry no body (the Fetch standard's "null body status").
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * One request over node:http / node:https, answered as a fetch Response: what DuoClient uses
 * unless it is given a fetch. Node's own fetch (undici) turns TCP keep-alive on before its socket
 * has connected; Wine 8 refuses that on an unconnected socket, so every Duo call of the Windows
 * executable failed there (issue 31). node:net turns it on after the connect, which works on Wine
 * and on Windows alike.
 *
 * Everything else is as fetch does it: TLS is verified against Node's CAs (and
 * NODE_EXTRA_CA_CERTS), a redirect is answered as it is and never followed (redirect: 'manual'),
 * and a failure is thrown the way fetch throws it: a TypeError whose `cause` is the socket or TLS
 * error (with its `code`), or the signal's reason (a TimeoutError) when the signal aborted.
 */
export const httpFetch: HttpFetch = (url, init) => new Promise<Response>((resolve, reject) => {
  const { signal } = init;
  if (signal?.aborted) {
    reject(signal.reason);
    return;
  }
  const body = init.body === undefined ? undefined : Buffer.from(init.body, 'utf8');
  // Without a length node:http would send the body chunked; fetch sends Content-Length.
  const headers = body === undefined ? { ...init.headers } : { ...init.headers, 'Content-Length': String(body.length) };
  let settled = false;
  const settle = (outcome: () => void): void => {
    if (settled) return;
    settled = true;
    signal?.removeEventListener('abort', onAbort);
    outcome();
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const request = send(url, { method: init.method, headers }, (response) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => settle(() => {
      try {
        resolve(asResponse(response, Buffer.concat(chunks)));
      } catch (error) {
        reject(failed(url, error));
      }
    }));
    response.on('error', (error) => settle(() => reject(failed(url, error))));
    // A connection closed before the whole body arrived.
    response.on('close', () => settle(() => reject(failed(url, Object.assign(new Error('the connection closed before the answer was complete'), { code: 'ECONNRESET' })))));
  });
  const onAbort = (): void => {
    settle(() => reject(signal?.reason));
    request.destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  request.on('error', (error) => settle(() => reject(failed(url, error))));
  request.end(body);
});

function asResponse(message: IncomingMessage, body: Buffer): Response {
  const status = message.statusCode ?? 0;
  if (status < 200 || status > 599) throw Object.assign(new Error(`HTTP status ${status}`), { code: `HTTP_${status}` });
  const headers = new Headers();
  const raw = message.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return new Response(NULL_BODY.has(status) ? null : new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.length), { status, statusText: message.statusMessage ?? '', headers });
}

function failed(url: URL, cause: unknown): TypeError {
  return new TypeError(`request to ${url.host} failed`, { cause });
}
