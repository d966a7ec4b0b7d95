import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** One delivered message, as Postfix wrote it into a Maildir: headers and the decoded text body. */
export interface Mail {
  readonly file: string;
  readonly headers: string;
  readonly subject: string;
  readonly to: string;
  readonly body: string;
  readonly raw: string;
}

/** The lab's environment (test/ops/mail-lab.sh up), or an error naming what is missing. */
export function mailLab(): Record<'ca' | 'tlsUrl' | 'nameUrl' | 'plainUrl' | 'authUrl' | 'password' | 'from' | 'to' | 'to2' | 'maildir' | 'maildir2' | 'log', string> {
  const get = (name: string): string => {
    const value = process.env[name];
    if (value === undefined || value === '') throw new Error(`${name} is not set: run the suite with "npm run test:ops" (it brings test/ops/mail-lab.sh up)`);
    return value;
  };
  return {
    ca: get('MAIL_LAB_CA'), tlsUrl: get('MAIL_LAB_TLS_URL'), nameUrl: get('MAIL_LAB_NAME_URL'), plainUrl: get('MAIL_LAB_PLAIN_URL'), authUrl: get('MAIL_LAB_AUTH_URL'),
    password: get('MAIL_LAB_PASSWORD'), from: get('MAIL_LAB_FROM'), to: get('MAIL_LAB_TO'), to2: get('MAIL_LAB_TO2'), maildir: get('MAIL_LAB_MAILDIR'), maildir2: get('MAIL_LAB_MAILDIR2'), log: get('MAIL_LAB_LOG'),
  };
}

/** Empties a Maildir's new/ and cur/ (each test starts with none). */
export function emptyMaildir(maildir: string): void {
  for (const sub of ['new', 'cur']) {
    const dir = join(maildir, sub);
    if (existsSync(dir)) for (const name of readdirSync(dir)) rmSync(join(dir, name), { force: true });
  }
}

export function mails(maildir: string): Mail[] {
  const dir = join(maildir, 'new');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().map((name) => parse(join(dir, name)));
}

/**
 * Waits until the Maildir holds `count` messages: Postfix delivers after it has accepted the
 * message, so a test waits for the delivery it caused (bounded: a delivery that never comes fails).
 */
export async function waitForMails(maildir: string, count: number, log: string): Promise<Mail[]> {
  for (let i = 0; i < 200; i++) {
    const found = mails(maildir);
    if (found.length >= count) return found;
    await sleep(100);
  }
  throw new Error(`expected ${count} messages in ${maildir}, found ${mails(maildir).length}; the end of ${log}:\n${readFileSync(log, 'utf8').split('\n').slice(-15).join('\n')}`);
}

function parse(file: string): Mail {
  const raw = readFileSync(file, 'latin1');
  const split = raw.indexOf('\n\n');
  const headers = raw.slice(0, split).replace(/\n[ \t]+/g, ' ');
  const header = (name: string): string => new RegExp(`^${name}: (.*)$`, 'mi').exec(headers)?.[1] ?? '';
  const encoding = header('Content-Transfer-Encoding').toLowerCase();
  let body = raw.slice(split + 2);
  if (encoding === 'quoted-printable') {
    body = Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8');
  } else if (encoding === 'base64') body = Buffer.from(body, 'base64').toString('utf8');
  else body = Buffer.from(body, 'latin1').toString('utf8');
  return { file, headers, subject: decodeWords(header('Subject')), to: header('To'), body: body.replace(/\r\n/g, '\n'), raw };
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= / =?UTF-8?B?…?=), as nodemailer writes a subject with non-ASCII. */
function decodeWords(text: string): string {
  return text.replace(/=\?utf-8\?([qb])\?([^?]*)\?=\s*/gi, (_m, kind: string, data: string) => (kind.toLowerCase() === 'b'
    ? Buffer.from(data, 'base64').toString('utf8')
    : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8')));
}
