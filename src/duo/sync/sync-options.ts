import { Ajv } from 'ajv';
import { lazyValidator } from '../../lazy-validator.js';
import { directoryLists, exportConfigProperties, listOf, readConfigFile, resolveDirectoryOptions, type DirectoryOptions, type ExportArgs } from '../../ad/export-options.js';
import { UsageError } from '../../errors.js';
import { nameKey } from '../../names.js';
import { duration, wholeNumber } from '../../option-values.js';
import { isLoopback } from '../api/duo-host.js';
import type { NotifyArgs } from '../../notify/notify-settings.js';
import { THRESHOLD_KINDS, type DriftKind, type DriftPolicy, type RunOverrides, type SyncPolicy, type ThresholdKind } from './sync-model.js';

/** The sync's own keys, as flags or in --config (the same names); the directory keys are export's. */
export interface SyncArgs extends ExportArgs, NotifyArgs {
  readonly state?: string | undefined;
  readonly 'trash-after-days'?: number | string | undefined;
  readonly 'max-shrink-percent'?: number | string | undefined;
  readonly 'threshold-count'?: number | string | undefined;
  readonly 'threshold-percent'?: number | string | undefined;
  /** Config only: per kind, { "disable": { "count": 10, "percent": 5 } }. */
  readonly thresholds?: Partial<Record<ThresholdKind, { count?: number; percent?: number }>> | undefined;
  readonly 'protect-user'?: readonly string[] | undefined;
  readonly 'protect-group'?: readonly string[] | undefined;
  readonly 'drift-status'?: string | undefined;
  readonly 'drift-fields'?: string | undefined;
  readonly 'drift-names'?: string | undefined;
  readonly 'drift-groups'?: string | undefined;
  readonly 'assert-sync-deleted'?: boolean | undefined;
  readonly 'changes-only'?: boolean | undefined;
  readonly 'full-read-every'?: string | undefined;
}

export interface SyncSettings {
  readonly directory: DirectoryOptions;
  readonly policy: Omit<SyncPolicy, 'adopt'>;
  /** --state, else the default under the user's state directory (chosen once the Duo host is known). */
  readonly statePath: string | undefined;
  /** --changes-only: the fast lane, with a full read at least this often. */
  readonly changesOnly: { readonly fullReadEveryMs: number } | undefined;
}

export const DEFAULT_THRESHOLD = { count: 10, percent: 5 } as const;
const DRIFT_DEFAULTS: Readonly<Record<DriftKind, DriftPolicy>> = { status: 'report', fields: 'ad-wins', names: 'ad-wins', groups: 'ad-wins' };

/** Flags > environment > config file > defaults, checked once. Disabled accounts are always read: a sync must tell them from leavers. */
export async function resolveSyncSettings(cli: SyncArgs, env: NodeJS.ProcessEnv, config: SyncArgs = {}): Promise<SyncSettings> {
  if (cli['include-disabled'] !== undefined || config['include-disabled'] !== undefined) {
    throw usage('sync always reads disabled accounts (that is how it knows whom to disable): drop include-disabled');
  }
  if ((cli['phone-attr'] ?? config['phone-attr'] ?? []).length > 0) {
    throw usage('sync does not manage phones (only users, their names, status and mapped groups): attach phones with "import --apply"; drop phone-attr');
  }
  const directory = await resolveDirectoryOptions(cli, env, config, { includeDisabled: true });
  const pick = <K extends keyof SyncArgs>(key: K): SyncArgs[K] => cli[key] ?? config[key];
  if (pick('state')?.trim() === '') throw usage('--state (or "state" in --config) is empty: name the state file, or leave the key out for the default');
  const count = wholeNumber('threshold-count', pick('threshold-count') ?? DEFAULT_THRESHOLD.count, 0, 10_000_000);
  const percent = wholeNumber('threshold-percent', pick('threshold-percent') ?? DEFAULT_THRESHOLD.percent, 0, 100);
  const perKind = config.thresholds ?? {};
  const thresholds = Object.fromEntries(THRESHOLD_KINDS.map((kind) => [kind, {
    count: wholeNumber(`thresholds.${kind}.count`, perKind[kind]?.count ?? count, 0, 10_000_000),
    percent: wholeNumber(`thresholds.${kind}.percent`, perKind[kind]?.percent ?? percent, 0, 100),
  }])) as SyncPolicy['thresholds'];
  const drift = Object.fromEntries((Object.keys(DRIFT_DEFAULTS) as DriftKind[]).map((kind) => {
    const value = pick(`drift-${kind}`) ?? DRIFT_DEFAULTS[kind];
    if (value !== 'ad-wins' && value !== 'report') throw usage(`--drift-${kind} is ad-wins or report, got ${JSON.stringify(value)}`);
    return [kind, value];
  })) as SyncPolicy['drift'];
  const every = pick('full-read-every');
  if (every !== undefined && !pick('changes-only')) throw usage('--full-read-every goes with --changes-only (a plain sync always reads in full)');
  if (pick('changes-only') && directory.source.kind !== 'ldap') throw usage('--changes-only reads AD\'s changes through DirSync: it needs an LDAP source (--url), not an LDIF dump');
  return {
    directory,
    statePath: pick('state'),
    changesOnly: pick('changes-only') ? { fullReadEveryMs: duration('full-read-every', every ?? '24h') } : undefined,
    policy: {
      trashAfterDays: wholeNumber('trash-after-days', pick('trash-after-days') ?? 30, 0, 3650),
      maxShrinkPercent: wholeNumber('max-shrink-percent', pick('max-shrink-percent') ?? 20, 0, 100),
      thresholds,
      protectUsers: new Set((pick('protect-user') ?? []).map(nameKey)),
      protectGroups: new Set((pick('protect-group') ?? []).map(nameKey)),
      drift,
      mappedGroups: directory.duoGroups.map((g) => g.name),
      syncDeleted: pick('assert-sync-deleted') ?? false,
    },
  };
}

