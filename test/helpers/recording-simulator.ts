import { DuoSimulator, type CheckedRequest, type Reply } from '../../src/simulator/duo-simulator.js';
import { Refusal } from '../../src/simulator/engine-state.js';

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly at: number;
}

/**
 * What happens to a request instead of (or after) the simulator's answer: nothing (undefined), the
 * connection dropped, or a failure answered.
 */
export type Interception =
  | { readonly kind: 'drop' }
  | { readonly kind: 'fail'; readonly status: number; readonly code: number; readonly message: string; readonly detail?: string }
  | { readonly kind: 'html'; readonly status: number; readonly body: string };

/**
 * The product's simulator as the tests watch it: every request answered is logged (a dropped
 * connection is not), the writes applied are counted, and a subclass may intercept a request whose
 * credentials were checked before it reaches the engine (`before`) or after it was applied and
 * before it is answered (`after`, told the count of writes applied so far: faults land at progress
 * points, never at moments in time). It wraps the simulator's one seam, `reply`.
 */
export class RecordingSimulator extends DuoSimulator {
  readonly log: LoggedRequest[] = [];
  /** Writes (POST/DELETE) applied since start. */
  appliedWrites = 0;

  /** The requests answered with this method, on a path the pattern matches. */
  count(method: string, pathPattern: RegExp): number {
    return this.log.filter((r) => r.method === method && pathPattern.test(r.path)).length;
  }

  /** Before a request whose credentials were checked reaches the engine. Here: every request goes through. */
  protected async before(_method: string, _path: string): Promise<Interception | undefined> {
    return undefined;
  }

  /** After a request was applied (`writes`: the writes applied so far), before it is answered. */
  protected after(_method: string, _path: string, _writes: number): Interception | undefined {
    return undefined;
  }

  protected override async reply(request: CheckedRequest): Promise<Reply | null> {
    const { method, path, params } = request;
    if (params instanceof Refusal) return this.logged(request, await super.reply(request));
    const early = await this.before(method, path);
    if (early !== undefined) return this.logged(request, await this.intercepted(request, early));
    const reply = await super.reply(request);
    // The simulator answers 200 to a request the engine applied, and only to one.
    if (reply?.status !== 200) return this.logged(request, reply);
    if (method !== 'GET') this.appliedWrites++;
    const late = this.after(method, path, this.appliedWrites);
    return this.logged(request, late === undefined ? reply : await this.intercepted(request, late));
  }

  private async intercepted({ method, path }: CheckedRequest, interception: Interception): Promise<Reply | null> {
    if (interception.kind === 'drop') return null;
    if (interception.kind === 'html') return { status: interception.status, headers: { 'Content-Type': 'text/html' }, body: interception.body };
    // A failure is answered as the simulator answers a refused request.
    return super.reply({ method, path, params: new Refusal(interception.status, interception.code, interception.message, interception.detail) });
  }

  private logged({ method, path }: CheckedRequest, reply: Reply | null): Reply | null {
    if (reply !== null) this.log.push({ method, path, status: reply.status, at: Date.now() });
    return reply;
  }
}
