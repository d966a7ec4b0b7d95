import { setTimeout as sleep } from 'node:timers/promises';
import { InUseError, RemoteError } from '../../errors.js';

/** Remote failures in a row after which `--watch` stops (exit 3): the service manager shows it failed. */
export const MAX_REMOTE_FAILURES = 5;

/**
 * The least wait after a run a safeguard held (exit 4): until an admin approves, every run reads
 * both sides in full, which a one-minute interval would repeat all day for nothing.
 */
export const HELD_WAIT_MS = 15 * 60_000;

export interface WatchOptions {
  readonly intervalMs: number;
  /** Aborted (SIGTERM): the run in progress ends as any run does, and no other starts. */
  readonly signal: AbortSignal;
  /** A run that failed on AD or Duo (exit 3): reported, and the next run tries again. */
  readonly onRemoteError: (error: RemoteError, inARow: number) => void;
  /** Another run holds the state (an admin's `--approve`): this run is skipped, the next tries again. */
  readonly onBusy: (error: InUseError) => void;
  /** How a wait is spent (a test records it): aborted by the signal, it ends at once. */
  readonly wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const pause = (ms: number, signal: AbortSignal): Promise<void> => sleep(ms, undefined, { signal }).catch(() => undefined);

/**
 * `sync --watch`: one run, then the interval, then the next, until the signal. Runs never overlap
 * (each waits for the last, and each holds the state's lock). The interval is counted from the end
 * of a run. A run another one kept from the state (an admin's) is skipped. Anything but a remote
 * failure (a usage error, a bug) stops the loop, and so does the MAX_REMOTE_FAILURES-th remote
 * failure in a row: the service manager shows it and restarts the service, rather than a loop
 * repeating a mistake unseen.
 * Resolves 0 once stopped by the signal: a service stopped on purpose did not fail.
 */
export async function watchSync(run: () => Promise<number>, options: WatchOptions): Promise<number> {
  let failures = 0;
  while (!options.signal.aborted) {
    let wait = options.intervalMs;
    try {
      const exitCode = await run();
      failures = 0;
      if (exitCode === 4) wait = Math.max(wait, HELD_WAIT_MS);
    } catch (error) {
      if (error instanceof InUseError) options.onBusy(error);
      else if (!(error instanceof RemoteError) || ++failures >= MAX_REMOTE_FAILURES) throw error;
      else options.onRemoteError(error, failures);
    }
    await (options.wait ?? pause)(wait, options.signal);
  }
  return 0;
}
