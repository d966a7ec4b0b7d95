import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
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

/**
 * Sends the message on every configured channel; never throws. A failure is a warning line naming
 * the channel (never a webhook's URL, never a password) and changes nothing else.
 */
export async function deliver(settings: NotifySettings, message: Notification): Promise<Delivery> {
  const warnings: string[] = [];
  let delivered = 0;
  let attempted = 0;
  if (settings.email !== null) {
    attempted++;
    const problem = await sendEmail(settings.email, message);
    if (problem === null) delivered++;
    else warnings.push(`the email to ${settings.email.to.join(', ')} via ${settings.email.host}:${settings.email.port} was not sent: ${problem}`);
  }
  for (const hook of settings.webhooks?.urls ?? []) {
    attempted++;
    const problem = await postWebhook(hook.url, settings.webhooks!, message);
    if (problem === null) delivered++;
    else warnings.push(`the webhook on line ${hook.line} of ${settings.webhooks!.file} (${hook.url.host}) was not called: ${problem}`);
  }
  return { delivered, attempted, warnings };
}

async function sendEmail(smtp: SmtpSettings, message: Notification): Promise<string | null> {
  const transport = createTransport({
    host: smtp.host, port: smtp.port, secure: smtp.implicitTls, requireTLS: smtp.requireTls, ignoreTLS: smtp.ignoreTls,
    ...(smtp.user === undefined ? {} : { auth: { user: smtp.user, pass: smtp.password ?? '' } }),
    // Always verified: the system's CAs, or --smtp-ca's.
    tls: { rejectUnauthorized: true, servername: smtp.host, ...(smtp.ca === undefined ? {} : { ca: smtp.ca }) },
    connectionTimeout: TIMEOUT_MS, greetingTimeout: TIMEOUT_MS, socketTimeout: TIMEOUT_MS,
    // No debug output and no logger: nodemailer's logs would hold the AUTH exchange.
    logger: false, debug: false,
  });
  try {
    await transport.sendMail({ from: smtp.from, to: [...smtp.to], subject: message.subject, text: plainText(message) });
    return null;
  } catch (error) {
    return mailProblem(error, smtp);
  } finally {
    transport.close();
  }
}

/** nodemailer's error in one line for an admin, with the password (if an echo ever held it) cut out. */
function mailProblem(error: unknown, smtp: SmtpSettings): string {
  const e = error as { code?: string; message?: string; responseCode?: number };
  const text = (e.message ?? String(error)).split('\n')[0]!;
  const said = e.code === 'ETLS' || /STARTTLS/i.test(text) ? `${text} (the server must offer STARTTLS: it is not on this machine)`
    : e.code === 'EAUTH' ? `the server refused the login of ${smtp.user ?? '(no user)'}: ${text}` : text;
  return smtp.password === undefined || smtp.password === '' ? said : said.split(smtp.password).join('(password)');
}

function webhookBody(settings: WebhookSettings, message: Notification): unknown {
  if (settings.format === 'teams') return teamsCard(message);
  if (settings.format === 'slack') return slackMessage(message);
  return message.json;
}

/** One POST; a 2xx answer is delivered. Redirects are not followed (a webhook that moved is a warning). */
function postWebhook(url: URL, settings: WebhookSettings, message: Notification): Promise<string | null> {
  const body = Buffer.from(JSON.stringify(webhookBody(settings, message)), 'utf8');
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = send(url, {
      method: 'POST', timeout: TIMEOUT_MS,
      headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length, 'user-agent': 'duo-bridge' },
      ...(url.protocol === 'https:' && settings.ca !== undefined ? { ca: settings.ca } : {}),
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300 ? null : `HTTP ${res.statusCode ?? '?'}`));
      res.on('error', (error) => resolve(error.message));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${TIMEOUT_MS / 1000} s`)));
    req.on('error', (error) => resolve(error.message.replace(url.href, url.host)));
    req.end(body);
  });
}
