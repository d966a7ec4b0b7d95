import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/run-cli.js';
import { startSimulator, type SimulatorProcess } from '../helpers/simulator.js';
import { labUsers, writeLdif } from '../helpers/sync-ldif.js';

/**
 * The README's "Running sync on a schedule", followed on this machine (issue 29): the package packed
 * and installed with `npm install -g`, the installed program at the absolute path the systemd units
 * and the Task Scheduler tasks name, the units accepted by systemd-analyze, and the scheduled commands
 * run as a service account with nothing but the env file's variables (no npx, no PATH to the repo).
 */
const ACCOUNT = 'duo-bridge';
let work: string;
let prefix: string;
let program: string;
let simulator: SimulatorProcess;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'duo-bridge-install-'));
  chmodSync(work, 0o755);
  execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
  execFileSync('npm', ['install', '-g', '--no-audit', '--no-fund', '--silent', join(work, tarball)], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
  prefix = execFileSync('npm', ['prefix', '-g'], { encoding: 'utf8' }).trim();
  program = join(prefix, 'bin', 'duo-bridge');
  if (spawnSync('id', [ACCOUNT]).status !== 0) {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', ACCOUNT]);
  }
  const tenant = join(work, 'tenant.json');
  writeFileSync(tenant, JSON.stringify({ host: 'empty', exported_at: '2026-12-01T06:00:00.000Z', users: [], groups: [] }));
  simulator = await startSimulator(['--tenant', tenant, '--state', join(work, 'sim.state')]);
}, 300_000);

afterAll(async () => {
  await simulator?.stop();
  spawnSync('npm', ['uninstall', '-g', '--silent', 'duo-bridge'], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
});

/** A unit's ExecStart, split as systemd splits it (the templates quote nothing). */
function execStart(unit: string): string[] {
  const line = /^ExecStart=(.*)$/m.exec(readFileSync(join(REPO, 'templates', unit), 'utf8'))?.[1];
  expect(line).toBeDefined();
  return line!.trim().split(/\s+/);
}

/** The env file as systemd's EnvironmentFile reads it: VARIABLE=value lines, # comments. */
function envFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    expect(match).not.toBeNull();
    env[match![1]!] = match![2]!;
  }
  return env;
}

