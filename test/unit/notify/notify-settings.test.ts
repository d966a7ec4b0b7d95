import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { UsageError } from '../../../src/errors.js';
import { resolveNotifySettings, type NotifyArgs } from '../../../src/notify/notify-settings.js';
import { tmpFiles } from '../../helpers/tmp-files.js';

const TO = { 'notify-email': ['admins@corp.example'] };

async function refused(args: NotifyArgs, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const error = await resolveNotifySettings(args, env).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(UsageError);
  return (error as Error).message;
}

describe('notification options, checked once before a run', () => {
  it('none asked for: null', async () => {
    expect(await resolveNotifySettings({}, {})).toBeNull();
  });

  it('STARTTLS is required for a server off this machine; on loopback it is plain unless a CA says which certificate to trust', async () => {
    const remote = await resolveNotifySettings({ ...TO, 'smtp-url': 'smtp://mail.corp.example:587' }, {});
    expect(remote!.email).toMatchObject({ host: 'mail.corp.example', port: 587, requireTls: true, ignoreTls: false, implicitTls: false, to: ['admins@corp.example'] });
    // A name that happens to resolve to 127.0.0.1 is not trusted as loopback: only the literal host is.
    expect((await resolveNotifySettings({ ...TO, 'smtp-url': 'smtp://mail.duo-bridge.test:25' }, {}))!.email!.requireTls).toBe(true);
    expect((await resolveNotifySettings({ ...TO, 'smtp-url': 'smtp://127.0.0.1:25' }, {}))!.email).toMatchObject({ requireTls: false, ignoreTls: true });
    expect((await resolveNotifySettings({ ...TO, 'smtp-url': 'smtp://localhost' }, {}))!.email).toMatchObject({ port: 25, requireTls: false, ignoreTls: true });
    expect((await resolveNotifySettings({ ...TO, 'smtp-url': 'smtps://mail.corp.example' }, {}))!.email).toMatchObject({ port: 465, implicitTls: true, requireTls: false });
    const dir = tmpFiles({ 'ca.pem': '-----BEGIN CERTIFICATE-----\n' });
    expect((await resolveNotifySettings({ ...TO, 'smtp-url': 'smtp://[::1]:2525', 'smtp-ca': join(dir, 'ca.pem') }, {}))!.email).toMatchObject({ host: '::1', requireTls: false, ignoreTls: false, ca: '-----BEGIN CERTIFICATE-----\n' });
  });

  it('a password never in the URL; the login needs one; one source only', async () => {
    const message = await refused({ ...TO, 'smtp-url': 'smtp://svc:Hunter2@mail.corp.example:587' });
    expect(message).toMatch(/must not hold a password: put it in SMTP_PASSWORD or --smtp-password-file/);
    expect(message).not.toContain('Hunter2');
    expect(await refused({ ...TO, 'smtp-url': 'smtp://svc@mail.corp.example:587' })).toMatch(/logs in as svc: set SMTP_PASSWORD or --smtp-password-file/);
    expect(await refused({ ...TO, 'smtp-url': 'smtp://mail.corp.example:587' }, { SMTP_PASSWORD: 'x' })).toMatch(/names no user/);
    const dir = tmpFiles({ pw: 'from-file\n' });
    expect(await refused({ ...TO, 'smtp-url': 'smtp://svc@mail.corp.example:587', 'smtp-password-file': join(dir, 'pw') }, { SMTP_PASSWORD: 'x' })).toMatch(/given twice/);
    expect((await resolveNotifySettings({ ...TO, 'smtp-url': 'smtp://svc%40corp@mail.corp.example:587', 'smtp-password-file': join(dir, 'pw') }, {}))!.email)
      .toMatchObject({ user: 'svc@corp', password: 'from-file' });
    expect((await resolveNotifySettings({ ...TO, 'smtp-url': 'smtp://svc@mail.corp.example:587' }, { SMTP_PASSWORD: 'env-pw' }))!.email!.password).toBe('env-pw');
  });

  it('a malformed URL is not quoted back (it may hold a password); a bad user encoding is one line, not a crash', async () => {
    const message = await refused({ ...TO, 'smtp-url': 'smtp://u:TOPSECRET@host:99999' });
    expect(message).toMatch(/--smtp-url is not a URL/);
    expect(message).not.toContain('TOPSECRET');
    expect(await refused({ ...TO, 'smtp-url': 'smtp://%E0%A4%A@127.0.0.1:25' })).toMatch(/the user is not valid percent-encoding/);
  });

  it('a URL where the webhook file goes, or a missing password file, is never echoed; a CA file must hold a certificate', async () => {
    const url = await refused({ 'notify-webhook-file': 'https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX' });
    expect(url).toMatch(/names a file that holds the webhook URLs/);
    expect(url).not.toContain('SECRET');
    const pw = await refused({ ...TO, 'smtp-url': 'smtp://svc@mail.corp.example', 'smtp-password-file': 'Hunter2!secret' });
    expect(pw).toMatch(/--smtp-password-file: no such file \(it names a file holding the SMTP password/);
    expect(pw).not.toContain('Hunter2');
    const dir = tmpFiles({ 'junk.pem': 'not a certificate\n' });
    expect(await refused({ ...TO, 'smtp-url': 'smtp://m.corp.example', 'smtp-ca': join(dir, 'junk.pem') })).toMatch(/holds no PEM certificate/);
    expect(await refused({ 'notify-email': [''], 'smtp-url': 'smtp://m.corp.example' })).toMatch(/--notify-email needs an address/);
  });

  it('each option names what it needs', async () => {
    expect(await refused({ 'smtp-url': 'smtp://mail.corp.example' })).toMatch(/--smtp-url is for email notifications: add --notify-email/);
    expect(await refused(TO)).toMatch(/--notify-email needs the mail server: --smtp-url/);
    expect(await refused({ 'notify-email': ['not-an-address'], 'smtp-url': 'smtp://m' })).toMatch(/"not-an-address" is not an email address/);
    expect(await refused({ ...TO, 'smtp-url': 'http://mail.corp.example' })).toMatch(/smtp:\/\/HOST:PORT .*got http:/);
    expect(await refused({ 'webhook-format': 'teams' })).toMatch(/--webhook-format goes with --notify-webhook-file/);
    expect((await resolveNotifySettings({ 'notify-email': 'a@corp.example, b@corp.example', 'smtp-url': 'smtp://m.corp.example' }, {}))!.email!.to).toEqual(['a@corp.example', 'b@corp.example']);
  });

  it('the webhook file: one URL a line, https only (http on loopback), comments and blanks skipped; a bad line is named by number, never quoted', async () => {
    const secret = 'https://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=TOPSECRET';
    const dir = tmpFiles({ ok: `\uFEFF# channel\n\n${secret}\r\nhttp://127.0.0.1:8080/hook\n`, bad: `https://ok.example/x\nhttp://hooks.example.com/TOPSECRET\n`, junk: 'not a url TOPSECRET\n', empty: '# none\n' });
    const ok = await resolveNotifySettings({ 'notify-webhook-file': join(dir, 'ok'), 'webhook-format': 'teams' }, {});
    expect(ok!.webhooks!.urls.map((u) => [u.url.href, u.line])).toEqual([[secret, 3], ['http://127.0.0.1:8080/hook', 4]]);
    expect(ok!.webhooks!.format).toBe('teams');
    const bad = await refused({ 'notify-webhook-file': join(dir, 'bad') });
    expect(bad).toMatch(/line 2: must be an https:\/\/ URL/);
    expect(bad).not.toContain('TOPSECRET');
    const junk = await refused({ 'notify-webhook-file': join(dir, 'junk') });
    expect(junk).toMatch(/line 1: not a URL/);
    expect(junk).not.toContain('TOPSECRET');
    expect(await refused({ 'notify-webhook-file': join(dir, 'empty') })).toMatch(/holds no URL/);
    expect(await refused({ 'notify-webhook-file': join(dir, 'ok'), 'webhook-format': 'xml' })).toMatch(/json, teams or slack/);
  });
});
