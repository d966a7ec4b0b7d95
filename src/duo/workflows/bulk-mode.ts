import { isBulkRefusal, MAX_BULK_OPERATIONS } from '../api/bulk-api.js';
import type { Journal } from '../journal/journal.js';

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
}
