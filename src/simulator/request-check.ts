import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { authorizationV5, duoEncode } from '../duo/api/sign.js';
import { Refusal } from './engine-state.js';

/** Computes the Authorization header Duo expects for a request (v5). The tests pass Duo's official signer. */
export type SignerV5 = (ikey: string, skey: string, method: string, host: string, path: string, params: Record<string, string>, date: string, body: string) => string;

const ownSigner: SignerV5 = (ikey, skey, method, host, path, params, date, body) => authorizationV5({ ikey, skey, date, method, host, path, params, body });

/** Parameters Duo takes as a JSON array inside a string; a client may also repeat the key (k=a&k=b). */
const LIST_PARAMS = new Set(['username_list', 'user_id_list']);

/** A request as the server read it. */
export interface ReadRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What a request is checked against: the integration's keys, Duo's clock now, how far a Date header may be from it. */
export interface RequestKeys {
  readonly ikey: string;
  readonly skey: string;
  readonly now: number;
  readonly maxSkewSeconds?: number | undefined;
  /** How v5 signatures are checked; default duo-bridge's own signer. */
  readonly signer?: SignerV5 | undefined;
}

/**
 * Checks the request's signature as Duo does, in any version its official clients send: v5
 * (HMAC-SHA512 over the params and the body's hash, JSON bodies), v4 (the same without the
 * headers' hash) and v2 (HMAC-SHA1 or -SHA512 over the params, form-encoded bodies), over the Host
 * header with or without its port (a client told host and port apart signs the bare host).
 */
export function checkRequest({ method, url, headers, body }: ReadRequest, keys: RequestKeys): Record<string, string> {
  const path = url.pathname;
  const { ikey, signature, date } = checkCredentials(headers, keys);
  const query = [...url.searchParams];
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const form = method !== 'GET' && method !== 'DELETE' && type === 'application/x-www-form-urlencoded' ? [...new URLSearchParams(body)] : null;
  if (method === 'POST' && query.length > 0) throw new Refusal(400, 40002, 'Invalid request parameters', 'POST takes its parameters in the body');
  const hostHeader = headers.host ?? '';
  const hosts = [...new Set([hostHeader, hostHeader.replace(/:\d+$/, '')])];
  const given = `Basic ${Buffer.from(`${ikey}:${signature}`).toString('base64')}`;
  const signed = hosts.some((host) => {
    if (form === null) {
      const params = Object.fromEntries(query);
      if ((keys.signer ?? ownSigner)(keys.ikey, keys.skey, method, host, path, params, date, body) === given) return true;
      if (signature === hmac('sha512', keys.skey, [date, method.toUpperCase(), host.toLowerCase(), path, canonical(query), sha512(body)].join('\n'))) return true;
    }
    const v2 = [date, method.toUpperCase(), host.toLowerCase(), path, canonical(form ?? query)].join('\n');
    return (form !== null || body === '') && (signature === hmac('sha1', keys.skey, v2) || signature === hmac('sha512', keys.skey, v2));
  });
  if (!signed) throw new Refusal(401, 40103, 'Invalid signature in request credentials');
  if (method === 'GET' || method === 'DELETE') return flatten(query);
  if (form !== null) return flatten(form);
  if (body === '') return {};
  if (type !== 'application/json') throw new Refusal(400, 40002, 'Invalid request parameters', 'Content-Type');
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw new Refusal(400, 40002, 'Invalid request parameters', 'the body is not JSON');
  }
  // The bulk endpoint's operations may travel as a real JSON array (Postman) or as a string (Ruby).
  if (path === '/admin/v1/bulk' && Array.isArray(parsed.operations)) parsed.operations = JSON.stringify(parsed.operations);
  for (const [key, value] of Object.entries(parsed)) {
    if (LIST_PARAMS.has(key) && Array.isArray(value)) parsed[key] = JSON.stringify(value);
    else if (typeof value !== 'string') throw new Refusal(400, 40002, 'Invalid request parameters', 'values must be strings');
  }
  return parsed as Record<string, string>;
}

/**
 * What can be checked on the headers alone, before a byte of the body is read: credentials are
 * there, the integration key is this one, the Date is within the allowed skew. A stranger's
 * request is refused here, whatever body it announces.
 */
export function checkCredentials(headers: IncomingHttpHeaders, keys: RequestKeys): { ikey: string; signature: string | undefined; date: string } {
  const date = headers.date ?? '';
  const match = /^Basic (.+)$/.exec(headers.authorization ?? '');
  if (!match || !date) throw new Refusal(401, 40101, 'Missing request credentials');
  const [ikey, signature] = Buffer.from(match[1]!, 'base64').toString('utf8').split(':');
  if (ikey !== keys.ikey) throw new Refusal(401, 40102, 'Invalid integration key in request credentials');
  const skew = Math.abs(keys.now - Date.parse(date)) / 1000;
  if (!(skew <= (keys.maxSkewSeconds ?? 300))) throw new Refusal(401, 40103, 'Invalid signature in request credentials');
  return { ikey, signature, date };
}

const sha512 = (text: string): string => createHash('sha512').update(text, 'utf8').digest('hex');
const hmac = (algorithm: 'sha1' | 'sha512', key: string, text: string): string => createHmac(algorithm, key).update(text, 'utf8').digest('hex');

/** Duo's canonical parameter line: each key=value percent-encoded, sorted by key then value; a repeated key gives a pair per value. */
function canonical(pairs: readonly (readonly [string, string])[]): string {
  return pairs
    .map(([key, value]) => [duoEncode(key), duoEncode(value)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

/** One value per key; a list parameter given as repeated keys becomes the JSON array Duo also takes. */
function flatten(pairs: readonly (readonly [string, string])[]): Record<string, string> {
  const values = new Map<string, string[]>();
  for (const [key, value] of pairs) values.set(key, [...(values.get(key) ?? []), value]);
  return Object.fromEntries([...values].map(([key, list]) => [key, LIST_PARAMS.has(key) && !(list.length === 1 && list[0]!.trimStart().startsWith('[')) ? JSON.stringify(list) : list.at(-1)!]));
}
