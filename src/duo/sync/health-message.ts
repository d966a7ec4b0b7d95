import type { Notification, NotificationSection } from '../../notify/notification.js';
import { counted } from '../../counted.js';
import { describeAge } from '../../option-values.js';
import type { RunRecord } from './sync-health.js';
import type { SyncStatus } from './sync-status.js';

export type NotificationEvent = 'alert' | 'reminder' | 'recovery';

/**
 * The message for a change of a sync's health: the tenant, the source, what is held or wrong in
 * counts and the first names, the command that approves or investigates (complete: config, state,
 * --yes), the report, and who ran it. Built from what `sync status` sees, so the two never differ.
 */
export function healthMessage(event: NotificationEvent, status: SyncStatus, now: Date): Notification {
  const host = status.host ?? '(no Duo host recorded)';
  const run = status.last_run;
  const subject = subjectOf(event, status, host, now);
  const sections: NotificationSection[] = [];
  const commands: { label: string; command: string }[] = [];
  if (status.reasons.length > 0 && event !== 'recovery') sections.push({ title: 'Why', lines: status.reasons });
  if (status.hold !== null && event !== 'recovery') {
    const kinds = Object.entries(status.hold.by_kind).map(([kind, n]) => `${n} ${kind}`).join(', ');
    sections.push({
      title: `${counted(status.hold.count, 'destructive action')} held${kinds === '' ? '' : ` (${kinds})`}`,
      lines: [...status.hold.first, ...(status.hold.count > status.hold.first.length ? [`… and ${status.hold.count - status.hold.first.length} more (${run?.files.held ?? 'the held file beside the state'})`] : [])],
    });
    if (status.hold.approve !== null) commands.push({ label: 'After reviewing them, to approve exactly these', command: status.hold.approve });
  }
  if (run !== null && event !== 'recovery') {
    for (const [title, names, total] of [[counted(run.failed, 'action') + ' failed', run.first.failed, run.failed],
      [`${counted(run.conflicts, 'AD user')} not synced: a conflict with Duo (fix it in AD, or adopt)`, run.first.conflicts, run.conflicts],
      [`${counted(run.drift, 'managed user')} changed in Duo by someone else`, run.first.drift, run.drift]] as const) {
      if (total > 0) sections.push({ title, lines: [...names, ...(total > names.length ? [`… and ${total - names.length} more (see the report or "sync status")`] : [])] });
    }
  }
  if (run !== null && run.commands.plan !== '' && event !== 'recovery') commands.push({ label: 'To see what the sync would do now (changes nothing)', command: run.commands.plan });
  if (run !== null && run.commands.status !== '') commands.push({ label: 'Its health, any time', command: run.commands.status });

  const facts: [string, string][] = [['Duo tenant', host]];
  if (status.source !== null) facts.push(['AD source', status.source]);
  facts.push(['state', status.state]);
  if (run !== null) {
    facts.push(['last run', `${run.at}: ${outcomeOf(run)}`]);
    if (status.last_success !== null && status.last_success.at !== run.at) facts.push(['last successful run', `${status.last_success.at}: ${outcomeOf(status.last_success)}`]);
    if (run.files.report !== null) facts.push(['report', run.files.report]);
    if (run.files.summary !== null) facts.push(['summary', run.files.summary]);
    facts.push(['ran as', `${run.ran_by.account} on ${run.ran_by.machine}`]);
  }
  facts.push(['managed users', String(status.managed)]);
  return {
    subject, tone: event === 'recovery' ? 'good' : status.health === 'attention' ? 'warning' : 'bad', summary: summaryOf(event, status, now), sections, commands, facts,
    json: { notification: { event, health: status.health, subject }, ...(run === null ? {} : { run }), status },
  };
}

