import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { writeJsonAtomically } from '../../atomic-file.js';
import type { DuoArgs } from '../../duo/api/connection.js';
import { runSync, type SyncRunResult } from '../../duo/sync/run-sync.js';
import { loadSyncConfig, overridesOf, rehearsalClock, resolveSyncSettings, type SyncArgs } from '../../duo/sync/sync-options.js';
import { ACTION_KINDS, type SyncAction, type SyncPlan } from '../../duo/sync/sync-plan.js';
import { defaultStatePath, refuseEarlierDefaultState } from '../../duo/sync/sync-state.js';
import { sealPlan } from '../../duo/sync/saved-plan.js';
import { describeAction, SYNC_LABELS, syncRunJson, syncSummary } from '../../duo/sync/sync-summary.js';
import { syncReport } from '../../report/sync-report.js';
import { checkReportPath } from '../../report/write-report.js';
import { reportOption, runInfo, saveReport, type ReportArgs } from './report-option.js';
import { RemoteError, UsageError } from '../../errors.js';
import { resolveNotifySettings } from '../../notify/notify-settings.js';
import { recordOfFailure, recordOfResult, type RunContext } from '../../duo/sync/sync-health.js';
import { updateHealth } from '../../duo/sync/sync-notify.js';
import { notifyOptions, programOf } from './notify-options.js';
import { hasRelativePaths, syncCommands } from './suggested-command.js';
import { syncStatusCommand } from './sync-status.js';
import { wholeNumber } from '../../option-values.js';
import { MAX_REMOTE_FAILURES, watchSync } from '../../duo/sync/watch-sync.js';
import { styler, type CliIo, type Style } from '../io.js';
import { count, counted, ProgressLine } from '../progress.js';
import type { CommandModule } from './command.js';
import { directoryOptions } from './directory-options.js';
import { bulkOptions, bulkSizeOf, confirmWrites, connectToDuo, duoOptions, refuseWithoutPrompt, type BulkArgs } from './duo-connection.js';

type SyncCliArgs = SyncArgs & DuoArgs & BulkArgs & ReportArgs & {
  config?: string;
  apply?: boolean;
  plan?: string;
  approve?: string;
  adopt?: boolean;
  yes?: boolean;
  out?: string;
  'summary-json'?: string;
  'max-disables'?: number | string;
  'max-trashes'?: number | string;
  'max-removals'?: number | string;
  'max-renames'?: number | string;
  'accept-source-change'?: boolean;
  'ldap-timeout'?: number | string;
  watch?: boolean;
  interval?: number | string;
};

const LISTED = 20;

