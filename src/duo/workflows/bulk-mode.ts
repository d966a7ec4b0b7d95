import { isBulkRefusal, MAX_BULK_OPERATIONS, sendBulk, type BulkOperation } from '../api/bulk-api.js';
import type { DuoClient } from '../api/client.js';
import { guardedWrite } from '../journal/guarded-write.js';
import type { Intent, Journal } from '../journal/journal.js';

/**
 * Whether a run writes through /admin/v1/bulk, and how many operations a call holds. Once Duo
 * refuses the endpoint itself, the decision is journaled so that this run and its resumes go on
 * with single calls, and said once.
 */
export class BulkMode {
  constructor(
    private readonly requested: number,
    private refused: string | null,
    private readonly onNotice: (message: string) => void = () => undefined,
  ) {}

  /** Operations per call; 0 means single calls. */
  get size(): number {
    return this.refused === null ? Math.min(this.requested, MAX_BULK_OPERATIONS) : 0;
  }

  /** If `error` is Duo refusing the endpoint, switch to single calls (journaled) and say true. */
  async refusedBy(error: unknown, journal: Journal): Promise<boolean> {
    if (!isBulkRefusal(error)) return false;
    const reason = `Duo refused its bulk endpoint (${(error as Error).message}): going on with single calls`;
    await journal.append({ t: 'mode', bulk: false, reason });
    this.refused = reason;
    this.onNotice(reason);
    return true;
  }

  /**
   * Sends one operation per item, in bulk calls of `size`, while Duo takes the endpoint. A refusal
   * of the endpoint itself, thrown or answered, switches the run to single calls (journaled). The
   * caller reads Duo back for `sent` and uses single calls for `unsent`: a bulk answer is never believed.
   */
  async send<T>(
    client: DuoClient,
    journal: Journal,
    items: readonly T[],
    operation: (item: T) => BulkOperation,
    /** What the intent records besides the operations (each user's values before, for a rollback). */
    annotate: (chunk: readonly T[]) => Pick<Extract<Intent, { op: 'bulk' }>, 'updates' | 'renames'> = () => ({}),
  ): Promise<{ sent: T[]; unsent: T[] }> {
    let at = 0;
    while (at < items.length && this.size > 0) {
      const chunk = items.slice(at, at + this.size);
      const operations = chunk.map(operation);
      let refusal: unknown = null;
      try {
        const write = await guardedWrite(journal, { op: 'bulk', operations, ...annotate(chunk) }, () => sendBulk(client, operations));
        if (write.status === 'refused') refusal = write.error;
      } catch (error) {
        if (!isBulkRefusal(error)) throw error;
        refusal = error;
      }
      if (refusal !== null && (await this.refusedBy(refusal, journal))) break;
      at += chunk.length;
    }
    return { sent: items.slice(0, at), unsent: items.slice(at) };
  }
}
