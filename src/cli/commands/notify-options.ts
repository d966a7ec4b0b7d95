import { win32 } from 'node:path';
import type { Argv } from 'yargs';
import { NOTIFY_KEYS } from '../../notify/notify-settings.js';
import type { CliIo } from '../io.js';

/** The notification options `sync` and `sync status` share (each also a --config key). */
export function notifyOptions(yargs: Argv): Argv {
  return yargs
    .group([...NOTIFY_KEYS], 'Notifications (on a change of health and on recovery, daily while held; never per unchanged run):')
    .option('notify-email', { type: 'string', array: true, describe: 'mail this address (repeatable)' })
    .option('smtp-url', { type: 'string', describe: 'smtp://[USER@]HOST:PORT (STARTTLS required unless the server is on this machine) or smtps://HOST:465' })
    .option('smtp-from', { type: 'string', describe: 'the sender (default duo-bridge@<this machine>)' })
    .option('smtp-ca', { type: 'string', describe: 'PEM file of the CA that issued the mail server\'s certificate (always verified)' })
    .option('smtp-password-file', { type: 'string', describe: 'file holding the SMTP password (else env SMTP_PASSWORD)' })
    .option('notify-webhook-file', { type: 'string', describe: 'file with one https:// webhook URL a line (a Teams or Slack URL is a secret: never on the command line)' })
    .option('webhook-format', { choices: ['json', 'teams', 'slack'], describe: 'json: the summary JSON (default) · teams: a Teams Workflows Adaptive Card · slack: a Slack message' })
    .option('webhook-ca', { type: 'string', describe: 'PEM file of a private CA the webhook server\'s certificate is from' });
}

/**
 * The program as a printed command starts: the absolute path it was run by (a service account's
 * PATH may not hold it), or on Windows plain `duo-bridge` when its folder is on the PATH (the MSI
 * puts it there; "C:\Program Files\…" quoted would not paste into PowerShell).
 */
export function programOf(io: CliIo, platform: NodeJS.Platform = process.platform): string {
  const program = io.program;
  if (program === undefined) return 'duo-bridge';
  if (platform === 'win32') {
    const folder = win32.dirname(program).replace(/\\$/, '').toLowerCase();
    const path = Object.entries(io.env).find(([key]) => key.toLowerCase() === 'path')?.[1] ?? '';
    if (path.split(';').some((dir) => dir.replace(/\\$/, '').toLowerCase() === folder)) return 'duo-bridge';
  }
  return program;
}