export const syncCommand: CommandModule<SyncCliArgs> = {
  command: 'sync',
  describe: 'Keep Duo in step with AD: plan (default), or --apply; deprovisioning by disable, then Trash; safeguards hold mass changes',
  subcommands: [syncStatusCommand],
  optionalSubcommand: true,
  builder: (yargs: Argv) =>
    notifyOptions(reportOption(directoryOptions(bulkOptions(duoOptions(yargs)), 'sync')))
      .option('config', { type: 'string', describe: 'JSON file with any of these options (no secrets); flags win (see templates/sync.config.json)' })
      .option('apply', { type: 'boolean', describe: 'apply the plan (what a scheduler runs); without it, only plan' })
      .option('plan', { type: 'string', describe: 'with --apply: apply exactly this saved plan (from --out), refused if AD or Duo changed since' })
      .option('out', { type: 'string', describe: 'write the plan as JSON (for review, then --apply --plan FILE)' })
      .option('format', { choices: ['text', 'json'], describe: 'the report on stdout (default text)' })
      .option('summary-json', { type: 'string', describe: 'write the run\'s summary as JSON (for monitoring)' })
      .option('state', { type: 'string', describe: 'the sync state file (default: one per tenant and source under ~/.local/state/duo-bridge; %ProgramData%\\duo-bridge on Windows)' })
      .option('adopt', { type: 'boolean', describe: 'take over Duo users that match an AD user by username or alias (listed in the plan)' })
      .option('approve', { type: 'string', describe: 'with --apply: release the destructive actions the safeguards held in plan PLAN_ID (once)' })
      .option('yes', { type: 'boolean', describe: 'with --apply: do not ask for confirmation' })
      .group(['changes-only', 'full-read-every', 'watch', 'interval'], 'The fast lane:')
      .option('changes-only', { type: 'boolean', describe: 'read only what changed in AD since the last run (DirSync, no replication right needed) and Duo only for those users; a quiet run calls Duo not at all' })
      .option('full-read-every', { type: 'string', requiresArg: true, describe: 'with --changes-only: read both sides in full at least this often (30m, 24h, 7d; default 24h): deletions and changes made in Duo are found there' })
      .option('watch', { type: 'boolean', describe: 'with --apply --yes: run again and again, --interval seconds apart, until SIGTERM (a service instead of a timer)' })
      .option('interval', { type: 'number', requiresArg: true, describe: 'with --watch: seconds between the end of a run and the start of the next (default 60)' })
      .group(['trash-after-days', 'threshold-count', 'threshold-percent', 'max-shrink-percent', 'accept-source-change', 'max-disables', 'max-trashes', 'max-removals', 'max-renames', 'protect-user', 'protect-group', 'assert-sync-deleted'], 'Safeguards:')
      .option('trash-after-days', { type: 'number', requiresArg: true, describe: 'days a user stays disabled after leaving AD before it goes to the Trash (default 30)' })
      .option('threshold-count', { type: 'number', requiresArg: true, describe: 'a destructive kind (disable, trash, removal, rename) is held when more than this many… (default 10)' })
      .option('threshold-percent', { type: 'number', requiresArg: true, describe: '…and more than this % of managed users (default 5)' })
      .option('max-shrink-percent', { type: 'number', requiresArg: true, describe: 'nothing destructive when AD shrank more than this % since the last complete read (default 20); on the command line it also lifts a shrink hold for this run' })
      .option('accept-source-change', { type: 'boolean', describe: 'this run only: the AD source (domain, base, filter) changed on purpose; an approval alone never lifts that hold' })
      .option('max-disables', { type: 'number', requiresArg: true, describe: 'this run only: allow up to N disables (lifts an earlier hold for disables)' })
      .option('max-trashes', { type: 'number', requiresArg: true, describe: 'this run only: allow up to N sends to the Trash' })
      .option('max-removals', { type: 'number', requiresArg: true, describe: 'this run only: allow up to N group membership removals' })
      .option('max-renames', { type: 'number', requiresArg: true, describe: 'this run only: allow up to N renames' })
      .option('protect-user', { type: 'string', array: true, describe: 'a Duo username never touched (break-glass, service accounts; repeatable)' })
      .option('protect-group', { type: 'string', array: true, describe: 'a Duo group whose memberships are never changed (repeatable)' })
      .option('assert-sync-deleted', { type: 'boolean', describe: 'the Duo directory sync that created users is deleted: last_directory_sync no longer protects them' })
      .group(['drift-status', 'drift-fields', 'drift-names', 'drift-groups'], 'Changes made in Duo by others:')
      .option('drift-status', { choices: ['report', 'ad-wins'], describe: 'a status changed in Duo (default report)' })
      .option('drift-fields', { choices: ['report', 'ad-wins'], describe: 'a name or email edited in Duo (default ad-wins)' })
      .option('drift-names', { choices: ['report', 'ad-wins'], describe: 'a username or alias changed in Duo (default ad-wins)' })
      .option('drift-groups', { choices: ['report', 'ad-wins'], describe: 'a mapped group membership added in Duo (default ad-wins)' })
      .example('$0 sync --config sync.json', 'plan: what a sync would do, nothing changed')
      .example('$0 sync --config sync.json --adopt --out plan.json', 'first run: match existing Duo users, save the plan for review')
      .example('$0 sync --config sync.json --apply --plan plan.json --yes', 'apply exactly the reviewed plan')
      .example('$0 sync --config sync.json --apply --yes --summary-json last-run.json', 'the scheduled run')
      .example('$0 sync --config sync.json --apply --approve 3f2a9c1b7d4e --yes', 'release what a safeguard held')
      .example('$0 sync --config sync.json --report sync.html', 'the plan as a page for the approver')
      .example('$0 sync --config sync.json --apply --yes --changes-only --watch --interval 60', 'the fast lane as a service: a leaver disabled in AD loses Duo within a minute'),
  run: async (args, io: CliIo, argv) => {
    for (const flag of ['plan', 'approve', 'max-disables', 'max-trashes', 'max-removals', 'max-renames', 'accept-source-change', 'yes', 'watch'] as const) {
      if (args[flag] !== undefined && !args.apply) throw new UsageError('BAD_OPTION', `--${flag} goes with --apply`);
    }
    if (args.interval !== undefined && !args.watch) throw new UsageError('BAD_OPTION', '--interval goes with --watch');
    if (args.watch && !args.yes) throw new UsageError('BAD_OPTION', '--watch runs unattended: add --yes');
    if (args.watch && (args.plan !== undefined || args.approve !== undefined || args.out !== undefined || Object.keys(overridesOf(args)).length > 0)) {
      throw new UsageError('BAD_OPTION', '--watch repeats the scheduled run: --plan, --approve, --out and --max-* are for one run (run them once, without --watch)');
    }
    const intervalMs = wholeNumber('interval', args.interval ?? 60, 1, 86_400) * 1000;
    if (args.plan !== undefined && args.adopt) throw new UsageError('BAD_OPTION', '--adopt makes a new plan; a saved plan already says whom it adopts');
    if (args.plan !== undefined && (args.approve !== undefined || Object.keys(overridesOf(args)).length > 0)) {
      throw new UsageError('BAD_OPTION', 'a saved plan is applied as it was made, holds included: --approve and --max-* go with a new plan (drop --plan)');
    }
    if (args.apply) refuseWithoutPrompt(io, args.yes);
    if (args.report !== undefined) await checkReportPath(args.report);
    const config = args.config === undefined ? {} : await loadSyncConfig(args.config);
    // sync's --timeout was always Duo's (now --duo-timeout): never the LDAP one.
    const cli = { ...args, timeout: undefined } as SyncArgs;
    const settings = await resolveSyncSettings(cli, io.env, config);
    const overrides = overridesOf(args);
    const duo = await connectToDuo(args, io, (ms) => io.err(`Duo answered 429: waiting ${(ms / 1000).toFixed(1)} s\n`));
    const source = settings.directory.source;
    const stateSource = {
      base: source.kind === 'ldap' ? source.base : '', filter: settings.directory.selection.filter ?? '', usernameAttribute: settings.directory.mapping.usernameAttribute, ldif: source.kind === 'ldif',
    };
    if (settings.statePath === undefined) await refuseEarlierDefaultState(io.env, duo.host, stateSource);
    // Absolute from here on: the journals the state names, and the commands the run prints, work from any folder.
    const statePath = resolve(io.cwd, settings.statePath ?? defaultStatePath(io.env, duo.host, stateSource));
    const clock = rehearsalClock(io.env.DUO_BRIDGE_SYNC_NOW, duo.host);
    const style = styler(io.outIsTTY);
    const notify = await resolveNotifySettings(args, io.env, config);
    const commands = syncCommands(programOf(io), argv, statePath, io.cwd, process.platform, { cdFirst: hasRelativePaths(config as Readonly<Record<string, unknown>>) });
    const sourceText = source.kind === 'ldap' ? `${source.url} ${source.base}` : `LDIF dump ${resolve(io.cwd, source.file)}`;
    const absolute = (path: string | undefined): string | null => (path === undefined ? null : resolve(io.cwd, path));
    const runContext = (): RunContext => ({
      at: clock?.() ?? new Date(), files: { report: absolute(args.report), summary: absolute(args['summary-json']) }, commands, trashAfterDays: settings.policy.trashAfterDays,
    });
    // An applying run records its outcome beside the state and says so when the health changed (issue 29).
    const recordHealth = async (record: Parameters<typeof updateHealth>[0]['record']): Promise<void> => {
      const outcome = await updateHealth({ statePath, host: duo.host, source: sourceText, now: clock?.() ?? new Date(), record, notify });
      for (const warning of outcome.warnings) io.err(`warning: ${warning}\n`);
      if (outcome.event !== null && outcome.delivery !== null && outcome.delivery.delivered > 0) io.err(`notified: ${outcome.event} (${outcome.status.health}) on ${outcome.delivery.delivered} of ${outcome.delivery.attempted} channels\n`);
    };

    const applying = async (): Promise<number> => {
      try {
        return await once();
      } catch (error) {
        // A run that failed (AD or Duo unreachable, a read cut off) is news too; a refusal (exit 2) is the scheduler's to show.
        if (error instanceof RemoteError) await recordHealth(recordOfFailure(error.message, error.exitCode, runContext()));
        throw error;
      }
    };
    const once = async (): Promise<number> => {
      const progress = new ProgressLine(io);
      const calls = { ...duo.client.stats };
      const result = await runSync({
        directory: settings.directory, policy: { ...settings.policy, adopt: args.adopt ?? false }, client: duo.client, host: duo.host, statePath,
        mode: args.apply ? 'apply' : 'plan', savedPlan: args.plan, approve: args.approve, overrides, bulkSize: bulkSizeOf(args), changesOnly: settings.changesOnly,
        ...(clock === undefined ? {} : { now: clock }),
        approveCommand: commands.approve,
        onNotice: (message) => progress.note(message),
        onStage: (stage) => progress.update(() => `sync: ${stage}`),
        confirm: async (plan) => {
          progress.done();
          if (args.format !== 'json') printPlan(io, plan, style);
          await confirmWrites(io, args.yes, `Apply ${counted(plan.actions.length, 'action')} to ${duo.host}?`);
          return true;
        },
      }).finally(() => progress.done());
      if (result === null) throw new UsageError('NOT_CONFIRMED', 'nothing was changed');

      if (args.out !== undefined) await writeJsonAtomically(args.out, sealPlan(result.plan));
      const summary = syncSummary(result, { host: duo.host, statePath, calls: duo.client.stats.calls - calls.calls, writes: duo.client.stats.writes - calls.writes, seconds: Number(progress.elapsedSeconds().toFixed(1)) });
      if (args['summary-json'] !== undefined) await writeJsonAtomically(args['summary-json'], summary);
      const json = syncRunJson(summary, result);
      if (args.report !== undefined) {
        await saveReport(io, args.report, await syncReport(json, runInfo(argv, duo.host, source.kind === 'ldif' ? [['LDIF dump', source.file]] : []), commands.approve, settings.policy));
      }
      if (args.format === 'json') io.out(JSON.stringify(json, null, 1) + '\n');
      else {
        if (result.applied === null) printPlan(io, result.plan, style);
        printOutcome(io, result, style, commands.approve);
      }
      if (result.stateProblem !== null) io.err(`warning: the sync state was unreadable: ${result.stateProblem}\n`);
      if (result.recovered !== null) io.err(`note: the run recorded in ${result.recovered} had stopped part-way; what it did is now in the state\n`);
      io.err(`${oneLine(result, duo.host)}\n`);
      if (result.mode === 'apply') await recordHealth(recordOfResult(result, runContext()));
      return result.exitCode;
    };
    if (!args.watch) return args.apply ? applying() : once();
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    try {
      return await watchSync(applying, { intervalMs, signal: stop.signal, onRemoteError: (error, inARow) => io.err(`error: ${error.message} (exit ${error.exitCode}); the next run tries again (${inARow} of ${MAX_REMOTE_FAILURES} failures in a row before --watch stops)\n`),
        onBusy: (error) => io.err(`note: ${error.message}: this run is skipped, the next tries again\n`) });
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  },
};

function oneLine(result: SyncRunResult, host: string): string {
  const plan = result.plan;
  const inSync = plan.actions.length === 0 && plan.held.length === 0 && plan.conflicts.length === 0 && plan.read_complete;
  const verb = result.mode === 'plan' ? 'planned' : plan.held.length > 0 ? 'applied with a hold:' : 'applied';
  const what = inSync ? 'in sync' : plan.actions.length === 0 && plan.held.length === 0 ? `nothing to change${plan.read_complete ? '' : ' in what an incomplete read showed'}` : `${verb} ${plan.actions.length} actions` +
    `${result.failed > 0 ? `, ${result.failed} failed` : ''}${plan.held.length > 0 ? `, ${plan.held.length} held by a safeguard` : ''}`;
  const read = result.read.kind === 'changes' ? ` · read AD's changes (${count(result.read.changed ?? 0)} objects)` : result.read.why === null ? '' : ` · read in full: ${result.read.why}`;
  return `sync ${plan.plan_id} ${host}: ${what}${read} · AD ${count(plan.ad_users)} users, ${count(plan.managed)} managed` +
    `${plan.conflicts.length > 0 ? ` · ${counted(plan.conflicts.length, 'conflict')}` : ''}${plan.drift.length > 0 ? ` · ${count(plan.drift.length)} drift` : ''} (exit ${result.exitCode})`;
}

/**
 * The plan in sections, each with a heading: what is held (and why), what is taken away, who is
 * taken over, what is added or changed, then what the sync can't do (conflicts) and what others
 * changed (drift). Every action line says what changes.
 */
function printPlan(io: CliIo, plan: SyncPlan, style: ReturnType<typeof styler>): void {
  const counts = ACTION_KINDS.map((kind) => [kind, plan.actions.filter((a) => a.kind === kind).length] as const).filter(([, n]) => n > 0);
  io.out(`sync plan ${plan.plan_id}: AD ${counted(plan.ad_users, 'user')} · Duo ${counted(plan.duo_users, 'user')} · ${count(plan.managed)} managed\n`);
  const held = plan.held.length > 0 ? `${counted(plan.held.length, 'destructive action')} held by a safeguard (below)` : '';
  io.out(counts.length === 0
    ? `${held === '' ? 'nothing to change' : `nothing else to do; ${held}`}\n`
    : `to do: ${counts.map(([kind, n]) => `${SYNC_LABELS[kind]} ${count(n)}`).join(' · ')}${held === '' ? '' : `; ${held}`}\n`);
  for (const notice of plan.notices ?? []) io.out(style('yellow', `note: ${notice}\n`));
  if (plan.approved !== null) io.out(style('green', `approved: this run releases what hold ${plan.approved} held\n`));
  const list = (lines: readonly string[]): void => {
    for (const line of lines.slice(0, LISTED)) io.out(`  ${line}\n`);
    if (lines.length > LISTED) io.out(`  … and ${count(lines.length - LISTED)} more (--format json or --report has them all)\n`);
  };
  const section = (heading: string, lines: readonly string[], colour?: Style): void => {
    if (lines.length === 0) return;
    io.out(colour === undefined ? `${heading}\n` : style(colour, `${heading}\n`));
    list(lines);
  };
  if (plan.held.length > 0) {
    io.out(style('red', `held by a safeguard: ${counted(plan.held.length, 'destructive action')}, not applied\n`));
    for (const reason of plan.hold_reasons) io.out(`  because ${reason}\n`);
    list(plan.held.map(describeAction));
  }
  const kinds = (...wanted: SyncAction['kind'][]): SyncAction[] => plan.actions.filter((a) => wanted.includes(a.kind));
  section(`taking away (destructive: ${counted(kinds('disable', 'trash', 'remove_membership', 'rename').length, 'action')}):`, kinds('disable', 'trash', 'remove_membership', 'rename').map(describeAction), 'red');
  section(`taking over (${counted(kinds('adopt', 'reanchor').length, 'Duo user')} that ${kinds('adopt', 'reanchor').length === 1 ? 'is' : 'are'} these AD users, by the evidence shown):`, kinds('adopt', 'reanchor').map(describeAction));
  section(`adding and changing (${counted(kinds('create', 'update', 'enable', 'restore', 'add_membership').length, 'action')}):`, kinds('create', 'restore', 'enable', 'update', 'add_membership').map(describeAction));
  section(`conflicts: ${counted(plan.conflicts.length, 'AD user')} not synced (fix it in AD, or adopt with --adopt; the next run syncs ${plan.conflicts.length === 1 ? 'it' : 'them'}):`, plan.conflicts.map((c) => `${c.username}: ${c.reason}`), 'yellow');
  section(`changed in Duo by someone else: ${counted(plan.drift.length, 'user')}`, plan.drift.map((d) => `${d.username}: ${d.detail} (${d.policy === 'report' ? 'reported only' : 'AD wins: set back'})`), 'yellow');
  if (plan.ad_unusable > 0) io.out(style('yellow', `${counted(plan.ad_unusable, 'AD user has', 'AD users have')} no objectGUID or no username: not synced (add objectGUID to the dump, or choose another --username-attr)\n`));
  section('forgotten (no longer in Duo):', plan.gone.map((g) => g.username));
  section('left alone:', plan.untouched.map((u) => `${u.username} (${u.reason})`));
}

function printOutcome(io: CliIo, result: SyncRunResult, style: ReturnType<typeof styler>, approve: (id: string) => string): void {
  if (result.applied !== null) {
    const failed = result.applied.results.filter((r) => !r.ok);
    io.out(`applied: ${count(result.applied.results.length - failed.length)} done, ${style(failed.length > 0 ? 'red' : 'green', `${count(failed.length)} failed`)}\n`);
    for (const f of failed.slice(0, LISTED)) io.out(`  failed: ${describeAction(f.action)}: ${f.error}\n`);
    if (failed.length > LISTED) io.out(`  … and ${count(failed.length - LISTED)} more\n`);
    io.out(`journal: ${result.journal} (undo with "duo-bridge rollback ${result.journal} --apply")\n`);
  }
  if (result.heldFile !== null) {
    io.out(result.plan.approve_id === null
      ? `held actions: ${result.heldFile}; an incomplete read or an untrusted clock holds them: no approval releases them, a complete read decides again\n`
      : `held actions: ${result.heldFile}; review them, then approve exactly these with:\n  ${approve(result.plan.approve_id)}\n`);
  }
}

