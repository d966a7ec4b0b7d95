import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { DuoEngine, type AppliedWrite } from './duo-engine.js';
import { Refusal } from './engine-state.js';
import { checkCredentials, checkRequest, type SignerV5 } from './request-check.js';

/**
 * The largest request body the simulator reads (bytes); a larger one is refused with 413 before it
 * is read. Duo's own limit is unpublished (an assumption, ./assumptions.ts): this is room for the
 * largest body duo-bridge sends, a bulk_create of 100 users whose every field is at its limit.
 */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

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
 * HTTP, with signatures verified (./request-check.ts), Duo's Date header, and Duo's write limit (429). It is a model
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
    // One request can never stop the server: whatever escapes handle() ends that connection only.
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.handle(req, res).catch(() => req.socket?.destroy());
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
    const method = req.method ?? 'GET';
    let url: URL;
    try {
      // `//[`, `//a:99999999/x`, `http://[::1/`: a target that is no URL is the client's error, answered as such.
      url = new URL(req.url ?? '/', 'http://fake');
    } catch {
      return this.send(req, res, await this.reply({ method, path: '/', params: new Refusal(400, 40002, 'Invalid request parameters', 'the request target is not a URL') }), true);
    }
    const path = url.pathname;
    const keys = { ikey: this.ikey, skey: this.skey, now: this.engine.now(), maxSkewSeconds: this.options.maxSkewSeconds, signer: this.options.signer };
    let refusal: Refusal | null = null;
    try {
      checkCredentials(req.headers, keys);
      if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) refusal = tooLarge();
    } catch (error) {
      refusal = error instanceof Refusal ? error : bug(error);
    }
    // Refused on its headers: the body is never read, and the connection closes after the answer.
    if (refusal !== null) return this.send(req, res, await this.reply({ method, path, params: refusal }), true);
    const body = await readBody(req);
    if (body === null) return void req.socket.destroy();
    if (body === TOO_LARGE) return this.send(req, res, await this.reply({ method, path, params: tooLarge() }), true);
    let params: Record<string, string> | Refusal;
    try {
      params = checkRequest({ method, url, headers: req.headers, body }, keys);
    } catch (error) {
      params = error instanceof Refusal ? error : bug(error);
    }
    this.send(req, res, await this.reply({ method, path, params }), false);
  }

  private send(req: IncomingMessage, res: ServerResponse, reply: Reply | null, close: boolean): void {
    const socket = req.socket;
    if (reply === null || socket === null || socket.destroyed) return void socket?.destroy();
    res.writeHead(reply.status, close ? { ...reply.headers, Connection: 'close' } : reply.headers);
    res.end(reply.body);
    if (!close) return;
    // The body was left unread: discard what still comes (closing on unread bytes would reset the
    // connection and lose the answer), end our side, and give the client a second to go.
    req.resume();
    res.once('finish', () => {
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    });
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

const TOO_LARGE = Symbol('too large');
const tooLarge = (): Refusal => new Refusal(413, 41300, 'Request body too large', `at most ${MAX_BODY_BYTES} bytes`);

/**
 * The request's body as text, read up to MAX_BODY_BYTES; TOO_LARGE past that, null when the
 * client went away mid-body (an "aborted" error ends this request, never the server).
 */
function readBody(req: IncomingMessage): Promise<string | null | typeof TOO_LARGE> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: string | null | typeof TOO_LARGE): void => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      resolve(result);
    };
    // Past the cap the stream keeps flowing and is thrown away: the connection stays whole for the 413.
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) settle(TOO_LARGE);
      else chunks.push(chunk);
    });
    req.on('end', () => settle(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => settle(null));
    req.on('close', () => settle(null));
  });
}

/** An error no refusal of Duo's explains: answered as Duo answers its own failures. */
const bug = (error: unknown): Refusal => new Refusal(500, 50000, `simulator bug: ${(error as Error).message}`);
