import { isIP } from 'node:net';
import { UsageError } from '../../errors.js';

/**
 * DUO_HOST as users give it — `api-xxxxxxxx.duosecurity.com` or a full URL — as a base URL.
 * Plain http:// is accepted for loopback only (tests, a local proxy): credentials never cross a
 * network unencrypted.
 */
export function duoBaseUrl(host: string): URL {
  const text = host.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    throw new UsageError('BAD_OPTION', `DUO_HOST is not a host name or URL: ${JSON.stringify(host)}`);
  }
  if (url.pathname !== '/' || url.search !== '' || url.username !== '') {
    throw new UsageError('BAD_OPTION', `DUO_HOST must be a host (api-xxxxxxxx.duosecurity.com) or https://host[:port], got ${JSON.stringify(host)}`);
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw new UsageError('BAD_OPTION', `DUO_HOST ${url.host}: plain http:// is allowed for loopback addresses only; use https://`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError('BAD_OPTION', `DUO_HOST must use https://, got ${url.protocol}`);
  }
  return url;
}

/** 127.0.0.0/8, localhost or ::1: a host on this machine (a simulator, a local proxy). */
export function isLoopback(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}
