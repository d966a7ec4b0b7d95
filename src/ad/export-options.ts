import { Ajv, type ValidateFunction } from 'ajv';
import { lazyValidator } from '../lazy-validator.js';
import { UsageError } from '../errors.js';
import { readOptionFile, wholeNumber, withoutBom } from '../option-values.js';
import { MAX_GROUPS, MAX_PHONES } from '../csv/columns.js';
import { parseCountry } from '../phone.js';
import { formatOf, type TableFormat } from '../csv/row-writer.js';
import type { UserMapping } from './map-user.js';
import type { UserSelection } from './user-filter.js';

/** Export options as the user gives them: flags, or keys of a --config file (the same names). */
export interface ExportArgs {
  readonly out?: string | undefined;
  readonly url?: string | undefined;
  readonly 'bind-dn'?: string | undefined;
  readonly base?: string | undefined;
  readonly starttls?: boolean | undefined;
  readonly ca?: string | undefined;
  /** A simple bind over plain ldap://: the password crosses the network in clear. Command line only. */
  readonly 'insecure-plaintext-bind'?: boolean | undefined;
  readonly 'password-file'?: string | undefined;
  readonly 'from-ldif'?: string | undefined;
  readonly filter?: string | undefined;
  readonly group?: readonly string[] | undefined;
  readonly 'include-disabled'?: boolean | undefined;
  readonly 'username-attr'?: string | undefined;
  readonly 'alias-attr'?: readonly string[] | undefined;
  readonly lowercase?: boolean | undefined;
  readonly 'page-size'?: number | string | undefined;
  /** Seconds per LDAP operation. */
  readonly 'ldap-timeout'?: number | string | undefined;
  /** export's earlier spelling of --ldap-timeout (still read). */
  readonly timeout?: number | string | undefined;
  readonly 'connect-timeout'?: number | string | undefined;
  readonly crlf?: boolean | undefined;
  readonly 'phone-attr'?: readonly string[] | undefined;
  /** csv or xlsx; default from --out's extension. */
  readonly format?: string | undefined;
  readonly 'default-country'?: string | undefined;
  /** Group DNs whose members get the group as a Duo group; in a config file also { DN: "Duo name" }. */
  readonly 'duo-group'?: readonly string[] | Readonly<Record<string, string>> | undefined;
}

/** An AD group whose members (at any depth) get a Duo group. */
export interface DuoGroupMapping {
  readonly dn: string;
  /** The Duo group name: the config file's, else the group's cn. */
  readonly name: string;
}

export type ExportSource =
  | {
      readonly kind: 'ldap';
      readonly url: string;
      readonly bindDn: string;
      readonly password: string;
      readonly base: string;
      readonly startTls: boolean;
      readonly ca: string | undefined;
      readonly pageSize: number;
      readonly connectTimeoutMs: number;
      readonly operationTimeoutMs: number;
      /** Only a read from this DC (its invocationId) is taken: see LdapSourceOptions.sameDc. */
      readonly sameDc?: string | undefined;
    }
  | { readonly kind: 'ldif'; readonly file: string };

/** Where the users come from and how they map to Duo: what export and sync share. */
export interface DirectoryOptions {
  readonly source: ExportSource;
  readonly selection: UserSelection;
  readonly mapping: UserMapping;
  readonly duoGroups: readonly DuoGroupMapping[];
}

export interface ExportOptions extends DirectoryOptions {
  readonly out: string;
  readonly format: TableFormat;
  readonly crlf: boolean;
}

export const DEFAULT_PAGE_SIZE = 500;

/**
 * Flags > environment > config file > defaults, checked once into one frozen object. Secrets come
 * only from LDAP_BIND_PASSWORD or --password-file, and no message ever repeats them.
 */
