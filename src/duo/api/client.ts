import { debuglog } from 'node:util';
import { DuoApiError, DuoOutcomeUnknownError, DuoPermissionError, DuoRequestError, RemoteError } from '../../errors.js';
import { httpFetch, type HttpFetch } from './http-fetch.js';
import { authorizationV5, canonicalParams, rfc2822Date, type QueryParams } from './sign.js';

const debug = debuglog('duo-bridge');

export interface DuoCredentials {
  readonly baseUrl: URL;
  readonly ikey: string;
  readonly skey: string;
}

export interface DuoClientOptions {
  readonly credentials: DuoCredentials;
  /** Calls per minute, spread evenly; Duo's documented limit for many endpoints is 50. */
  readonly ratePerMinute: number;
  /** Per attempt. */
  readonly timeoutMs: number;
  /** How requests are sent: node:http/https unless given (Node's fetch fits, as does a test's). */
  readonly fetch?: HttpFetch;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly onRateLimited?: (waitMs: number) => void;
}

export interface DuoResponse {
  readonly response: unknown;
  readonly metadata?: Record<string, unknown>;
}

export interface DuoClientStats {
  calls: number;
  writes: number;
  rateLimited: number;
}

// Duo's own clients: wait 1 s doubling up to 32 s, plus up to 1 s of jitter, on HTTP 429 only.
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 32_000;
const READ_ATTEMPTS = 3;
const LIMIT_EXCEEDED = 50001;

const AUTH_FAILURES: Record<number, string> = {
  40101: 'missing credentials',
  40102: 'the integration key (DUO_IKEY) is not valid',
  40103: 'the signature is not valid: check DUO_SKEY, and that this machine\'s clock is right',
  40301: 'the Admin API application lacks a permission this needs ("Grant read resource" / "Grant write resource")',
};

/**
 * A small Duo Admin API client: v5-signed requests over node:https (see http-fetch.ts), one throttle for every call,
 * Duo's 429 back-off with a fresh Date and signature per attempt, typed errors. Reads are retried
 * on transient failures; writes never are: their outcome is reported as unknown instead.
 */
export class DuoClient {
  readonly stats: DuoClientStats = { calls: 0, writes: 0, rateLimited: 0 };
  private readonly fetch: HttpFetch;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly intervalMs: number;
  private nextSlot = 0;
  /** Duo's clock minus ours, from the Date header of Duo's last answer (0 until one arrives). */
  private clockOffsetMs = 0;

  constructor(private readonly options: DuoClientOptions) {
    this.fetch = options.fetch ?? httpFetch;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.intervalMs = 60_000 / options.ratePerMinute;
  }

  /**
   * The time on Duo's clock, as well as its answers tell it (their Date header has whole seconds):
   * what a journal records, so that its times compare with the `created` times Duo reports.
   */
  duoNow(): number {
    return this.now() + this.clockOffsetMs;
  }

  /** How long one attempt may take: a write not answered within it was applied by then or never. */
  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  get(path: string, params: QueryParams = {}): Promise<DuoResponse> {
    return this.request('GET', path, params, '');
  }

  post(path: string, body: Record<string, unknown>): Promise<DuoResponse> {
    return this.request('POST', path, {}, JSON.stringify(body));
  }

  delete(path: string, params: QueryParams = {}): Promise<DuoResponse> {
    return this.request('DELETE', path, params, '');
  }

