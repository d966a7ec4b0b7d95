// npm run bench:startup — issue 31's start-up figures: the Linux executable (release/…-linux-x64) against
// `node bin/duo-bridge`, for `--version` (start-up alone) and `validate samples/users-clean.csv` (start-up and a
// small command); the Windows executable's `--version` under Wine when wine64 is there; the executables' sizes.
// Median of BENCH_RUNS runs (default 9), the builds alternating so that both see the same machine state.
// Run `npm run package` first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const linux = join(ROOT, 'release', `duo-bridge-${version}-linux-x64`);
const exe = join(ROOT, 'release', `duo-bridge-${version}-win-x64.exe`);
const wine = ['/usr/lib/wine/wine64', '/usr/bin/wine64'].find((path) => existsSync(path));
if (!existsSync(linux)) throw new Error(`${linux} is missing: run "npm run package" first`);

const builds = {
  'node bin/duo-bridge': (args) => [process.execPath, [join(ROOT, 'bin', 'duo-bridge'), ...args]],
  'linux-x64 executable': (args) => [linux, args],
};

/** Wall time of one run in ms; output to /dev/null (a Wine program cannot write to a pipe). */
function time([command, args], env = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'ignore', env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: exit ${result.status}`);
  return ms;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const mb = (path) => `${(statSync(path).size / 1e6).toFixed(1)} MB`;

console.log(`sizes: ${linux.slice(ROOT.length)} ${mb(linux)}; ${existsSync(exe) ? `${exe.slice(ROOT.length)} ${mb(exe)}` : 'no Windows executable'}`);
for (const args of [['--version'], ['validate', 'samples/users-clean.csv']]) {
  const times = Object.fromEntries(Object.keys(builds).map((name) => [name, []]));
  for (let i = 0; i < RUNS; i++) for (const [name, build] of Object.entries(builds)) times[name].push(time(build(args)));
  const [base, sea] = Object.values(times).map(median);
  console.log(`${args.join(' ')}: node bin/duo-bridge ${base.toFixed(0)} ms · linux-x64 executable ${sea.toFixed(0)} ms (${(sea / base).toFixed(2)} ×), median of ${RUNS}`);
}

if (wine && existsSync(exe)) {
  const prefix = mkdtempSync(join(tmpdir(), 'duo-bridge-bench-wine-'));
  const env = { WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  try {
    spawnSync(wine, ['wineboot', '--init'], { stdio: 'ignore', env: { ...process.env, ...env } });
    spawnSync(wine, ['winecfg', '/v', 'win10'], { stdio: 'ignore', env: { ...process.env, ...env } });
    // The first run starts the Wine server; what a scheduled task pays is closer to the later ones.
    const first = time([wine, [exe, '--version']], env);
    const later = Array.from({ length: RUNS }, () => time([wine, [exe, '--version']], env));
    console.log(`--version under Wine (${spawnSync(wine, ['--version'], { encoding: 'utf8' }).stdout.trim() || 'wine64'}): first run ${first.toFixed(0)} ms (starts the Wine server), then median ${median(later).toFixed(0)} ms of ${RUNS}`);
  } finally {
    spawnSync(wine.replace(/wine64$/, 'wineserver'), ['-k'], { stdio: 'ignore', env: { ...process.env, ...env } });
    rmSync(prefix, { recursive: true, force: true });
  }
} else {
  console.log('--version under Wine: skipped (no wine64 or no Windows executable)');
}
