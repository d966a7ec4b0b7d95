import { hostname } from 'node:os';
import { isLoopback } from '../duo/api/duo-host.js';
import { UsageError } from '../errors.js';
import { readOptionFile } from '../option-values.js';

/** The notification options, as flags or config keys (the same names, without `--`). */
export interface NotifyArgs {
  readonly 'notify-email'?: readonly string[] | string | undefined;
  readonly 'smtp-url'?: string | undefined;
  readonly 'smtp-from'?: string | undefined;
  readonly 'smtp-ca'?: string | undefined;
  readonly 'smtp-password-file'?: string | undefined;
  readonly 'notify-webhook-file'?: string | undefined;
  readonly 'webhook-format'?: string | undefined;
  readonly 'webhook-ca'?: string | undefined;
}

export const NOTIFY_KEYS = ['notify-email', 'smtp-url', 'smtp-from', 'smtp-ca', 'smtp-password-file', 'notify-webhook-file', 'webhook-format', 'webhook-ca'] as const;

export type WebhookFormat = 'json' | 'teams' | 'slack';

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** smtps://: TLS from the first byte (port 465). */
  readonly implicitTls: boolean;
  /** STARTTLS is required (any server not on this machine); on loopback it is used when offered and a CA is given. */
  readonly requireTls: boolean;
  readonly ignoreTls: boolean;
  readonly ca: string | undefined;
  readonly user: string | undefined;
  /** From SMTP_PASSWORD or --smtp-password-file: never printed, logged or written. */
  readonly password: string | undefined;
  readonly from: string;
  readonly to: readonly string[];
}

export interface WebhookSettings {
  /** Secrets (a Teams or Slack URL is its own credential): only ever sent to, never shown. */
  readonly urls: readonly { readonly url: URL; readonly line: number }[];
  readonly file: string;
  readonly format: WebhookFormat;
  readonly ca: string | undefined;
}

/** Where notifications go; null parts are not configured. */
export interface NotifySettings {
  readonly email: SmtpSettings | null;
  readonly webhooks: WebhookSettings | null;
}

const ADDRESS = /^[^\s@<>(),;:"[\]\\]+@[^\s@<>(),;:"[\]\\]+$/;

/**
 * Flags > environment > config, checked once, before a run reads anything: a notification that
 * can never be sent is a usage error now (exit 2), not a warning after the run. Null: none asked for.
 */
export async function resolveNotifySettings(cli: NotifyArgs, env: NodeJS.ProcessEnv, config: NotifyArgs = {}): Promise<NotifySettings | null> {
  const pick = <K extends keyof NotifyArgs>(key: K): NotifyArgs[K] => cli[key] ?? config[key];
  const given = ([] as string[]).concat(pick('notify-email') ?? []);
  const to = given.flatMap((a) => a.split(',')).map((a) => a.trim()).filter((a) => a !== '');
  if (given.length > 0 && to.length === 0) throw usage('--notify-email needs an address (name@example.com)');
  for (const address of to) if (!ADDRESS.test(address)) throw usage(`--notify-email ${JSON.stringify(address)} is not an email address (name@example.com)`);
  const smtpUrl = pick('smtp-url');
  const webhookFile = pick('notify-webhook-file');
  for (const key of ['smtp-url', 'smtp-from', 'smtp-ca', 'smtp-password-file'] as const) {
    if (pick(key) !== undefined && to.length === 0) throw usage(`--${key} is for email notifications: add --notify-email ADDRESS`);
  }
  for (const key of ['webhook-format', 'webhook-ca'] as const) {
    if (pick(key) !== undefined && webhookFile === undefined) throw usage(`--${key} goes with --notify-webhook-file FILE`);
  }
  if (to.length > 0 && smtpUrl === undefined) throw usage('--notify-email needs the mail server: --smtp-url smtp://HOST:PORT');
  const email = to.length === 0 ? null : await smtpSettings(smtpUrl!, to, pick('smtp-from'), pick('smtp-ca'), pick('smtp-password-file'), env);
  const webhooks = webhookFile === undefined ? null : await webhookSettings(webhookFile, pick('webhook-format'), pick('webhook-ca'));
  return email === null && webhooks === null ? null : { email, webhooks };
}