  private async request(method: 'GET' | 'POST' | 'DELETE', path: string, params: QueryParams, body: string): Promise<DuoResponse> {
    const query = canonicalParams(params);
    const url = new URL(path + (query ? `?${query}` : ''), this.options.credentials.baseUrl);
    let backoff = BACKOFF_FIRST_MS;
    for (let attempt = 1; ; attempt++) {
      await this.throttle();
      this.stats.calls++;
      if (method !== 'GET') this.stats.writes++;
      let response: Response;
      try {
        response = await this.send(method, url, path, params, body);
      } catch (error) {
        const failure = this.transportFailure(error, method, url);
        if (method === 'GET' && failure instanceof DuoOutcomeUnknownError && attempt < READ_ATTEMPTS) continue;
        throw failure;
      }
      if (response.status === 429) {
        this.stats.rateLimited++;
        await response.body?.cancel();
        if (backoff > BACKOFF_MAX_MS) throw new RemoteError('DUO_RATE_LIMITED', `${method} ${path}: Duo kept answering 429 Too Many Requests for over a minute; lower --rate and re-run`);
        const wait = backoff + Math.floor(this.random() * 1000);
        this.options.onRateLimited?.(wait);
        await this.sleep(wait);
        backoff *= 2;
        continue;
      }
      try {
        return await this.parse(response, method, path);
      } catch (error) {
        if (method === 'GET' && error instanceof DuoOutcomeUnknownError && attempt < READ_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  /** Spreads calls evenly: never more than ratePerMinute in any minute. */
  private async throttle(): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.intervalMs;
    if (slot > now) await this.sleep(slot - now);
  }

  private send(method: string, url: URL, path: string, params: QueryParams, body: string): Promise<Response> {
    const { ikey, skey, baseUrl } = this.options.credentials;
    const date = rfc2822Date(new Date(this.now()));
    const headers: Record<string, string> = {
      Date: date,
      Authorization: authorizationV5({ ikey, skey, date, method, host: baseUrl.host, path, params, body }),
      'User-Agent': 'duo-bridge',
    };
    if (body !== '') headers['Content-Type'] = 'application/json';
    debug('duo %s %s', method, url.pathname);
    return this.fetch(url, {
      method,
      headers,
      ...(body !== '' ? { body } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
  }

  private transportFailure(error: unknown, method: string, url: URL): RemoteError {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    // Node's fetch, when given one, refuses ports browsers block (1, 25, 6000, …) before connecting.
    const code = cause?.code ?? (cause?.message === 'bad port' ? 'port blocked by fetch' : undefined) ?? (error as { name?: string }).name ?? 'error';
    // Nothing reached Duo: the request was certainly not applied.
    if (['port blocked by fetch', 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'CERT_HAS_EXPIRED', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_TLS_CERT_ALTNAME_INVALID'].includes(code)) {
      return new DuoApiError('DUO_UNREACHABLE', `cannot reach Duo at ${url.host} (${code})`, { cause: error });
    }
    const what = code === 'TimeoutError' ? `no answer within ${this.options.timeoutMs / 1000} s` : `connection failed (${code})`;
    return new DuoOutcomeUnknownError('DUO_OUTCOME_UNKNOWN', `${method} ${url.pathname}: ${what}`, { cause: error });
  }

  private async parse(response: Response, method: string, path: string): Promise<DuoResponse> {
    const serverDate = Date.parse(response.headers.get('date') ?? '');
    if (!Number.isNaN(serverDate)) this.clockOffsetMs = serverDate - this.now();
    const text = await response.text().catch(() => '');
    let json: { stat?: string; code?: number; message?: string; message_detail?: string; response?: unknown; metadata?: Record<string, unknown> } | null = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    if (response.ok && json?.stat === 'OK') return { response: json.response, ...(json.metadata ? { metadata: json.metadata } : {}) };
    const code = typeof json?.code === 'number' ? json.code : null;
    if (response.status === 401 || response.status === 403) {
      const reason = (code !== null && AUTH_FAILURES[code]) || json?.message || `HTTP ${response.status}`;
      const message = `Duo refused our credentials: ${reason}${this.clockSkew(response)}`;
      throw response.status === 403 ? new DuoPermissionError('DUO_AUTH_REFUSED', message) : new DuoApiError('DUO_AUTH_REFUSED', message);
    }
    // A per-user limit (100 groups, 100 phones) is answered 500 with code 50001: a refusal, not a failure.
    if (((response.status >= 400 && response.status < 500) || code === LIMIT_EXCEEDED) && json !== null) {
      throw new DuoRequestError(response.status, code, json.message ?? `HTTP ${response.status}`, json.message_detail ?? null);
    }
    // 5xx, a gateway's HTML page, a redirect: we cannot tell whether a write was applied.
    const summary = json?.message ?? (text.slice(0, 80).replace(/\s+/g, ' ') || 'empty body');
    throw new DuoOutcomeUnknownError('DUO_OUTCOME_UNKNOWN', `${method} ${path}: HTTP ${response.status} (${summary})`);
  }

  private clockSkew(response: Response): string {
    const serverDate = Date.parse(response.headers.get('date') ?? '');
    if (Number.isNaN(serverDate)) return '';
    const skew = Math.round((this.now() - serverDate) / 1000);
    return Math.abs(skew) > 60 ? `; this machine's clock is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} Duo's: fix it (NTP)` : '';
  }
}
