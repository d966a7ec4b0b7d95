import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, REPO } from '../helpers/run-cli.js';
import { startSimulator, type SimulatorProcess } from '../helpers/simulator.js';
import { labUsers, writeLdif } from '../helpers/sync-ldif.js';
import { differences, runScenario, type Runner, type Step } from './scenario.js';
import { makeWinePrefix, nativeRunner, WINE, winePath, wineRunner } from './wine.js';

/*
 * npm run test:windows (issue 31): the release files `npm run package` made, checked against the Linux
 * CLI. The Windows executable runs under Wine, the simulator on Linux; the MSI is read with msiinfo and
 * installed and removed under Wine. test/windows/run-suite.sh builds the release first.
 */

const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const RELEASE = join(REPO, 'release');
const EXE = join(RELEASE, `duo-bridge-${VERSION}-win-x64.exe`);
const LINUX = join(RELEASE, `duo-bridge-${VERSION}-linux-x64`);
const MSI = join(RELEASE, `duo-bridge-${VERSION}-x64.msi`);
const SLOW = 900_000;

const root = mkdtempSync(join(tmpdir(), 'duo-bridge-windows-'));
const simulators: SimulatorProcess[] = [];
let wineEnv: Record<string, string>;
let reference: Step[];

/** A work folder and a simulator of its own, started from an empty tenant. */
async function world(name: string): Promise<{ dir: string; duo: Record<string, string> }> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const tenant = join(root, `${name}-tenant.json`);
  writeFileSync(tenant, JSON.stringify({ host: 'empty', exported_at: '2026-12-01T06:00:00.000Z', users: [], groups: [] }));
  const simulator = await startSimulator(['--tenant', tenant]);
  simulators.push(simulator);
  return { dir, duo: simulator.env };
}

/** Runs a Windows command under Wine to its end, its output into a file (Wine cannot write to pipes). */
function wine(args: readonly string[]): { code: number; output: string } {
  const out = join(root, 'wine-command.out');
  let code = 0;
  try {
    // Nor read one: stdin from /dev/null.
    execFileSync('sh', ['-c', '"$0" "$@" < /dev/null > "$WINE_COMMAND_OUT" 2>&1', WINE, ...args],
      { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? root, WINE_COMMAND_OUT: out, ...wineEnv }, timeout: 300_000 });
  } catch (error) {
    code = (error as { status?: number }).status ?? -1;
  }
  return { code, output: existsSync(out) ? readFileSync(out, 'utf8') : '' };
}