function subjectOf(event: NotificationEvent, status: SyncStatus, host: string, now: Date): string {
  if (event === 'recovery') return `duo-bridge sync on ${host}: recovered, in step again`;
  const hold = status.hold;
  switch (status.health) {
    case 'held':
      return event === 'reminder' && hold?.since
        ? `duo-bridge sync on ${host}: still held (${describeAge(now.getTime() - Date.parse(hold.since))}): ${counted(hold.count, 'destructive action')} wait for approval`
        : `duo-bridge sync on ${host}: held: ${counted(hold?.count ?? 0, 'destructive action')} ${hold?.count === 1 ? 'waits' : 'wait'} for ${hold?.id === null ? 'a complete read' : 'approval'}`;
    case 'stale':
      return `duo-bridge sync on ${host}: stale: no successful run${status.last_success === null ? '' : ` since ${status.last_success.at}`}`;
    case 'attention':
      return `duo-bridge sync on ${host}: needs attention: ${attentionCounts(status)}`;
    default:
      return `duo-bridge sync on ${host}: healthy`;
  }
}

function summaryOf(event: NotificationEvent, status: SyncStatus, now: Date): string {
  if (event === 'recovery') return 'The sync is healthy again: the last run applied what AD says, nothing is held, failed or conflicting. Nothing to do.';
  if (status.health === 'held') {
    return status.hold?.id === null
      ? 'A safeguard held destructive actions because a read of AD or Duo was incomplete. No approval releases them: the next complete read decides again. Find out why the read was cut short.'
      : `A safeguard held destructive actions${event === 'reminder' ? ` ${describeAge(now.getTime() - Date.parse(status.hold?.since ?? now.toISOString()))} ago, and they still wait` : ''}. Nothing destructive happens until someone reviews them and approves, or AD changes back. Everything else is still applied.`;
  }
  if (status.health === 'stale') return 'The scheduled sync has not completed a run within the expected time: it may not be starting, or it fails before it reads. Check the scheduler and the last run below.';
  return 'The last run needs a look: see below. The sync goes on running.';
}

function attentionCounts(status: SyncStatus): string {
  const run = status.last_run;
  if (run === null) return 'see the status';
  if (run.error !== null) return `the last run failed (exit ${run.exit})`;
  const parts = [run.failed > 0 ? `${counted(run.failed, 'action')} failed` : '', run.conflicts > 0 ? counted(run.conflicts, 'conflict') : '', run.drift > 0 ? `${counted(run.drift, 'user')} changed in Duo` : ''].filter((p) => p !== '');
  if (run.read_complete === false) parts.push('an incomplete read');
  return parts.join(', ') || 'see the status';
}

function outcomeOf(run: RunRecord): string {
  if (run.error !== null) return `failed (exit ${run.exit}): ${run.error}`;
  const counts = Object.entries(run.counts).map(([kind, n]) => `${n} ${kind}`).join(', ');
  return `exit ${run.exit}${counts === '' ? (run.held > 0 ? ', nothing else to do' : ', nothing to change') : `, ${counts}`}${run.held > 0 ? `, ${run.held} held` : ''}${run.approved ? `, released hold ${run.approved}` : ''}`;
}

/** `sync status --notify-test`: proof that the channels reach someone, saying nothing of health. */
export function testMessage(status: SyncStatus, ranAs: { account: string; machine: string }): Notification {
  const host = status.host ?? '(no Duo host recorded yet)';
  return {
    subject: `duo-bridge sync on ${host}: test message`, tone: 'good',
    summary: 'A test from "duo-bridge sync status --notify-test": the notifications of this sync reach you. Nothing else happened.',
    sections: [], commands: [{ label: 'Its health, any time', command: status.last_run?.commands.status || `duo-bridge sync status --state ${status.state}` }],
    facts: [['Duo tenant', host], ['state', status.state], ['health now', `${status.health} (exit ${status.exit})`], ['sent by', `${ranAs.account} on ${ranAs.machine}`]],
    json: { notification: { event: 'test', health: status.health, subject: `duo-bridge sync on ${host}: test message` }, status },
  };
}