export async function resolveExportOptions(
  cli: ExportArgs,
  env: NodeJS.ProcessEnv,
  config: ExportArgs = {},
): Promise<Readonly<ExportOptions>> {
  const pick = <K extends keyof ExportArgs>(key: K, envName?: string): ExportArgs[K] =>
    cli[key] ?? (envName !== undefined && env[envName] ? (env[envName] as ExportArgs[K]) : undefined) ?? config[key];

  const out = pick('out');
  if (out === undefined || out === '') throw usage('--out FILE is required: where to write the CSV');
  const directory = await resolveDirectoryOptions(cli, env, config);
  const format = pick('format');
  if (format !== undefined && format !== 'csv' && format !== 'xlsx') throw usage(`--format is csv or xlsx, got ${JSON.stringify(format)}`);
  return Object.freeze({ ...directory, out, format: formatOf(out, format), crlf: pick('crlf') ?? false });
}

/** The source, selection and mapping options, as export and sync read them (flags > environment > config file). */
export async function resolveDirectoryOptions(
  cli: ExportArgs,
  env: NodeJS.ProcessEnv,
  config: ExportArgs = {},
  forced: { includeDisabled?: boolean } = {},
): Promise<DirectoryOptions> {
  const pick = <K extends keyof ExportArgs>(key: K, envName?: string): ExportArgs[K] =>
    cli[key] ?? (envName !== undefined && env[envName] ? (env[envName] as ExportArgs[K]) : undefined) ?? config[key];
  // An empty attribute name reads nothing: every user would come out unnamed and "in sync".
  for (const key of ['username-attr', 'alias-attr', 'phone-attr', 'from-ldif', 'filter', 'group'] as const) {
    for (const value of ([] as (string | undefined)[]).concat(pick(key))) {
      if (value !== undefined && value.trim() === '') throw usage(`--${key} (or "${key}" in --config) is empty: ${EMPTY_ADVICE[key]}`);
    }
  }
  const aliasAttributes = pick('alias-attr') ?? [];
  if (aliasAttributes.length > 8) throw usage(`--alias-attr can be given at most 8 times (Duo has alias1..alias8), got ${aliasAttributes.length}`);
  const selection: UserSelection = {
    filter: pick('filter'),
    groups: pick('group') ?? [],
    includeDisabled: forced.includeDisabled ?? pick('include-disabled') ?? false,
  };
  const phoneAttributes = pick('phone-attr') ?? [];
  if (phoneAttributes.length > MAX_PHONES) throw usage(`--phone-attr can be given at most ${MAX_PHONES} times (Duo's phones per user)`);
  const mapping: UserMapping = {
    usernameAttribute: pick('username-attr') ?? 'sAMAccountName',
    aliasAttributes,
    lowercase: pick('lowercase') ?? false,
    phoneAttributes,
    defaultCountry: parseCountry(pick('default-country')),
  };
  const duoGroups = duoGroupMappings(cli['duo-group'] ?? config['duo-group']);
  const ldif = pick('from-ldif');
  const url = pick('url', 'LDAP_URL');
  let source: ExportSource;
  if (ldif !== undefined) {
    if (cli.url !== undefined || config.url !== undefined) throw usage('give either --url or --from-ldif, not both');
    if (selection.filter !== undefined || selection.groups.length > 0) {
      throw usage('--filter and --group need an LDAP source; with --from-ldif, select the users when you make the dump');
    }
    source = { kind: 'ldif', file: ldif };
  } else if (url !== undefined) {
    source = await resolveLdapSource(url, pick, env);
  } else {
    throw usage('name a source: --url ldaps://dc.example (or LDAP_URL), or --from-ldif FILE');
  }
  return { source, selection, mapping, duoGroups };
}

const EMPTY_ADVICE = {
  'username-attr': 'name the attribute that holds the Duo username (default sAMAccountName), or leave the key out',
  'alias-attr': 'name an attribute, or leave the key out',
  'phone-attr': 'name an attribute, or leave the key out',
  'from-ldif': 'name the LDIF file',
  filter: 'give an LDAP filter such as (department=Sales), or leave the key out',
  group: 'give a group DN, or leave the key out',
} as const;

