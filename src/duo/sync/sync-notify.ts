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
  /** `sync status --max-age`: staleness judged; null for a sync run that just ran. */
  readonly maxAgeMs: number | null;
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

/** How long a run waits for the health file's lock (another run sending its message) before it gives up with a warning. */
const LOCK_TRIES = 240;
const LOCK_PAUSE_MS = 250;

/**
 * Records a run in the health file beside the state, judges the health as `sync status` does, and
 * sends a message when it changed (an alert, a daily reminder while held, a recovery once). What was
 * delivered is recorded so that nothing is said twice; a message no channel took is tried again by
 * the next run. Never throws for a delivery: the caller prints the warnings, its exit code stands.
 */
export async function updateHealth(update: HealthUpdate): Promise<HealthOutcome> {
  const path = healthPathOf(update.statePath);
  const warnings: string[] = [];
  const lock = await lockHealth(path);
  if (lock === null) {
    warnings.push(`${path} stayed locked by another duo-bridge: this run's health was not recorded${update.notify === null ? '' : ' and nothing was sent'}`);
    return { status: await syncStatus(update.statePath, update.now, update.maxAgeMs), event: null, delivery: null, warnings };
  }
  try {
    const loaded = await loadHealth(path, update.host);
    if (loaded.problem !== null) warnings.push(`the health file was unreadable: ${loaded.problem}`);
    let file: HealthFile = loaded.file ?? { version: 1, host: update.host ?? '', source: update.source ?? '', last_run: null, last_success: null, notified: null };
    if (update.record !== null) {
      file = withRun({ ...file, host: update.host ?? file.host, source: update.source ?? file.source }, update.record);
      await saveHealth(path, file);
    }
    const status = await syncStatus(update.statePath, update.now, update.maxAgeMs);
    if (update.notify === null) return { status, event: null, delivery: null, warnings };
    const event = decideNotification(file.notified, status.health, status.key, update.now);
    if (event === null) {
      // A healthy start is recorded as said, so the first problem after it is news.
      if (file.notified === null) await saveHealth(path, { ...file, notified: notifiedAfter(null, status.health, status.key, update.now) });
      return { status, event: null, delivery: null, warnings };
    }
    const delivery = await (update.send ?? deliver)(update.notify, healthMessage(event, status, update.now));
    warnings.push(...delivery.warnings);
    if (delivery.delivered > 0) await saveHealth(path, { ...file, notified: notifiedAfter(file.notified, status.health, status.key, update.now) });
    else warnings.push('no notification was delivered: the next run tries again');
    return { status: { ...status, notified: delivery.delivered > 0 ? notifiedAfter(file.notified, status.health, status.key, update.now) : status.notified }, event, delivery, warnings };
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
