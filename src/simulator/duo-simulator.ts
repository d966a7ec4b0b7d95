import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { authorizationV5, duoEncode } from '../duo/api/sign.js';
import { DuoEngine, type AppliedWrite } from './duo-engine.js';
import { Refusal } from './engine-state.js';

/** Computes the Authorization header Duo expects for a request (v5). The tests pass Duo's official signer. */
export type SignerV5 = (ikey: string, skey: string, method: string, host: string, path: string, params: Record<string, string>, date: string, body: string) => string;

const ownSigner: SignerV5 = (ikey, skey, method, host, path, params, date, body) => authorizationV5({ ikey, skey, date, method, host, path, params, body });

export interface SimulatorOptions {
  readonly ikey?: string;
  readonly skey?: string;
  /** Write calls (POST/DELETE) allowed per rolling minute; beyond it: 429. */
  readonly writeLimitPerMinute?: number;
  /** Largest clock difference accepted on the Date header. */
  readonly maxSkewSeconds?: number;
  /** How signatures are checked; default duo-bridge's own signer. */
  readonly signer?: SignerV5;
  /** Duo's clock minus this machine's (ms): its Date header, its skew check and users' `created` follow it. */
  readonly clockOffsetMs?: number;
  /** Serve HTTPS with this certificate and key (PEM), as Duo's official clients speak only HTTPS. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

/** Parameters Duo takes as a JSON array inside a string; a client may also repeat the key (k=a&k=b). */
const LIST_PARAMS = new Set(['username_list', 'user_id_list']);

/**
 * A request whose credentials were checked: its parameters decoded, or the refusal it gets before
 * it reaches the engine (credentials, encoding).
 */
export interface CheckedRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Record<string, string> | Refusal;
}

/** An answer as it is sent: status, headers and body. */
export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * A strict stand-in for the Duo Admin API on loopback: the engine (./duo-engine.ts) served over
 * HTTP, with v5 signatures verified, Duo's Date header, and Duo's write limit (429). It is a model
 * of what we believe about Duo (./assumptions.ts lists every belief no official source confirms):
 * `duo-bridge simulator` for rehearsals, and, wrapped by test/helpers/recording-simulator.ts, the tests' fake Duo.
 */
export class DuoSimulator {
  readonly ikey: string;
  readonly skey: string;
  readonly engine: DuoEngine;
  writeLimitPerMinute: number | undefined;
  /** Called with each write applied (the simulator's --state log). */
  onApplied: ((write: AppliedWrite) => void) | undefined;
  private readonly writes: number[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  url = '';

  constructor(private readonly options: SimulatorOptions = {}) {
    this.ikey = options.ikey ?? 'DIFAKEINTEGRATIONKEY';
    this.skey = options.skey ?? 'fake-secret-key-0123456789abcdefghijklmn';
    this.engine = new DuoEngine(options.clockOffsetMs ?? 0);
    this.writeLimitPerMinute = options.writeLimitPerMinute;
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.handle(req, res);
    this.server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createServer(handler);
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Listens on 127.0.0.1 only (port 0: any free port). */
  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', resolve);
    });
    this.url = `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The environment a duo-bridge process needs to talk to this server. */
  env(): Record<string, string> {
    return { DUO_HOST: this.url, DUO_IKEY: this.ikey, DUO_SKEY: this.skey };
  }

  /**
   * The answer to one checked request: Duo's write limit, then the engine (a write applied is
   * handed to `onApplied`); null closes the connection unanswered. The one seam for a subclass:
   * the product answers every request here, the tests wrap it to record requests and inject faults.
   */
  protected async reply({ method, path, params }: CheckedRequest): Promise<Reply | null> {
    try {
      if (params instanceof Refusal) throw params;
      if (method !== 'GET' && this.overWriteLimit()) throw new Refusal(429, 42901, 'Too Many Requests');
      const nextId = this.engine.idCounter;
      const result = this.engine.handle(method, path, params);
      if (method !== 'GET') this.onApplied?.({ method, path, params, nextId });
      return this.json(200, { stat: 'OK', ...result });
    } catch (error) {
      const refusal = error instanceof Refusal ? error : bug(error);
      return this.json(refusal.status, { stat: 'FAIL', code: refusal.code, message: refusal.message, ...(refusal.detail ? { message_detail: refusal.detail } : {}) });
    }
  }

  private json(status: number, payload: unknown): Reply {
    return { status, headers: { 'Content-Type': 'application/json', Date: new Date(this.engine.now()).toUTCString() }, body: JSON.stringify(payload) };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    let params: Record<string, string> | Refusal;
    try {
      params = this.authenticate(req, method, path, url, body);
    } catch (error) {
      params = error instanceof Refusal ? error : bug(error);
    }
    const reply = await this.reply({ method, path, params });
    if (reply === null) return void req.socket.destroy();
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  }

  /**
   * Checks the request's signature as Duo does, in any version its official clients send: v5
   * (HMAC-SHA512 over the params and the body's hash, JSON bodies), v4 (the same without the
   * headers' hash) and v2 (HMAC-SHA1 or -SHA512 over the params, form-encoded bodies), over the Host
   * header with or without its port (a client told host and port apart signs the bare host).
   */
  private authenticate(req: IncomingMessage, method: string, path: string, url: URL, body: string): Record<string, string> {
    const date = req.headers.date ?? '';
    const match = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    if (!match || !date) throw new Refusal(401, 40101, 'Missing request credentials');
    const [ikey, signature] = Buffer.from(match[1]!, 'base64').toString('utf8').split(':');
    if (ikey !== this.ikey) throw new Refusal(401, 40102, 'Invalid integration key in request credentials');
    const skew = Math.abs(this.engine.now() - Date.parse(date)) / 1000;
    if (!(skew <= (this.options.maxSkewSeconds ?? 300))) throw new Refusal(401, 40103, 'Invalid signature in request credentials');
    const query = [...url.searchParams];
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const form = method !== 'GET' && method !== 'DELETE' && type === 'application/x-www-form-urlencoded' ? [...new URLSearchParams(body)] : null;
    if (method === 'POST' && query.length > 0) throw new Refusal(400, 40002, 'Invalid request parameters', 'POST takes its parameters in the body');
    const hostHeader = req.headers.host ?? '';
    const hosts = [...new Set([hostHeader, hostHeader.replace(/:\d+$/, '')])];
    const given = `Basic ${Buffer.from(`${ikey}:${signature}`).toString('base64')}`;
    const signed = hosts.some((host) => {
      if (form === null) {
        const params = Object.fromEntries(query);
        if ((this.options.signer ?? ownSigner)(this.ikey, this.skey, method, host, path, params, date, body) === given) return true;
        if (signature === hmac('sha512', this.skey, [date, method.toUpperCase(), host.toLowerCase(), path, canonical(query), sha512(body)].join('\n'))) return true;
      }
      const v2 = [date, method.toUpperCase(), host.toLowerCase(), path, canonical(form ?? query)].join('\n');
      return (form !== null || body === '') && (signature === hmac('sha1', this.skey, v2) || signature === hmac('sha512', this.skey, v2));
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

  private overWriteLimit(): boolean {
    if (this.writeLimitPerMinute === undefined) return false;
    const now = Date.now();
    while (this.writes.length > 0 && this.writes[0]! <= now - 60_000) this.writes.shift();
    if (this.writes.length >= this.writeLimitPerMinute) return true;
    this.writes.push(now);
    return false;
  }
}

/** An error no refusal of Duo's explains: answered as Duo answers its own failures. */
const bug = (error: unknown): Refusal => new Refusal(500, 50000, `simulator bug: ${(error as Error).message}`);
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
