import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/run-cli.js';
import { labUsers, writeLdif } from '../helpers/sync-ldif.js';

export interface Run {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs duo-bridge (one of its builds) with `args` in `cwd`; `env` adds to a clean environment. */
export type Runner = (args: readonly string[], options: { cwd: string; env: Record<string, string> }) => Promise<Run>;

/** One command of the scenario as it ran: its exit code, what it printed and the files it left (path → text). */
export interface Step {
  readonly name: string;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly files: Record<string, string>;
}

export interface ScenarioOptions {
  /** The folder the run works in (the same relative names for every build, so outputs compare). */
  readonly dir: string;
  /** DUO_HOST, DUO_IKEY, DUO_SKEY of a simulator started from an empty tenant, this scenario's own. */
  readonly duo: Record<string, string>;
  /** How this build names `dir` on its platform: a Windows build gets Z:\… (Wine's drive for /). */
  readonly nativePath: (path: string) => string;
}

const FAST = ['--rate', '6000'];
const DAY1 = '2026-12-01T06:00:00.000Z';
const DAY2 = '2026-12-02T06:00:00.000Z';

/**
 * Issue 31's scenario, the same for the Linux CLI, the Windows executable under Wine and the Linux
 * executable: --version and --help; export of the sample LDIF (LF, CRLF, to a workbook); validate (exit 1 on the messy
 * sample, 0 on the clean one, LF and CRLF, named by a native absolute path); import --apply --yes,
 * then tenant diff; rollback; two sync days, the second holding its disables (exit 4).
 */
export async function runScenario(run: Runner, { dir, duo, nativePath }: ScenarioOptions): Promise<Step[]> {
  for (const name of ['directory.ldif', 'users-messy.csv', 'users-clean.csv']) copyFileSync(join(REPO, 'samples', name), join(dir, name));
  const clean = readFileSync(join(dir, 'users-clean.csv'), 'utf8');
  writeFileSync(join(dir, 'users-clean-crlf.csv'), clean.replace(/\r?\n/g, '\r\n'));
  writeFileSync(join(dir, 'empty-tenant.json'), JSON.stringify({ host: 'empty', exported_at: DAY1, users: [], groups: [] }));
  const steps: Step[] = [];
  const native = nativePath(dir);
  const inDir = (text: string): string => text.replaceAll(native, '<dir>').replaceAll(JSON.stringify(native).slice(1, -1), '<dir>').replace(/<dir>(?:\\\\|\\)/g, '<dir>/');
  /** `files`: what to read after the run (a function when the names are known only then). */
  const step = async (name: string, args: readonly string[], files: readonly string[] | (() => string[]) = [], env: Record<string, string> = {}): Promise<Step> => {
    const raw = await run(args, { cwd: dir, env: { ...duo, ...env } });
    const names = typeof files === 'function' ? files() : files;
    // sync prints and records its state, journals and the commands it suggests by absolute path: each build's own folder.
    const result = { ...raw, stdout: inDir(raw.stdout), stderr: inDir(raw.stderr) };
    const done = { name, ...result, files: Object.fromEntries(names.map((file) => [file, inDir(read(join(dir, file)))])) };
    steps.push(done);
    return done;
  };

  await step('--version', ['--version']);
  await step('--help', ['--help']);
  await step('sync --help', ['sync', '--help']);
  await step('export --from-ldif', ['export', '--from-ldif', 'directory.ldif', '--alias-attr', 'mail', '--lowercase', '--out', 'users.csv'], ['users.csv']);
  // ldifde on Windows writes CRLF.
  writeFileSync(join(dir, 'directory-crlf.ldif'), readFileSync(join(dir, 'directory.ldif'), 'utf8').replace(/\r?\n/g, '\r\n'));
  await step('export --from-ldif, CRLF', ['export', '--from-ldif', 'directory-crlf.ldif', '--alias-attr', 'mail', '--lowercase', '--out', 'users-crlf.csv'], ['users-crlf.csv']);
  // exceljs is loaded only for a workbook: the bundle must hold it (the file's bytes hold its time: not compared).
  await step('export to .xlsx', ['export', '--from-ldif', 'directory.ldif', '--alias-attr', 'mail', '--lowercase', '--out', 'users.xlsx']);
  await step('validate .xlsx', ['validate', 'users.xlsx', '--format', 'json']);
  await step('validate messy (exit 1)', ['validate', 'users-messy.csv', '--format', 'json', '--report', 'messy-findings.csv'], ['messy-findings.csv']);
  await step('validate clean (exit 0)', ['validate', 'users-clean.csv']);
  await step('validate clean, CRLF', ['validate', 'users-clean-crlf.csv', '--format', 'json']);
  const absolute = await step('validate, native absolute path', ['validate', nativePath(join(dir, 'users-clean.csv'))]);
  steps[steps.length - 1] = { ...absolute, stdout: absolute.stdout.replaceAll(nativePath(join(dir, 'users-clean.csv')), '<file>') };
  await step('validate exported', ['validate', 'users.csv', '--format', 'json']);
  await step('import --out-dir', ['import', 'users.csv', '--skip-invalid', '--out-dir', 'batches'], ['batches/batch-0001.json', 'users.rejected.csv']);
  await step('tenant export (before)', ['tenant', 'export', '--out', 'before.json', ...FAST]);
  await step('import --apply --yes', ['import', 'users.csv', '--skip-invalid', '--apply', '--yes', ...FAST], ['users.results.csv']);
  await step('tenant diff', ['tenant', 'diff', 'before.json', '--format', 'json', ...FAST]);
  await step('rollback', ['rollback', 'users.journal.jsonl', '--apply', '--yes', ...FAST]);
  await step('tenant diff after rollback', ['tenant', 'diff', 'before.json', '--format', 'json', ...FAST]);

  const sync = ['sync', '--from-ldif', 'day.ldif', '--state', 'sync.state.json', '--apply', '--yes', '--summary-json', 'last-run.json', ...FAST];
  writeLdif(join(dir, 'day.ldif'), labUsers(40));
  await step('sync day 1', sync, ['last-run.json'], { DUO_BRIDGE_SYNC_NOW: DAY1 });
  writeLdif(join(dir, 'day.ldif'), labUsers(28, 13));
  await step('sync day 2: held (exit 4)', sync, () => ['last-run.json', ...heldFiles(dir)], { DUO_BRIDGE_SYNC_NOW: DAY2 });
  return steps;
}

function heldFiles(dir: string): string[] {
  const runs = join(dir, 'sync.state.runs');
  return existsSync(runs) ? readdirSync(runs).filter((f) => f.endsWith('.held.json')).sort().map((f) => `sync.state.runs/${f}`) : [];
}

function read(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '<missing>';
}

/**
 * What may differ between two runs of the same scenario: the simulator's port, what is derived from
 * it (plan ids), durations; and on Windows the separator in the paths it prints.
 */
export function comparable(text: string, windows: boolean): string {
  let out = text.replace(/127\.0\.0\.1:\d+/g, '<duo>')
    .replace(/\b[0-9a-f]{12}\b/g, '<id>')
    .replace(/\d+\.\d+ s\b/g, '<t> s')
    .replace(/[\d,]+\/s\b/g, '<n>/s')
    .replace(/"seconds": [\d.]+/g, '"seconds": <t>')
    // The program a suggested command starts with: each build's own path.
    .replace(/(^ {2,}|"approve_with": ")[^\s"]*duo-bridge[^\s"]*(?= sync )/gm, '$1<program>');
  // The folders the scenario's commands name in what they print, with Windows' separator (JSON escapes it).
  if (windows) out = out.replace(/\b(sync\.state\.runs|batches)(?:\\\\|\\)/g, '$1/');
  return out;
}

/** Each way `actual` differs from `reference`, one line each (empty: the same). */
export function differences(reference: readonly Step[], actual: readonly Step[], windows: boolean): string[] {
  const found: string[] = [];
  if (reference.length !== actual.length) found.push(`${actual.length} steps ran, the reference ran ${reference.length}`);
  reference.forEach((want, i) => {
    const got = actual[i];
    if (got === undefined) return;
    if (got.exitCode !== want.exitCode) found.push(`${want.name}: exit ${got.exitCode}, the Linux CLI ${want.exitCode}`);
    for (const stream of ['stdout', 'stderr'] as const) {
      const [a, b] = [comparable(want[stream], false), comparable(got[stream], windows)];
      if (a !== b) found.push(`${want.name}: ${stream} differs at line ${firstDifferentLine(a, b)}`);
    }
    const wantFiles = Object.fromEntries(Object.entries(want.files).map(([k, v]) => [comparable(k, false), comparable(v, false)]));
    const gotFiles = Object.fromEntries(Object.entries(got.files).map(([k, v]) => [comparable(k, windows), comparable(v, windows)]));
    for (const name of new Set([...Object.keys(wantFiles), ...Object.keys(gotFiles)])) {
      if (wantFiles[name] !== gotFiles[name]) found.push(`${want.name}: file ${name} ${gotFiles[name] === undefined ? 'missing' : `differs at line ${firstDifferentLine(wantFiles[name] ?? '', gotFiles[name])}`}`);
    }
  });
  return found;
}

function firstDifferentLine(a: string, b: string): string {
  const [x, y] = [a.split('\n'), b.split('\n')];
  const i = x.findIndex((line, n) => line !== y[n]);
  const at = i === -1 ? x.length : i;
  return `${at + 1}: ${JSON.stringify(x[at] ?? '<end>')} vs ${JSON.stringify(y[at] ?? '<end>')}`;
}
