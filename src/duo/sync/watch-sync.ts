import { setTimeout as sleep } from 'node:timers/promises';
import { RemoteError } from '../../errors.js';

export interface WatchOptions {
  readonly intervalMs: number;
  /** Aborted (SIGTERM): the run in progress ends as any run does, and no other starts. */
  readonly signal: AbortSignal;
  /** A run that failed on AD or Duo (exit 3): reported, and the next run tries again. */
  readonly onRemoteError: (error: RemoteError) => void;
}

/**
 * `sync --watch`: one run, then the interval, then the next, until the signal. Runs never overlap
 * (each waits for the last, and each holds the state's lock). The interval is counted from the end
 * of a run. Anything but a remote failure (a usage error, a bug) stops the loop: the service
 * manager shows it and restarts the service, rather than a loop repeating a mistake.
 * Resolves 0 once stopped by the signal: a service stopped on purpose did not fail.
 */
export async function watchSync(run: () => Promise<number>, options: WatchOptions): Promise<number> {
  while (!options.signal.aborted) {
    try {
      await run();
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error;
      options.onRemoteError(error);
    }
    await sleep(options.intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
  return 0;
}
