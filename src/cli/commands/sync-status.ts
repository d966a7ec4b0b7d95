import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { loadSyncConfig } from '../../duo/sync/sync-options.js';
import { updateHealth } from '../../duo/sync/sync-notify.js';
import { syncStatus, type SyncStatus } from '../../duo/sync/sync-status.js';
import { testMessage } from '../../duo/sync/health-message.js';
import { ranBy } from '../../ran-by.js';
import { deliver } from '../../notify/deliver.js';
import { UsageError } from '../../errors.js';
import { resolveNotifySettings, type NotifyArgs } from '../../notify/notify-settings.js';
import { describeAge, duration } from '../../option-values.js';
import { styler, type CliIo } from '../io.js';
import type { CommandModule } from './command.js';
import { notifyOptions } from './notify-options.js';

type StatusArgs = NotifyArgs & {
  'notify-test'?: boolean;
  state?: string;
  config?: string;
  'max-age'?: string;
  format?: 'text' | 'json';
};

const LISTED = 10;

/** `sync status` (issue 29): the health of a scheduled sync from its state, for a person or a monitor. */
export const syncStatusCommand: CommandModule<StatusArgs> = {
  command: 'status',
  describe: 'the health of a scheduled sync, from its state: exit 0 healthy, 1 attention, 4 held, 5 stale (--max-age)',
  builder: (yargs: Argv) =>
    notifyOptions(yargs)
      .option('state', { type: 'string', describe: 'the sync state file the scheduled sync uses (its summary names it: "state")' })
      .option('config', { type: 'string', describe: 'the sync\'s --config: its "state" and notification keys are used' })
      .option('max-age', { type: 'string', requiresArg: true, describe: 'stale (exit 5) when no run succeeded within this (26h, 90m, 2d): a dead man\'s switch for monitoring' })
      .option('format', { choices: ['text', 'json'] as const, describe: 'text (default) or json' })
      .option('notify-test', { type: 'boolean', describe: 'send a test message on every configured channel and say how each went (exit 3 if one failed); nothing else is sent or recorded' })
      .example('$0 sync status --state /var/lib/duo-bridge/corp.sync.state.json', 'how the scheduled sync is doing')
      .example('$0 sync status --config /etc/duo-bridge/sync.json --max-age 26h', 'for a monitor: exit 5 when the nightly sync has not run')
      .example('$0 sync status --config /etc/duo-bridge/sync.json --max-age 26h --notify-email admins@corp.example --smtp-url smtp://mail.corp.example:587',
        'a second timer: mails when the sync stops running'),
  run: async (args, io) => {
    const config = args.config === undefined ? {} : await loadSyncConfig(args.config);
    const statePath = args.state ?? config.state;
    if (statePath === undefined || statePath.trim() === '') {
      throw new UsageError('BAD_OPTION', `sync status needs the state file: --state FILE${args.config === undefined ? ' (or --config with a "state" key)' : ` (${args.config} has no "state" key)`}; the sync's summary names it ("state")`);
    }
    const maxAgeMs = args['max-age'] === undefined ? null : duration('max-age', args['max-age']);
    if (maxAgeMs !== null && maxAgeMs < 60_000) throw new UsageError('BAD_OPTION', `--max-age is at least 1m (a sync is stale when no run succeeded within it), got ${JSON.stringify(args['max-age'])}`);
    const notify = await resolveNotifySettings(args, io.env, config);
    if (args['notify-test']) {
      if (notify === null) throw new UsageError('BAD_OPTION', '--notify-test needs a channel: --notify-email and --smtp-url, or --notify-webhook-file (flags or --config keys)');
      const status = await syncStatus(resolve(io.cwd, statePath), new Date(), null);
      const delivery = await deliver(notify, testMessage(status, ranBy()));
      for (const warning of delivery.warnings) io.err(`warning: ${warning}\n`);
      io.out(`test message delivered on ${delivery.delivered} of ${delivery.attempted} channels\n`);
      return delivery.delivered === delivery.attempted ? 0 : 3;
    }
    const outcome = await updateHealth({ statePath: resolve(io.cwd, statePath), host: null, source: null, now: new Date(), maxAgeMs, record: null, notify });
    for (const warning of outcome.warnings) io.err(`warning: ${warning}\n`);
    if (outcome.event !== null && outcome.delivery !== null && outcome.delivery.delivered > 0) io.err(`notified: ${outcome.event} (${outcome.status.health}) on ${outcome.delivery.delivered} of ${outcome.delivery.attempted} channels\n`);
    if (args.format === 'json') io.out(`${JSON.stringify(outcome.status, null, 1)}\n`);
    else printStatus(io, outcome.status);
    return outcome.status.exit;
  },
};

