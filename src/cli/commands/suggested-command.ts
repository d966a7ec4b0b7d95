import { isAbsolute, resolve } from 'node:path';

/** Options whose value is a path: made absolute, so a command pasted in another folder still finds its files. */
const PATH_OPTIONS = new Set(['config', 'duo-config', 'state', 'from-ldif', 'ca', 'password-file', 'skey-file', 'report', 'summary-json', 'out', 'plan',
  'smtp-ca', 'smtp-password-file', 'notify-webhook-file', 'webhook-ca']);

/** Whether a config file names a file by a relative path: read from the folder the run started in, which a pasted command must start in too. */
export function hasRelativePaths(config: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(config).some(([key, value]) => PATH_OPTIONS.has(key) && typeof value === 'string' && !isAbsolute(value) && !/^[A-Za-z]:[\\/]/.test(value) && !value.startsWith('\\\\'));
}
/** Options that take no value (everything else that starts with -- takes the tokens up to the next option). */
const FLAGS = new Set(['apply', 'yes', 'adopt', 'watch', 'changes-only', 'accept-source-change', 'assert-sync-deleted', 'starttls', 'insecure-plaintext-bind', 'lowercase', 'help', 'version']);
/** For one run only: never repeated in a command the tool suggests. */
const ONE_RUN = ['approve', 'plan', 'out', 'max-disables', 'max-trashes', 'max-removals', 'max-renames', 'max-shrink-percent', 'accept-source-change', 'adopt', 'watch', 'interval', 'format'];
const NOTIFY = ['notify-email', 'smtp-url', 'smtp-from', 'smtp-ca', 'smtp-password-file', 'notify-webhook-file', 'webhook-format', 'webhook-ca'];

/** The commands a sync suggests, each complete: the run's own options (config, source, state), pasted as they are. */
export interface SyncCommands {
  /** Releases the held set `id` names: the scheduled run, with --approve ID --yes. */
  readonly approve: (id: string) => string;
  /** The same sync as a plan: what it would do now, nothing changed. */
  readonly plan: string;
  readonly status: string;
}

/**
 * Built from the command line as typed (`argv`, after the program's name): a command the tool prints
 * is the one that works when pasted, with the run's --config and source and the state it used.
 */
export function syncCommands(program: string, argv: readonly string[], statePath: string, cwd: string, platform: NodeJS.Platform = process.platform, options_: { cdFirst?: boolean } = {}): SyncCommands {
  const options = parseOptions(argv.slice(1), cwd);
  const withState = (kept: Option[]): Option[] => (kept.some((o) => o.name === 'state') ? kept : [...kept, { name: 'state', tokens: [`--state`, absolute(statePath, cwd)] }]);
  // A config with relative paths is read from the run's folder: the command goes there first.
  const cd = options_.cdFirst ? `${platform === 'win32' ? 'cd /d' : 'cd'} ${quote(cwd, platform)} && ` : '';
  const line = (tokens: string[]): string => cd + [program, ...tokens].map((t) => quote(t, platform)).join(' ');
  const scheduled = withState(options.filter((o) => !ONE_RUN.includes(o.name) && o.name !== 'apply' && o.name !== 'yes'));
  const planned = withState(options.filter((o) => !ONE_RUN.includes(o.name) && !NOTIFY.includes(o.name) && !['apply', 'yes', 'summary-json', 'report', 'changes-only', 'full-read-every'].includes(o.name)));
  return {
    approve: (id) => line(['sync', ...scheduled.flatMap((o) => o.tokens), '--apply', '--approve', id, '--yes']),
    plan: line(['sync', ...planned.flatMap((o) => o.tokens)]),
    status: [program, 'sync', 'status', '--state', absolute(statePath, cwd)].map((t) => quote(t, platform)).join(' '),
  };
}

interface Option {
  readonly name: string;
  readonly tokens: string[];
}

function parseOptions(args: readonly string[], cwd: string): Option[] {
  const options: Option[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    const name = (eq === -1 ? arg.slice(2) : arg.slice(2, eq)).replace(/^no-/, '');
    if (eq !== -1) {
      options.push({ name, tokens: [`--${name}`, PATH_OPTIONS.has(name) ? absolute(arg.slice(eq + 1), cwd) : arg.slice(eq + 1)] });
      continue;
    }
    const tokens = [arg];
    if (!FLAGS.has(name) && !arg.startsWith('--no-')) {
      while (i + 1 < args.length && !args[i + 1]!.startsWith('--')) {
        const value = args[++i]!;
        tokens.push(PATH_OPTIONS.has(name) ? absolute(value, cwd) : value);
      }
    }
    options.push({ name, tokens });
  }
  return options;
}

function absolute(path: string, cwd: string): string {
  return isAbsolute(path) || /^[A-Za-z]:[\\/]/.test(path) ? path : resolve(cwd, path);
}

/** Quoted for the shell the admin pastes into: POSIX sh, or cmd.exe / PowerShell on Windows. */
export function quote(token: string, platform: NodeJS.Platform = process.platform): string {
  // A backslash is a path separator on Windows, an escape character in sh.
  if (platform === 'win32' ? /^[\w@%+=:,./\\-]+$/.test(token) : /^[\w@%+=:,./-]+$/.test(token)) return token;
  if (platform === 'win32') return `"${token.replace(/"/g, '""')}"`;
  return `'${token.replace(/'/g, `'\\''`)}'`;
}
