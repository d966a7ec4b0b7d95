import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { createTransport } from 'nodemailer';
import { plainText, slackMessage, teamsCard, type Notification } from './notification.js';
import type { NotifySettings, SmtpSettings, WebhookSettings } from './notify-settings.js';

/** How a delivery went: how many channels took the message, and one line for each that did not. */
export interface Delivery {
  readonly delivered: number;
  readonly attempted: number;
  readonly warnings: readonly string[];
}

const TIMEOUT_MS = 20_000;
/** The most one delivery may take, from connect to the last byte of the answer. */
const DEADLINE_MS = 60_000;

/**
 * Sends the message on every configured channel; never throws. A failure is a warning line naming
 * the channel (never a webhook's URL, never a password) and changes nothing else.
 */
export async function deliver(settings: NotifySettings, message: Notification, limits: { deadlineMs?: number } = {}): Promise<Delivery> {
  const deadlineMs = limits.deadlineMs ?? DEADLINE_MS;
  const warnings: string[] = [];
  let delivered = 0;
  let attempted = 0;
  if (settings.email !== null) {
    attempted++;
    const problem = await sendEmail(settings.email, message, deadlineMs);
    if (problem === null) delivered++;
    else warnings.push(`the email to ${settings.email.to.join(', ')} via ${settings.email.host}:${settings.email.port} was not sent: ${problem}`);
  }
  for (const hook of settings.webhooks?.urls ?? []) {
    attempted++;
    const problem = await postWebhook(hook.url, settings.webhooks!, message, deadlineMs);
    if (problem === null) delivered++;
    else warnings.push(`the webhook on line ${hook.line} of ${settings.webhooks!.file} (${hook.url.host}) was not called: ${problem}`);
  }
  return { delivered, attempted, warnings };
}

async function sendEmail(smtp: SmtpSettings, message: Notification, deadlineMs: number): Promise<string | null> {
  const transport = createTransport({
    host: smtp.host, port: smtp.port, secure: smtp.implicitTls, requireTLS: smtp.requireTls, ignoreTLS: smtp.ignoreTls,
    ...(smtp.user === undefined ? {} : { auth: { user: smtp.user, pass: smtp.password ?? '' } }),
    // Always verified: the system's CAs, or --smtp-ca's.
    // An IP address is checked against the certificate's IP names; SNI carries host names only (RFC 6066).
    tls: { rejectUnauthorized: true, ...(isIP(smtp.host) === 0 ? { servername: smtp.host } : {}), ...(smtp.ca === undefined ? {} : { ca: smtp.ca }) },
    connectionTimeout: TIMEOUT_MS, greetingTimeout: TIMEOUT_MS, socketTimeout: TIMEOUT_MS,
    // No debug output and no logger: nodemailer's logs would hold the AUTH exchange.
    logger: false, debug: false,
  });
  // socketTimeout is per silence; a server that trickles is cut off by this deadline on the whole delivery.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no complete answer in ${deadlineMs / 1000} s`), { code: 'ETIMEDOUT' })), deadlineMs);
  });
  try {
    await Promise.race([transport.sendMail({ from: smtp.from, to: [...smtp.to], subject: message.subject, text: plainText(message) }), deadline]);
    return null;
  } catch (error) {
    return mailProblem(error, smtp);
  } finally {
    clearTimeout(timer);
    transport.close();
  }
}

/**
 * nodemailer's error in one line for an admin. A refused login says only the server's code: a
 * server may echo the AUTH exchange, which carries the password (base64 is not secrecy). Any other
 * text has the password cut out, plain and in the base64 forms AUTH PLAIN and LOGIN send.
 */
function mailProblem(error: unknown, smtp: SmtpSettings): string {
  const e = error as { code?: string; message?: string; responseCode?: number };
  if (e.code === 'EAUTH') return `the server refused the login of ${smtp.user ?? '(no user)'}${e.responseCode === undefined ? '' : ` (${e.responseCode})`}: check SMTP_PASSWORD or --smtp-password-file`;
  const text = (e.message ?? String(error)).split('\n')[0]!;
  const said = e.code === 'ETLS' || /STARTTLS/i.test(text) ? `${text} (the server must offer STARTTLS: it is not on this machine)` : text;
  return redact(said, smtp);
}

function redact(text: string, smtp: SmtpSettings): string {
  const password = smtp.password;
  if (password === undefined || password === '') return text;
  const user = smtp.user ?? '';
  const forms = [password, Buffer.from(password).toString('base64'), Buffer.from(`\u0000${user}\u0000${password}`).toString('base64'), Buffer.from(`${user}\u0000${user}\u0000${password}`).toString('base64')];
  return forms.reduce((out, form) => out.split(form).join('(password)'), text.replace(/AUTH\s+\S+\s+\S+/gi, 'AUTH (…)'));
}

function webhookBody(settings: WebhookSettings, message: Notification): unknown {
  if (settings.format === 'teams') return teamsCard(message);
  if (settings.format === 'slack') return slackMessage(message);
  return message.json;
}

/** One POST; a 2xx answer is delivered. Redirects are not followed (a webhook that moved is a warning). */
function postWebhook(url: URL, settings: WebhookSettings, message: Notification, deadlineMs: number): Promise<string | null> {
  const body = Buffer.from(JSON.stringify(webhookBody(settings, message)), 'utf8');
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = send(url, {
      // timeout is per silence; the signal ends a server that trickles its answer.
      method: 'POST', timeout: TIMEOUT_MS, signal: AbortSignal.timeout(deadlineMs),
      headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length, 'user-agent': 'duo-bridge' },
      ...(url.protocol === 'https:' && settings.ca !== undefined ? { ca: settings.ca } : {}),
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300 ? null : `HTTP ${res.statusCode ?? '?'}`));
      res.on('error', (error) => resolve(requestProblem(error, url, deadlineMs)));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${TIMEOUT_MS / 1000} s`)));
    req.on('error', (error) => resolve(requestProblem(error, url, deadlineMs)));
    req.end(body);
  });
}

/** A failed request in one line: the URL (a secret) never in it, only its host. */
function requestProblem(error: Error, url: URL, deadlineMs: number): string {
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return `no complete answer in ${deadlineMs / 1000} s`;
  return [url.href, url.pathname, url.search].filter((part) => part.length > 1).reduce((text, part) => text.split(part).join(''), error.message);
}
