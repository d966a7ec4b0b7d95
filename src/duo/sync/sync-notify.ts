import { setTimeout as sleep } from 'node:timers/promises';
import { InUseError } from '../../errors.js';
import { deliver, type Delivery } from '../../notify/deliver.js';
import type { Notification } from '../../notify/notification.js';
import type { NotifySettings } from '../../notify/notify-settings.js';
import { lockFile, type FileLock } from '../journal/lock.js';
import { healthMessage, type NotificationEvent } from './health-message.js';
import { healthPathOf, loadHealth, saveHealth, withRun, type HealthFile, type RunRecord } from './sync-health.js';
import { decideNotification, notifiedAfter, syncStatus, type SyncStatus } from './sync-status.js';

export interface HealthUpdate {
  readonly statePath: string;
  /** The Duo host (a sync run knows it; `sync status` reads it from the state). */
  readonly host: string | null;
  /** The AD source in words, as messages name it. */
  readonly source: string | null;
  readonly now: Date;
  /**
   * `sync status --max-age`: staleness judged, and remembered in the health file. Undefined (a sync
   * run): judged by the --max-age `sync status` last used, so both say one condition by one name.
   */
  readonly maxAgeMs?: number | null;
  /** The run to record (`sync --apply`); null: only look (`sync status`). */
  readonly record: RunRecord | null;
  readonly notify: NotifySettings | null;
  /** How a message is sent (tests replace it). */
  readonly send?: (settings: NotifySettings, message: Notification) => Promise<Delivery>;
}

export interface HealthOutcome {
  readonly status: SyncStatus;
  readonly event: NotificationEvent | null;
  readonly delivery: Delivery | null;
  readonly warnings: readonly string[];
}

/**
 * How long a run waits for the health file's lock (another run sending its message: at most a
 * minute a channel) before it gives up with a warning.
 */
const LOCK_TRIES = 1440;
const LOCK_PAUSE_MS = 250;

/**
 * Records a run in the health file beside the state, judges the health as `sync status` does, and
 * sends a message when it changed (an alert, a daily reminder while held, a recovery once). What was
 * delivered is recorded so that nothing is said twice; a message no channel took is tried again by
 * the next run. Never throws for the health file or a delivery: they decide what is said, never what
 * a run did; the caller prints the warnings, and its exit code stands.
 */
export async function updateHealth(update: HealthUpdate): Promise<HealthOutcome> {
  const path = healthPathOf(update.statePath);
  const warnings: string[] = [];
  const lock = await lockHealth(path).catch((error: unknown) => {
    warnings.push(`${path}: ${(error as Error).message}`);
    return null;
  });
  if (lock === null) {
    if (warnings.length === 0) warnings.push(`${path} stayed locked by another duo-bridge: this run's health was not recorded${update.notify === null ? '' : ' and nothing was sent'}`);
    return { status: await syncStatus(update.statePath, update.now, update.maxAgeMs ?? null), event: null, delivery: null, warnings };
  }
  try {
    const loaded = await loadHealth(path, update.host);
    if (loaded.problem !== null) warnings.push(`the health file was unreadable: ${loaded.problem}`);
    let file: HealthFile = loaded.file ?? { version: 1, host: update.host ?? '', source: update.source ?? '', last_run: null, last_success: null, notified: null, max_age_ms: null };
    const save = async (next: HealthFile): Promise<boolean> => {
      try {
        await saveHealth(path, next);
        return true;
      } catch (error) {
        warnings.push(`the health file was not written: ${(error as Error).message}`);
        return false;
      }
    };
    const maxAgeMs = update.maxAgeMs === undefined ? file.max_age_ms : update.maxAgeMs;
    let changed = false;
    if (update.record !== null) {
      file = withRun({ ...file, host: update.host ?? file.host, source: update.source ?? file.source }, update.record);
      changed = true;
    }
    if (update.maxAgeMs !== undefined && update.maxAgeMs !== null && update.maxAgeMs !== file.max_age_ms) {
      file = { ...file, max_age_ms: update.maxAgeMs };
      changed = true;
    }
    // Unreadable, the file is left for the admin to look at: the warning names it.
    const writable = loaded.problem === null || loaded.file !== null || !/move it away/.test(loaded.problem);
    if (changed && writable) await save(file);
    const status = await syncStatus(update.statePath, update.now, maxAgeMs);
    if (update.notify === null) return { status, event: null, delivery: null, warnings };
    const event = decideNotification(file.notified, status.health, status.key, update.now);
    if (event === null) {
      // A healthy start is recorded, without a message, so the first problem after it is news.
      if (file.notified === null && writable) await save({ ...file, notified: notifiedAfter(null, status.health, status.key, update.now, false) });
      return { status, event: null, delivery: null, warnings };
    }
    const delivery = await (update.send ?? deliver)(update.notify, healthMessage(event, status, update.now));
    warnings.push(...delivery.warnings);
    const notified = notifiedAfter(file.notified, status.health, status.key, update.now);
    if (delivery.delivered === 0) warnings.push('no notification was delivered: the next run tries again');
    else if (!writable || !(await save({ ...file, notified }))) warnings.push('what was sent is not recorded: the next run may send it again');
    return { status: { ...status, notified: delivery.delivered > 0 ? notified : status.notified }, event, delivery, warnings };
  } finally {
    await lock.release();
  }
}

async function lockHealth(path: string): Promise<FileLock | null> {
  for (let attempt = 0; attempt < LOCK_TRIES; attempt++) {
    try {
      return await lockFile(path, 'sync health file');
    } catch (error) {
      if (!(error instanceof InUseError)) throw error;
      await sleep(LOCK_PAUSE_MS);
    }
  }
  return null;
}