/** --duo-group DN (the Duo group is named after the group's cn), or a config map of DN → Duo name. */
function duoGroupMappings(value: ExportArgs['duo-group']): DuoGroupMapping[] {
  if (value === undefined) return [];
  const pairs: [string, string | undefined][] = Array.isArray(value) ? (value as string[]).map((dn) => [dn, undefined]) : Object.entries(value);
  if (pairs.length > MAX_GROUPS) throw usage(`at most ${MAX_GROUPS} --duo-group (Duo's groups per user)`);
  return pairs.map(([dn, name]) => {
    const cn = /^\s*cn=((?:\\.|[^,\\])+)/i.exec(dn)?.[1]?.replace(/\\(.)/g, '$1');
    if (name === undefined && cn === undefined) throw usage(`--duo-group needs a group DN starting with CN=, got ${JSON.stringify(dn)}`);
    return { dn, name: (name ?? cn!).trim() };
  });
}

async function resolveLdapSource(
  url: string,
  pick: <K extends keyof ExportArgs>(key: K, envName?: string) => ExportArgs[K],
  env: NodeJS.ProcessEnv,
): Promise<ExportSource> {
  // user:password@ in the URL is a secret on the command line (and in every report that names the source): refused, and not quoted.
  if (/^ldaps?:\/\/[^/]*@/i.test(url)) throw usage('--url must not hold a user or password: the bind account is --bind-dn, its password LDAP_BIND_PASSWORD or --password-file');
  const scheme = /^(ldaps?):\/\/[^/]+\/?$/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) throw usage(`--url must look like ldaps://host[:port] or ldap://host[:port], got ${JSON.stringify(url)}`);
  const startTls = pick('starttls') ?? false;
  if (startTls && scheme === 'ldaps') throw usage('--starttls is for ldap:// URLs; ldaps:// is already TLS');
  const caFile = pick('ca');
  if (scheme === 'ldap' && !startTls) {
    // ldap:// is plain text until StartTLS: a CA alone would not encrypt anything.
    if (caFile !== undefined) throw usage('--ca with an ldap:// URL needs --starttls (or use ldaps://): without it the connection is not encrypted');
    if (pick('insecure-plaintext-bind') !== true) {
      throw usage(`${url} is not encrypted: the bind password would cross the network in clear. Use ldaps:// or --starttls ` +
        '(with --ca for the DC\'s CA), or, on a network you trust, say so with --insecure-plaintext-bind');
    }
  }
  const bindDn = pick('bind-dn', 'LDAP_BIND_DN');
  if (!bindDn) throw usage('--bind-dn (or LDAP_BIND_DN) is required: a DN, a UPN like svc@corp.example, or DOMAIN\\user');
  const base = pick('base', 'LDAP_BASE');
  if (!base) throw usage('--base (or LDAP_BASE) is required, e.g. "DC=corp,DC=example"');
  return {
    kind: 'ldap',
    url,
    bindDn,
    password: await readPassword(pick('password-file'), env),
    base,
    startTls,
    ca: caFile === undefined ? undefined : await readOptionFile(caFile, '--ca'),
    pageSize: wholeNumber('page-size', pick('page-size') ?? DEFAULT_PAGE_SIZE, 1, 1000),
    connectTimeoutMs: wholeNumber('connect-timeout', pick('connect-timeout') ?? 10, 1, 600) * 1000,
    operationTimeoutMs: wholeNumber(pick('ldap-timeout') !== undefined ? 'ldap-timeout' : 'timeout', pick('ldap-timeout') ?? pick('timeout') ?? 120, 1, 3600) * 1000,
  };
}

async function readPassword(file: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  if (file !== undefined) return (await readOptionFile(file, '--password-file')).replace(/\r?\n$/, '');
  const password = env.LDAP_BIND_PASSWORD;
  if (password === undefined || password === '') {
    throw usage('no bind password: set LDAP_BIND_PASSWORD or pass --password-file FILE (never on the command line)');
  }
  return password;
}



function usage(message: string): UsageError {
  return new UsageError('BAD_OPTION', message);
}

