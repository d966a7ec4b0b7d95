import { createHash, createHmac } from 'node:crypto';

export type QueryParams = Readonly<Record<string, string>>;

export interface SignInput {
  readonly ikey: string;
  readonly skey: string;
  /** RFC 2822 date, fresh for every attempt. */
  readonly date: string;
  readonly method: string;
  /** The Host header value sent: host[:port], as `new URL(base).host` gives it. */
  readonly host: string;
  readonly path: string;
  /** Query parameters (GET/DELETE); POST sends everything in the body. */
  readonly params?: QueryParams;
  /** The exact body bytes sent; '' for none. */
  readonly body?: string;
  /** Extra headers; only x-duo-* ones are signed. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Percent-encodes as Duo's canonical form wants: UTF-8, only A-Z a-z 0-9 - . _ ~ left as they are,
 * upper-case hex. encodeURIComponent leaves ! ' ( ) * alone, so those are done by hand.
 */
export function duoEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `k=v&k=v`, sorted by encoded key then value: the query string sent and the line signed are the same. */
export function canonicalParams(params: QueryParams): string {
  return Object.entries(params)
    .map(([key, value]) => [duoEncode(key), duoEncode(value)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

const sha512 = (text: string): string => createHash('sha512').update(text, 'utf8').digest('hex');

/** Duo's v5 canonical request: date, method, host, path, params, SHA-512 of the body and of the x-duo headers. */
export function canonicalizeV5(input: SignInput): string {
  const duoHeaders = Object.entries(input.headers ?? {})
    .map(([name, value]) => [name.toLowerCase(), value] as const)
    .filter(([name]) => name.startsWith('x-duo'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([name, value]) => [name, value])
    .join('\0');
  return [
    input.date,
    input.method.toUpperCase(),
    input.host.toLowerCase(),
    input.path,
    canonicalParams(input.params ?? {}),
    sha512(input.body ?? ''),
    sha512(duoHeaders),
  ].join('\n');
}

/** The hex HMAC-SHA512 signature of a request. */
export function signatureV5(input: SignInput): string {
  return createHmac('sha512', input.skey).update(canonicalizeV5(input), 'utf8').digest('hex');
}

/** The Authorization header value: `Basic base64(ikey:signature)`. */
export function authorizationV5(input: SignInput): string {
  return `Basic ${Buffer.from(`${input.ikey}:${signatureV5(input)}`).toString('base64')}`;
}

/** RFC 2822 date as Duo's Python client writes it. */
export function rfc2822Date(date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${days[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} -0000`;
}