/** --max-disables N and its kin: one run's threshold for one kind. */
/** What the command line allows for this run only (never a config key): a run's own overrides of its safeguards. */
export function overridesOf(args: Partial<Record<`max-${'disables' | 'trashes' | 'removals' | 'renames' | 'shrink-percent'}`, number | string | undefined>> & { readonly 'accept-source-change'?: boolean | undefined }): RunOverrides {
  const flags: Record<ThresholdKind, `max-${'disables' | 'trashes' | 'removals' | 'renames'}`> = { disable: 'max-disables', trash: 'max-trashes', removal: 'max-removals', rename: 'max-renames' };
  const kinds: Partial<Record<ThresholdKind, number>> = {};
  for (const kind of THRESHOLD_KINDS) {
    const value = args[flags[kind]];
    if (value !== undefined) kinds[kind] = wholeNumber(flags[kind], value, 0, 10_000_000);
  }
  const shrink = args['max-shrink-percent'];
  return {
    ...(Object.keys(kinds).length > 0 ? { kinds } : {}),
    ...(shrink !== undefined ? { shrinkPercent: wholeNumber('max-shrink-percent', shrink, 0, 100) } : {}),
    ...(args['accept-source-change'] ? { sourceChange: true } : {}),
  };
}

/**
 * DUO_BRIDGE_SYNC_NOW: the clock of a rehearsal (an ISO 8601 time every time the sync records is
 * on). Refused against a Duo that is not on this machine: a production tenant runs on real time.
 */
export function rehearsalClock(value: string | undefined, host: string): (() => Date) | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw usage(`DUO_BRIDGE_SYNC_NOW must be an ISO 8601 time, got ${JSON.stringify(value)}`);
  if (!isLoopback(new URL(`https://${host}`).hostname)) {
    throw usage(`DUO_BRIDGE_SYNC_NOW sets a rehearsal's clock and is refused against ${host}: it is for a simulator on this machine (unset it)`);
  }
  return () => new Date(at);
}

function usage(message: string): UsageError {
  return new UsageError('BAD_OPTION', message);
}

const names = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
const threshold = { type: 'object', properties: { count: { type: 'integer', minimum: 0 }, percent: { type: 'number', minimum: 0, maximum: 100 } }, additionalProperties: false };
const drift = { enum: ['ad-wins', 'report'] };
const { out: _out, format: _format, crlf: _crlf, 'include-disabled': _disabled, ...directoryKeys } = exportConfigProperties;
const validateConfig = lazyValidator(() => new Ajv({ allErrors: true, strict: true }).compile({
  type: 'object',
  properties: {
    ...directoryKeys,
    state: { type: 'string' },
    'trash-after-days': { type: 'integer', minimum: 0 },
    'max-shrink-percent': { type: 'integer', minimum: 0, maximum: 100 },
    'threshold-count': { type: 'integer', minimum: 0 },
    'threshold-percent': { type: 'integer', minimum: 0, maximum: 100 },
    thresholds: { type: 'object', properties: Object.fromEntries(THRESHOLD_KINDS.map((k) => [k, threshold])), additionalProperties: false },
    'protect-user': names,
    'protect-group': names,
    'drift-status': drift,
    'drift-fields': drift,
    'drift-names': drift,
    'drift-groups': drift,
    'assert-sync-deleted': { type: 'boolean' },
    'changes-only': { type: 'boolean' },
    'full-read-every': { type: 'string', pattern: '^\\s*\\d{1,6}\\s*[mhd]\\s*$' },
    'notify-email': names,
    'smtp-url': { type: 'string' },
    'smtp-from': { type: 'string' },
    'smtp-ca': { type: 'string' },
    'smtp-password-file': { type: 'string' },
    'notify-webhook-file': { type: 'string' },
    'webhook-format': { enum: ['json', 'teams', 'slack'] },
    'webhook-ca': { type: 'string' },
  },
  patternProperties: { '^//': {} },
  additionalProperties: false,
}));

/** Reads and checks `sync --config`: export's keys plus the sync's; every message names the file and the key. */
export async function loadSyncConfig(path: string): Promise<SyncArgs> {
  const config = await readConfigFile(path, validateConfig, 'secrets do not belong in a config file; use LDAP_BIND_PASSWORD / --password-file, DUO_SKEY / --skey-file, SMTP_PASSWORD / --smtp-password-file, and a --notify-webhook-file for webhook URLs');
  return { ...directoryLists<SyncArgs>(config), 'protect-user': listOf(config['protect-user']), 'protect-group': listOf(config['protect-group']), 'notify-email': listOf(config['notify-email']) };
}