const stringList = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, maxItems: 8 }] };
/** The config keys of export (and, but for the output ones, of sync), as JSON Schema. */
export const exportConfigProperties = {
    out: { type: 'string' },
    url: { type: 'string' },
    'bind-dn': { type: 'string' },
    base: { type: 'string' },
    starttls: { type: 'boolean' },
    ca: { type: 'string' },
    'password-file': { type: 'string' },
    'from-ldif': { type: 'string' },
    filter: { type: 'string' },
    group: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    'include-disabled': { type: 'boolean' },
    'username-attr': { type: 'string' },
    'alias-attr': stringList,
    lowercase: { type: 'boolean' },
    'page-size': { type: 'integer', minimum: 1, maximum: 1000 },
    timeout: { type: 'integer', minimum: 1 },
    'ldap-timeout': { type: 'integer', minimum: 1 },
    'connect-timeout': { type: 'integer', minimum: 1 },
    crlf: { type: 'boolean' },
    format: { enum: ['csv', 'xlsx'] },
    'phone-attr': { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    'default-country': { type: 'string' },
    'duo-group': { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }, { type: 'object', additionalProperties: { type: 'string' } }] },
};
const validateConfig = lazyValidator(() => new Ajv({ allErrors: true, strict: true }).compile({
  type: 'object',
  properties: exportConfigProperties,
  // Keys starting with "//" are comments, as in templates/export.config.json.
  patternProperties: { '^//': {} },
  additionalProperties: false,
}));

/** Reads and checks a --config file; every message names the file and the bad key. */
export async function loadExportConfig(path: string): Promise<ExportArgs> {
  return directoryLists(await readConfigFile(path, validateConfig, 'passwords do not belong in a config file; use LDAP_BIND_PASSWORD or --password-file'));
}

/** Keys that hold a secret: refused in any config file, whatever else it holds. */
const SECRET_KEYS = ['password', 'bind-password', 'bindPassword', 'skey', 'secret-key', 'smtp-password', 'webhook-url', 'notify-webhook'];

/**
 * A JSON config file, checked against its schema: one line naming the file and every bad key
 * (unknown, or of the wrong type), and a refusal of any key that would hold a secret.
 */
export async function readConfigFile(path: string, validate: ValidateFunction, secretAdvice: string): Promise<Record<string, unknown>> {
  let data: unknown;
  try {
    data = JSON.parse(withoutBom(await readOptionFile(path, '--config')));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw usage(`--config ${path}: not valid JSON (${(error as Error).message})`);
  }
  if (data !== null && typeof data === 'object' && SECRET_KEYS.some((key) => key in data)) throw usage(`--config ${path}: ${secretAdvice}`);
  if (!validate(data)) {
    const problems = (validate.errors ?? []).filter((e) => e.keyword !== 'anyOf').map((e) => e.keyword === 'additionalProperties'
      ? `unknown key "${String(e.params.additionalProperty)}"${e.instancePath ? ` in ${e.instancePath.slice(1)}` : ''}`
      : `"${e.instancePath.slice(1)}" ${e.message}`);
    throw usage(`--config ${path}: ${[...new Set(problems)].join('; ') || 'must be a JSON object'}`);
  }
  return data as Record<string, unknown>;
}

/** A config value given as one string or a list, as a list (what a repeatable flag gives). */
export function listOf(value: unknown): string[] | undefined {
  return value === undefined ? undefined : ([] as string[]).concat(value as string | string[]);
}

/** The directory keys a config may give as one string or a list, as lists (what the flags give). */
export function directoryLists<T extends ExportArgs>(config: Record<string, unknown>): T {
  const duoGroup = config['duo-group'];
  return {
    ...(config as T), group: listOf(config.group), 'alias-attr': listOf(config['alias-attr']), 'phone-attr': listOf(config['phone-attr']),
    'duo-group': typeof duoGroup === 'string' ? [duoGroup] : (duoGroup as ExportArgs['duo-group']),
  };
}