function printStatus(io: CliIo, s: SyncStatus): void {
  const style = styler(io.outIsTTY);
  const now = Date.parse(s.checked_at);
  const ago = (at: string): string => `${at} (${describeAge(now - Date.parse(at))} ago)`;
  const colour = s.health === 'healthy' ? 'green' : s.health === 'attention' ? 'yellow' : 'red';
  io.out(`sync status of ${s.state}${s.host === null ? '' : ` (Duo ${s.host})`}\n`);
  io.out(`${style(colour, `health: ${s.health}`)} (exit ${s.exit})\n`);
  for (const reason of s.reasons) io.out(`  ${reason}\n`);
  if (s.source !== null) io.out(`AD source: ${s.source}\n`);
  const run = s.last_run;
  if (run === null) io.out('last run: none recorded\n');
  else {
    const counts = Object.entries(run.counts).map(([kind, n]) => `${n} ${kind}`).join(', ');
    io.out(`last run: ${ago(run.at)}: ${run.error !== null ? `failed (exit ${run.exit}): ${run.error}` : `exit ${run.exit}${counts === '' ? (run.held > 0 ? ', nothing else to do' : ', nothing to change') : `, ${counts}`}${run.held > 0 ? `, ${run.held} held` : ''}`}` +
      `${run.ran_by.account === 'unknown' ? '' : ` · as ${run.ran_by.account} on ${run.ran_by.machine}`}\n`);
    if (s.last_success !== null && s.last_success.at !== run.at) io.out(`last successful run: ${ago(s.last_success.at)}\n`);
    if (run.files.report !== null) io.out(`report: ${run.files.report}\n`);
  }
  if (s.hold !== null) {
    io.out(style('red', `held: ${s.hold.count} destructive actions${s.hold.since === null ? '' : ` since ${s.hold.since}`}${s.hold.id === null ? ' (an incomplete read: no approval releases them)' : ` (hold ${s.hold.id})`}\n`));
    for (const reason of s.hold.reasons) io.out(`  because ${reason}\n`);
    for (const line of s.hold.first) io.out(`  ${line}\n`);
    if (s.hold.count > s.hold.first.length) io.out(`  … and ${s.hold.count - s.hold.first.length} more${s.last_run?.files.held ? ` (${s.last_run.files.held})` : ''}\n`);
    if (s.hold.approve !== null) io.out(`  approve exactly these, after review:\n    ${s.hold.approve}\n`);
  }
  if (run !== null && run.error === null) {
    for (const [title, names, total] of [['failed', run.first.failed, run.failed], ['conflicts', run.first.conflicts, run.conflicts], ['changed in Duo by someone else', run.first.drift, run.drift]] as const) {
      if (total === 0) continue;
      io.out(style('yellow', `${title}: ${total}\n`));
      for (const name of names.slice(0, LISTED)) io.out(`  ${name}\n`);
      if (total > Math.min(names.length, LISTED)) io.out(`  … and ${total - Math.min(names.length, LISTED)} more (the run's report or --summary-json)\n`);
    }
    if (run.read_complete === false) io.out(style('yellow', 'the last read was incomplete: nothing destructive was done\n'));
  }
  io.out(`managed users: ${s.managed} · leaving: ${s.ladder.missing} gone from AD, ${s.ladder.disabled} disabled by the sync, ${s.ladder.trashed} in the Trash\n`);
  for (const u of s.ladder.users.filter((x) => x.trash_on !== null).slice(0, LISTED)) io.out(`  ${u.username}: gone since ${u.missing_since}, to the Trash on ${u.trash_on!.slice(0, 10)}\n`);
  io.out(s.notified === null ? 'notifications: none recorded (none configured, or nothing to say yet)\n'
    : s.notified.sent_at === null ? `notifications: none sent yet (${s.notified.level} since ${s.notified.since})\n`
      : `notifications: last sent ${s.notified.sent_at} (${s.notified.level}${s.notified.since !== s.notified.sent_at ? `, since ${s.notified.since}` : ''})\n`);
  for (const problem of s.problems) io.out(style('yellow', `note: ${problem}\n`));
}
