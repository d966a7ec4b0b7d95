import { isBulkRefusal, MAX_BULK_OPERATIONS, sendBulk, type BulkOperation } from '../api/bulk-api.js';
import type { Intent } from '../journal/journal.js';
import type { OutcomeDetail, WriteOutcome } from './guarded-write.js';
import type { RunSession } from './run-session.js';

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
  async refusedBy(error: unknown, session: RunSession): Promise<boolean> {
    if (!isBulkRefusal(error)) return false;
    const reason = `Duo refused its bulk endpoint (${(error as Error).message}): going on with single calls`;
    await session.journal.append({ t: 'mode', bulk: false, reason });
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
    session: RunSession,
    items: readonly T[],
    operation: (item: T) => BulkOperation,
    /** What the intent records besides the operations (each user's values before, for a rollback). */
    annotate: (chunk: readonly T[]) => Pick<Extract<Intent, { op: 'bulk' }>, 'updates' | 'renames'> = () => ({}),
  ): Promise<{ sent: T[]; unsent: T[] }> {
    let at = 0;
    while (at < items.length && this.size > 0) {
      const chunk = items.slice(at, at + this.size);
      const write = await this.sendOne(session, { op: 'bulk', operations: chunk.map(operation), ...annotate(chunk) });
      if (write === null) break;
      at += chunk.length;
    }
    return { sent: items.slice(0, at), unsent: items.slice(at) };
  }

  /**
   * One /admin/v1/bulk call, journaled. Null when Duo refused the endpoint itself (the run goes on
   * with single calls, journaled); otherwise the write's outcome, whose `failed_operations` (the
   * operations Duo listed as failed) are kept when `keepFailed`.
   */
  async sendOne(session: RunSession, intent: Extract<Intent, { op: 'bulk' }>, keepFailed = false): Promise<WriteOutcome<ReadonlySet<number>> | null> {
    const detail = (failed: ReadonlySet<number>): OutcomeDetail => (keepFailed && failed.size > 0 ? { failed_operations: [...failed] } : {});
    let write: WriteOutcome<ReadonlySet<number>>;
    try {
      write = await session.write(intent, () => sendBulk(session.client, intent.operations), detail);
    } catch (error) {
      if (!isBulkRefusal(error)) throw error;
      write = { status: 'refused', error: error as never };
    }
    if (write.status === 'refused' && (await this.refusedBy(write.error, session))) return null;
    return write;
  }
}
