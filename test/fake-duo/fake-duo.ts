import { createRequire } from 'node:module';
import type { TenantSnapshot } from '../../src/duo/tenant/tenant.js';
import type { SimulatorOptions } from '../../src/simulator/duo-simulator.js';
import type { BulkAnswer as EngineBulkAnswer, SimulatedGroup, SimulatedPhone, SimulatedToken, SimulatedUser } from '../../src/simulator/engine-state.js';
import { RecordingSimulator, type Interception } from '../helpers/recording-simulator.js';

export type { SimulatedGroup as FakeGroup, SimulatedPhone as FakePhone, SimulatedUser as FakeUser } from '../../src/simulator/engine-state.js';

// Signatures are checked with Duo's official signer, not ours: a bug in ours cannot hide here.
const official = createRequire(import.meta.url)('@duosecurity/duo_api/lib/duo_sig.js') as {
  signV5(ikey: string, skey: string, method: string, host: string, path: string, params: Record<string, string>, date: string, body: string): string;
};

/** The engine's answers, and 'lost': the bulk call is applied and its answer never arrives. */
export type BulkAnswer = EngineBulkAnswer | 'lost';

export type FaultKind = '429' | '500-before' | '500-after' | 'reset-before' | 'reset-after' | 'html-502' | 'slow' | 'refuse';

export interface Fault {
  /** Matched against "METHOD /path". */
  readonly match: RegExp;
  readonly kind: FaultKind;
  times: number;
  readonly delayMs?: number;
}

/**
 * The tests' Duo: the product's simulator (src/simulator) checking signatures with Duo's official
 * signer, its requests recorded (../helpers/recording-simulator.ts), plus what only tests need —
 * faults on demand, a hook before each request (change the tenant mid-run, or drop the request
 * unapplied), one after each write (kill the client at the k-th write: a progress point, never a
 * moment in time), and direct access to the engine's tenant.
 */
export class FakeDuo extends RecordingSimulator {
  readonly faults: Fault[] = [];
  /** Added to every answer, to stretch a run. */
  latencyMs = 0;
  /** Before each authenticated request; 'drop' closes the connection with the request unapplied. */
  beforeRequest: ((method: string, path: string) => void | 'drop') | undefined;
  /** After each write is applied and before it is answered, with the count of writes applied so far. */
  afterWrite: ((writes: number, method: string, path: string) => void) | undefined;
  private loseBulkAnswers = false;
  private pending: Fault | undefined;

  constructor(options: SimulatorOptions = {}) {
    super({ signer: official.signV5, ...options });
  }

  inject(match: RegExp, kind: FaultKind, times = 1, delayMs?: number): void {
    this.faults.push({ match, kind, times, ...(delayMs === undefined ? {} : { delayMs }) });
  }

  protected override async before(method: string, path: string): Promise<Interception | undefined> {
    if (this.beforeRequest?.(method, path) === 'drop') return { kind: 'drop' };
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const fault = this.faults.find((f) => f.times > 0 && f.match.test(`${method} ${path}`));
    if (fault) fault.times--;
    this.pending = fault;
    switch (fault?.kind) {
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 1000));
        return undefined;
      case '429':
        return { kind: 'fail', status: 429, code: 42901, message: 'Too Many Requests' };
      case '500-before':
        return { kind: 'fail', status: 500, code: 50000, message: 'Internal server error' };
      case 'refuse':
        return { kind: 'fail', status: 400, code: 40002, message: 'Invalid request parameters', detail: 'injected refusal' };
      case 'reset-before':
        return { kind: 'drop' };
      case 'html-502':
        return { kind: 'html', status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
      default:
        return undefined;
    }
  }

  protected override after(method: string, path: string, writes: number): Interception | undefined {
    if (method !== 'GET') this.afterWrite?.(writes, method, path);
    const fault = this.pending;
    this.pending = undefined;
    if (path === '/admin/v1/bulk' && this.loseBulkAnswers) return { kind: 'drop' };
    if (fault?.kind === '500-after') return { kind: 'fail', status: 500, code: 50000, message: 'Internal server error' };
    if (fault?.kind === 'reset-after') return { kind: 'drop' };
    return undefined;
  }

  // The engine's tenant, as the tests read and change it.
  get users(): Map<string, SimulatedUser> {
    return this.engine.users;
  }
  get groups(): Map<string, SimulatedGroup> {
    return this.engine.groups;
  }
  get phones(): Map<string, SimulatedPhone> {
    return this.engine.phones;
  }
  get settings(): Record<string, unknown> {
    return this.engine.settings;
  }
  get enrollments(): { username: string; email: string }[] {
    return this.engine.enrollments;
  }
  get defaultLimit(): number {
    return this.engine.defaultLimit;
  }
  set defaultLimit(limit: number) {
    this.engine.defaultLimit = limit;
  }
  get bulkAnswer(): BulkAnswer {
    return this.loseBulkAnswers ? 'lost' : this.engine.bulkAnswer;
  }
  set bulkAnswer(answer: BulkAnswer) {
    this.loseBulkAnswers = answer === 'lost';
    this.engine.bulkAnswer = answer === 'lost' ? 'results' : answer;
  }
  seed(fields: Partial<SimulatedUser> & { username: string }, aliases: string[] = []): SimulatedUser {
    return this.engine.seed(fields, aliases);
  }
  seedGroup(name: string, desc = ''): SimulatedGroup {
    return this.engine.seedGroup(name, desc);
  }
  seedPhone(number: string, userIds: string[] = [], extension = ''): SimulatedPhone {
    return this.engine.seedPhone(number, userIds, extension);
  }
  get tokens(): Map<string, SimulatedToken> {
    return this.engine.tokens;
  }
  seedToken(type: string, serial: string, userIds: string[] = []): SimulatedToken {
    return this.engine.seedToken(type, serial, userIds);
  }
  tokensOf(userId: string): SimulatedToken[] {
    return this.engine.tokensOf(userId);
  }
  seedSnapshot(snapshot: TenantSnapshot): void {
    this.engine.seedSnapshot(snapshot);
  }
  groupNamesOf(user: SimulatedUser): string[] {
    return this.engine.groupNamesOf(user);
  }
  byUsername(): Map<string, SimulatedUser> {
    return this.engine.byUsername();
  }
}