async function smtpSettings(text: string, to: string[], from: string | undefined, caFile: string | undefined, passwordFile: string | undefined, env: NodeJS.ProcessEnv): Promise<SmtpSettings> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not quoted: a malformed URL may still hold a password.
    throw usage('--smtp-url is not a URL: smtp://[USER@]HOST:PORT (STARTTLS) or smtps://HOST:465');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw usage(`--smtp-url must be smtp://HOST:PORT (STARTTLS) or smtps://HOST:465, got ${url.protocol}//`);
  // The URL is in argv or a config file: a password there is a secret in the wrong place.
  if (url.password !== '') throw usage('--smtp-url must not hold a password: put it in SMTP_PASSWORD or --smtp-password-file (the user may stay: smtp://USER@HOST:PORT)');
  if (url.hostname === '') throw usage('--smtp-url names no host: smtp://HOST:PORT');
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '') throw usage(`--smtp-url is smtp://[USER@]HOST:PORT, without a path or query`);
  if (from !== undefined && !ADDRESS.test(from.trim())) throw usage(`--smtp-from ${JSON.stringify(from)} is not an email address`);
  if (passwordFile !== undefined && env.SMTP_PASSWORD !== undefined) throw usage('the SMTP password is given twice: SMTP_PASSWORD and --smtp-password-file; keep one');
  const password = passwordFile !== undefined ? (await readSecretFile(passwordFile, '--smtp-password-file', 'the SMTP password')).replace(/\r?\n$/, '') : env.SMTP_PASSWORD;
  let user: string | undefined;
  try {
    user = url.username === '' ? undefined : decodeURIComponent(url.username);
  } catch {
    throw usage('--smtp-url: the user is not valid percent-encoding (write @ in a user as %40)');
  }
  if (password !== undefined && password !== '' && user === undefined) throw usage('an SMTP password is set but --smtp-url names no user: smtp://USER@HOST:PORT');
  if (user !== undefined && (password === undefined || password === '')) throw usage(`--smtp-url logs in as ${user}: set SMTP_PASSWORD or --smtp-password-file (or drop the user for a server that takes mail without a login)`);
  const loopback = isLoopback(url.hostname);
  const ca = caFile === undefined ? undefined : await readCa(caFile, '--smtp-ca');
  const implicitTls = url.protocol === 'smtps:';
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? (implicitTls ? 465 : 25) : Number(url.port), implicitTls,
    requireTls: !implicitTls && !loopback,
    // On this machine the mail never crosses a network: plain unless a CA says which certificate to trust.
    ignoreTls: !implicitTls && loopback && ca === undefined,
    ca, user, password: password === '' ? undefined : password, from: from?.trim() ?? `duo-bridge@${hostname()}`, to,
  };
}

async function webhookSettings(file: string, format: string | undefined, caFile: string | undefined): Promise<WebhookSettings> {
  if (format !== undefined && format !== 'json' && format !== 'teams' && format !== 'slack') throw usage(`--webhook-format is json, teams or slack, got ${JSON.stringify(format)}`);
  // A URL given where the file goes: it is a secret, and this is the command line.
  if (/^https?:\/\//i.test(file.trim())) throw usage('--notify-webhook-file names a file that holds the webhook URLs, one a line, not a URL: a webhook URL is a secret, never on the command line');
  const text = await readOptionFile(file, '--notify-webhook-file');
  const urls: { url: URL; line: number }[] = [];
  for (const [i, raw] of text.replace(/^\uFEFF/, '').split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    let url: URL;
    try {
      url = new URL(line);
    } catch {
      // The line itself is never quoted: it may be most of a secret URL.
      throw usage(`--notify-webhook-file ${file}, line ${i + 1}: not a URL (one https:// URL a line; # starts a comment)`);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
      throw usage(`--notify-webhook-file ${file}, line ${i + 1}: must be an https:// URL (plain http:// only on this machine)`);
    }
    urls.push({ url, line: i + 1 });
  }
  if (urls.length === 0) throw usage(`--notify-webhook-file ${file}: holds no URL (one https:// URL a line)`);
  return { urls, file, format: (format ?? 'json') as WebhookFormat, ca: caFile === undefined ? undefined : await readCa(caFile, '--webhook-ca') };
}

/** A CA file: PEM certificates, checked now (a wrong file would only show as a failed delivery later). */
async function readCa(file: string, option: string): Promise<string> {
  const text = await readOptionFile(file, option);
  if (!/-----BEGIN CERTIFICATE-----/.test(text)) throw usage(`${option} ${file}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return text;
}

/** A file holding a secret: a path that is not there is not quoted back (it may be the secret itself, typed where the path goes). */
async function readSecretFile(file: string, option: string, what: string): Promise<string> {
  try {
    return await readOptionFile(file, option);
  } catch (error) {
    if (error instanceof UsageError && /no such file/i.test(error.message)) throw usage(`${option}: no such file (it names a file holding ${what}, not ${what} itself)`);
    throw error;
  }
}

function usage(message: string): UsageError {
  return new UsageError('BAD_OPTION', message);
}