/** Runs as the service account with nothing but `env` (no PATH to this checkout, no HOME). */
function asAccount(args: string[], env: Record<string, string>): { code: number | null; stdout: string; stderr: string } {
  const vars = Object.entries({ PATH: '/usr/bin:/bin', ...env }).map(([k, v]) => `${k}=${v}`);
  const run = spawnSync('runuser', ['-u', ACCOUNT, '--', 'env', '-i', ...vars, ...args], { cwd: '/', encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('installed as the README says, run as a service account (issue 29)', () => {
  it('npm install -g puts the program where every unit\'s ExecStart says', () => {
    expect(existsSync(program)).toBe(true);
    for (const unit of ['duo-bridge-sync.service', 'duo-bridge-sync-status.service', 'duo-bridge-sync-watch.service']) {
      expect(execStart(unit)[0]).toBe(program);
      expect(readFileSync(join(REPO, 'templates', unit), 'utf8').split('\n').filter((l) => !l.startsWith('#') && /npx/.test(l))).toEqual([]);
    }
    expect(asAccount([program, '--version'], {}).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('systemd-analyze verify accepts the units and timers', () => {
    const dir = join(work, 'units');
    execFileSync('mkdir', ['-p', dir]);
    const units = readdirSync(join(REPO, 'templates')).filter((f) => /\.(service|timer)$/.test(f));
    expect(units.sort()).toEqual(['duo-bridge-sync-status.service', 'duo-bridge-sync-status.timer', 'duo-bridge-sync-watch.service', 'duo-bridge-sync.service', 'duo-bridge-sync.timer']);
    for (const unit of units) copyFileSync(join(REPO, 'templates', unit), join(dir, unit));
    const verify = spawnSync('systemd-analyze', ['verify', ...units.map((u) => join(dir, u))], { encoding: 'utf8' });
    expect(verify.stderr.split('\n').filter((l) => l.trim() !== '' && !/Failed to (connect|prepare|open)|No such file or directory.*(dbus|bus)|ignoring/i.test(l))).toEqual([]);
    expect(verify.status).toBe(0);
    expect(readFileSync(join(dir, 'duo-bridge-sync.timer'), 'utf8')).toMatch(/^OnCalendar=\*-\*-\* 02:00:00$/m);
    expect(readFileSync(join(dir, 'duo-bridge-sync-status.timer'), 'utf8')).toMatch(/^OnCalendar=hourly$/m);
  });

  it('the nightly unit\'s command, then the status unit\'s, as the service account with the env file\'s variables: a sync applied, a healthy status', () => {
    const etc = join(work, 'etc');
    const lib = join(work, 'lib');
    execFileSync('mkdir', ['-p', etc, lib]);
    chownSync(lib, Number(execFileSync('id', ['-u', ACCOUNT], { encoding: 'utf8' })), Number(execFileSync('id', ['-g', ACCOUNT], { encoding: 'utf8' })));
    writeLdif(join(etc, 'ad.ldif'), labUsers(5));
    // The sample config's keys, with the lab's source and paths (and no mail server: the mail suite has one).
    const sample = JSON.parse(readFileSync(join(REPO, 'templates', 'sync.config.json'), 'utf8'));
    const config = Object.fromEntries(Object.entries(sample).filter(([key]) => !['url', 'ca', 'bind-dn', 'base', 'filter', 'duo-group', 'notify-email', 'smtp-url', 'smtp-from', 'smtp-ca'].includes(key)));
    writeFileSync(join(etc, 'sync.json'), JSON.stringify({ ...config, 'from-ldif': join(etc, 'ad.ldif'), state: join(lib, 'corp.sync.state.json') }));
    chmodSync(etc, 0o755);
    // The env file: the template's variables, filled in.
    const template = envFile(readFileSync(join(REPO, 'templates', 'sync.env'), 'utf8'));
    expect(Object.keys(template)).toEqual(['DUO_HOST', 'DUO_IKEY', 'DUO_SKEY', 'LDAP_BIND_PASSWORD', 'SMTP_PASSWORD']);
    const env = { ...simulator.env };
    const paths = (args: string[]): string[] => args.map((a) => a.replace('/etc/duo-bridge', etc).replace('/var/lib/duo-bridge', lib));

    const sync = asAccount([...paths(execStart('duo-bridge-sync.service')), '--rate', '100000'], env);
    expect(sync.stderr).toMatch(/applied 5 actions/);
    expect(sync.code).toBe(0);
    expect(JSON.parse(readFileSync(join(lib, 'last-run.json'), 'utf8'))).toMatchObject({ exit: 0, counts: { create: 5 } });
    expect(existsSync(join(lib, 'last-run.html'))).toBe(true);

    const status = asAccount([...paths(execStart('duo-bridge-sync-status.service')), '--format', 'json'], env);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ health: 'healthy', managed: 5, last_run: { ran_by: { account: ACCOUNT } } });
  }, 120_000);

  it('the Task Scheduler tasks run the executable the MSI installs, with arguments the program takes', () => {
    const wxs = readFileSync(join(REPO, 'packaging', 'duo-bridge.wxs'), 'utf8');
    expect(wxs).toMatch(/<Directory Id="ProgramFiles64Folder">\s*<Directory Id="INSTALLDIR" Name="duo-bridge">[\s\S]*<File Id="DuoBridgeExe" Name="duo-bridge.exe"/);
    // One folder for both, as C:\ProgramData\duo-bridge is: the status task reads the state the sync task wrote.
    const dir = mkdtempSync(join(work, 'win-'));
    writeFileSync(join(dir, 'sync.json'), JSON.stringify({ 'from-ldif': join(dir, 'ad.ldif'), state: join(dir, 's.json') }));
    writeLdif(join(dir, 'ad.ldif'), labUsers(2, 300));
    for (const [name, words] of [['duo-bridge-sync.task.xml', ['sync', '--config']], ['duo-bridge-sync-status.task.xml', ['sync', 'status', '--config']]] as const) {
      const script = 'import json,sys,xml.etree.ElementTree as E\nns={"t":"http://schemas.microsoft.com/windows/2004/02/mit/task"}\nt=E.parse(sys.argv[1])\nx=t.find("t:Actions/t:Exec",ns)\n' +
        'print(json.dumps({"command":x.find("t:Command",ns).text,"args":x.find("t:Arguments",ns).text,"logon":t.find("t:Principals/t:Principal/t:LogonType",ns).text}))';
      const task = JSON.parse(execFileSync('python3', ['-c', script, join(REPO, 'templates', name)], { encoding: 'utf8' }));
      expect(task.command).toBe('"C:\\Program Files\\duo-bridge\\duo-bridge.exe"');
      expect(task.logon).toBe('Password');
      const args: string[] = task.args.split(' ');
      expect(args.slice(0, words.length)).toEqual(words);
      // The same arguments, with Linux paths, are taken by the program (its own checks would refuse an unknown option, exit 2).
      const linux = args.map((a) => a.replace(/^C:\\ProgramData\\duo-bridge\\/, `${dir}/`));
      const run = spawnSync(program, [...linux, ...(words.length === 2 ? ['--rate', '100000'] : [])], { encoding: 'utf8', env: { PATH: process.env.PATH, ...simulator.env } });
      expect(run.stderr).not.toMatch(/duo-bridge: /);
      expect(run.status).toBe(0);
    }
  }, 60_000);
});