beforeAll(async () => {
  for (const file of [EXE, LINUX, MSI]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run "npm run package" first (test/windows/run-suite.sh does)`);
  }
  wineEnv = makeWinePrefix(join(root, 'wine-prefix'));
  const { dir, duo } = await world('linux-cli');
  reference = await runScenario(nativeRunner(process.execPath, [BIN]), { dir, duo, nativePath: (path) => path });
}, SLOW);

afterAll(async () => {
  for (const simulator of simulators) await simulator.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('the scenario the Linux CLI ran', () => {
  it('has the outcomes issue 31 names: validate 1 then 0, the import\'s diff, a sync day held (exit 4)', () => {
    const exit = (name: string): number | null | undefined => reference.find((s) => s.name === name)?.exitCode;
    expect(exit('--version')).toBe(0);
    expect(reference[0]!.stdout).toBe(`${VERSION}\n`);
    expect(exit('validate messy (exit 1)')).toBe(1);
    expect(exit('validate clean (exit 0)')).toBe(0);
    expect(exit('validate clean, CRLF')).toBe(0);
    expect(reference.find((s) => s.name === 'tenant diff')!.stdout).toMatch(/"summary": "created 41"/);
    expect(exit('rollback')).toBe(0);
    expect(exit('sync day 1')).toBe(0);
    expect(exit('sync day 2: held (exit 4)')).toBe(4);
  });
});

describe('the Windows executable, under Wine', () => {
  let steps: Step[];
  let dir: string;
  let duo: Record<string, string>;
  const run = (): Runner => wineRunner(EXE, wineEnv);

  beforeAll(async () => {
    ({ dir, duo } = await world('wine'));
    steps = await runScenario(run(), { dir, duo, nativePath: winePath });
  }, SLOW);

  it('runs as a Windows program: on a prefix reporting Windows 10 (Node requires 8.1 or later), printing Windows paths', () => {
    expect(readFileSync(join(wineEnv.WINEPREFIX!, 'system.reg'), 'latin1')).toMatch(/"ProductName"="Microsoft Windows 10"/);
    expect(steps.find((s) => s.name === 'sync day 1')!.stdout).toMatch(/sync\.state\.runs\\/);
  });

  it('every exit code, output and file is the Linux CLI\'s (Windows paths aside)', () => {
    expect(differences(reference, steps, true)).toEqual([]);
  });

  it('starts with its stdin a pipe (Wine cannot open one: the CLI must not touch stdin unless it asks)', () => {
    const out = join(root, 'stdin-pipe.out');
    const fd = openSync(out, 'w');
    const result = spawnSync(WINE, [EXE, 'validate', 'users-clean.csv'], { cwd: dir, input: '', stdio: ['pipe', fd, fd], env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? root, ...wineEnv }, timeout: 300_000 });
    closeSync(fd);
    expect({ status: result.status, output: readFileSync(out, 'utf8') }).toEqual({ status: 0, output: reference.find((s) => s.name === 'validate clean (exit 0)')!.stdout });
  }, SLOW);

  it('reads and writes UNC paths (\\\\server\\share)', async () => {
    // Wine serves \\server\share from dosdevices/unc/server/share.
    mkdirSync(join(wineEnv.WINEPREFIX!, 'dosdevices', 'unc', 'fileserver'), { recursive: true });
    symlinkSync(dir, join(wineEnv.WINEPREFIX!, 'dosdevices', 'unc', 'fileserver', 'duo'));
    const share = '\\\\fileserver\\duo';
    const exported = await run()(['export', '--from-ldif', `${share}\\directory.ldif`, '--alias-attr', 'mail', '--lowercase', '--out', `${share}\\unc-users.csv`], { cwd: root, env: {} });
    expect(exported.exitCode).toBe(0);
    expect(readFileSync(join(dir, 'unc-users.csv'), 'utf8')).toBe(reference.find((s) => s.name === 'export --from-ldif')!.files['users.csv']);
    const validated = await run()(['validate', `${share}\\users-messy.csv`, '--format', 'json'], { cwd: root, env: {} });
    expect(validated.exitCode).toBe(1);
    expect(validated.stdout.replace(/"file": "[^"\n]*"/, '"file": "users-messy.csv"')).toBe(reference.find((s) => s.name === 'validate messy (exit 1)')!.stdout);
  }, SLOW);

  it('keeps sync\'s state under %ProgramData%\\duo-bridge unless --state names one', async () => {
    writeLdif(join(dir, 'one.ldif'), labUsers(1, 500));
    const synced = await run()(['sync', '--from-ldif', 'one.ldif', '--apply', '--yes', '--rate', '6000'], { cwd: dir, env: { ...duo, DUO_BRIDGE_SYNC_NOW: '2026-12-03T06:00:00.000Z' } });
    expect(synced).toMatchObject({ exitCode: 0 });
    const folder = join(wineEnv.WINEPREFIX!, 'drive_c', 'ProgramData', 'duo-bridge');
    const names = readdirSync(folder);
    expect(names.filter((name) => /^sync-127-[0-9a-f]{10}\.state\.json$/.test(name))).toHaveLength(1);
    // The run's journal goes beside its state, where the contract puts it.
    const runs = names.find((name) => name.endsWith('.state.json.runs') || name.endsWith('.state.runs'));
    expect(runs).toBeDefined();
    expect(readdirSync(join(folder, runs!)).some((name) => name.endsWith('.jsonl'))).toBe(true);
  }, SLOW);
});

describe('the Linux executable', () => {
  it('every exit code, output and file is the Linux CLI\'s', async () => {
    const { dir, duo } = await world('linux-binary');
    const steps = await runScenario(nativeRunner(LINUX), { dir, duo, nativePath: (path) => path });
    expect(differences(reference, steps, false)).toEqual([]);
  }, SLOW);
});

/** One table of the MSI as msiinfo exports it: rows of tab-separated cells, after the 3 header lines. */
function msiTable(name: string): string[][] {
  return execFileSync('msiinfo', ['export', MSI, name], { encoding: 'utf8' }).split(/\r?\n/).slice(3).filter((line) => line !== '').map((line) => line.split('\t'));
}

describe('the MSI', () => {
  it('names the product, its version and a product code that is the same for every build of this version', () => {
    const properties = Object.fromEntries(msiTable('Property').map(([key, value]) => [key, value]));
    expect(properties).toMatchObject({ ProductName: 'duo-bridge', ProductVersion: VERSION.split(/[-+]/)[0], ALLUSERS: '1', UpgradeCode: '{89B36676-D316-480F-952D-BA353B1B4DD4}' });
    const code = execFileSync('node', ['--input-type=module', '-e', `import { productCode } from './packaging/msi.mjs'; process.stdout.write(productCode(${JSON.stringify(VERSION)}))`], { cwd: REPO, encoding: 'utf8' });
    expect(properties.ProductCode).toBe(`{${code}}`);
    expect(code).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
  });

  it('installs into Program Files\\duo-bridge: the executable and the templates', () => {
    expect(msiTable('Directory')).toEqual(expect.arrayContaining([['INSTALLDIR', 'ProgramFiles64Folder', 'duo-bridge'], ['TEMPLATESDIR', 'INSTALLDIR', 'templates']]));
    const files = msiTable('File').map(([, component, name, size]) => [component, name, Number(size)]);
    expect(files).toEqual(expect.arrayContaining([
      ['Executable', 'duo-bridge.exe', readFileSync(EXE).length],
      ...TEMPLATES.map((name: string) => ['Templates', name, readFileSync(join(REPO, 'templates', name)).length]),
    ]));
    expect(files).toHaveLength(1 + TEMPLATES.length);
  });

  it('adds its folder to the system PATH, and removes it on uninstall', () => {
    expect(msiTable('Environment')).toEqual([['PathEntry', '=-*PATH', '[~];[INSTALLDIR]', 'Executable']]);
    const actions = Object.fromEntries(msiTable('InstallExecuteSequence').map(([action, , sequence]) => [action, Number(sequence)]));
    expect(actions).toMatchObject({ RemoveEnvironmentStrings: 3300, WriteEnvironmentStrings: 5200 });
  });

  it('installs under Wine (the exe runs, PATH names its folder, the task points at it) and uninstalls cleanly', () => {
    const installed = join(wineEnv.WINEPREFIX!, 'drive_c', 'Program Files', 'duo-bridge');
    const systemPath = (): string => wine(['reg', 'query', 'HKLM\\System\\CurrentControlSet\\Control\\Session Manager\\Environment', '/v', 'PATH']).output;
    expect(wine(['msiexec', '/i', winePath(MSI), '/qn'])).toMatchObject({ code: 0 });
    expect(readdirSync(installed).sort()).toEqual(['duo-bridge.exe', 'templates']);
    expect(systemPath()).toMatch(/;C:\\Program Files\\duo-bridge\\?\s*$/m);
    expect(wine(['C:\\Program Files\\duo-bridge\\duo-bridge.exe', '--version'])).toEqual({ code: 0, output: `${VERSION}\n` });
    // Each task, parsed as XML, runs the executable the MSI installed, with arguments it accepts.
    for (const name of ['duo-bridge-sync.task.xml', 'duo-bridge-sync-status.task.xml']) {
      const { command, args } = taskExec(join(installed, 'templates', name));
      expect(command).toBe('"C:\\Program Files\\duo-bridge\\duo-bridge.exe"');
      expect(existsSync(join(installed, 'duo-bridge.exe'))).toBe(true);
      const words = args.split(' ');
      expect(words.slice(0, 3)).toEqual(name.includes('status') ? ['sync', 'status', '--config'] : ['sync', '--config', 'C:\\ProgramData\\duo-bridge\\sync.json']);
      expect(wine([command.slice(1, -1), ...words.slice(0, name.includes('status') ? 2 : 1), '--help'])).toMatchObject({ code: 0 });
    }

    expect(wine(['msiexec', '/x', winePath(MSI), '/qn'])).toMatchObject({ code: 0 });
    expect(existsSync(installed)).toBe(false);
    expect(systemPath()).not.toMatch(/duo-bridge/);
  }, SLOW);
});

/** The templates the MSI installs, as packaging/msi.mjs lists them. */
const TEMPLATES: string[] = JSON.parse(execFileSync('node', ['--input-type=module', '-e', "import { TEMPLATES } from './packaging/msi.mjs'; process.stdout.write(JSON.stringify(TEMPLATES))"], { cwd: REPO, encoding: 'utf8' }));

/** A Task Scheduler file's <Exec>, read by a real XML parser (Python's ElementTree: the file is UTF-16 with a BOM). */
function taskExec(file: string): { command: string; args: string } {
  const script = 'import json,sys,xml.etree.ElementTree as E\nns={"t":"http://schemas.microsoft.com/windows/2004/02/mit/task"}\nx=E.parse(sys.argv[1]).find("t:Actions/t:Exec",ns)\n' +
    'print(json.dumps({"command":x.find("t:Command",ns).text,"args":x.find("t:Arguments",ns).text}))';
  return JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' }));
}

describe('the release', () => {
  it('SHA256SUMS holds the digest of each release file', () => {
    const sums = readFileSync(join(RELEASE, 'SHA256SUMS'), 'utf8').trimEnd().split('\n').map((line) => line.split('  '));
    expect(sums.map(([, name]) => name)).toEqual([EXE, LINUX, MSI].map((file) => file.slice(RELEASE.length + 1)).sort());
    for (const [digest, name] of sums) expect(createHash('sha256').update(readFileSync(join(RELEASE, name!))).digest('hex')).toBe(digest);
  });

  it('a rebuild of the bundle from the same commit gives the same bytes', () => {
    const again = join(root, 'again.cjs');
    execFileSync('node', ['--input-type=module', '-e', `import { bundle } from './packaging/bundle.mjs'; await bundle({ version: ${JSON.stringify(VERSION)}, outfile: ${JSON.stringify(again)} })`], { cwd: REPO });
    expect(createHash('sha256').update(readFileSync(again)).digest('hex')).toBe(createHash('sha256').update(readFileSync(join(REPO, '.cache', 'packaging', 'duo-bridge.cjs'))).digest('hex'));
  });
});
