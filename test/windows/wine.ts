import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Run, Runner } from './scenario.js';

/** Debian's wine64 package installs the loader here, off PATH (the `wine` package adds /usr/bin/wine64). */
export const WINE = ['/usr/lib/wine/wine64', '/usr/bin/wine64'].find((path) => existsSync(path)) ?? 'wine64';

/**
 * A hang guard, not a fault: no test kills a run to see what happens (those fire at the k-th write,
 * in test/crash). A run of the CLI takes seconds even on a loaded machine; one still going after
 * this is stuck (a Wine dialog, a stdin read), and the test fails saying so instead of never ending.
 */
const A_RUN_MAY_TAKE_MS = 180_000;

function hung(args: readonly string[]): Error {
  return new Error(`duo-bridge ${args.join(' ')} was still running after ${A_RUN_MAY_TAKE_MS / 1000} s: hung, killed`);
}

/**
 * A fresh Wine prefix reporting Windows 10: Wine's default version is one Node refuses ("only
 * supported on Windows 8.1 … or higher"). No Mono or Gecko: a console program needs neither, and
 * their installers would ask for a download.
 */
export function makeWinePrefix(dir: string): Record<string, string> {
  const env = { WINEPREFIX: dir, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  const options = { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env }, stdio: 'ignore' as const, timeout: A_RUN_MAY_TAKE_MS };
  execFileSync(WINE, ['wineboot', '--init'], options);
  execFileSync(WINE, ['winecfg', '/v', 'win10'], options);
  // The registry reaches the disk when the server exits.
  execFileSync(WINE.replace(/wine64$/, 'wineserver'), ['-w'], options);
  return env;
}

/**
 * Runs a Windows program under Wine. Its output goes to files, never pipes: under Wine a Windows
 * program's write to a pipe fails (EBADF).
 */
export function wineRunner(exe: string, wineEnv: Record<string, string>): Runner {
  return (args, { cwd, env }) => new Promise<Run>((resolve, reject) => {
    const outDir = mkdtempSync(join(tmpdir(), 'duo-bridge-wine-out-'));
    const out = openSync(join(outDir, 'stdout'), 'w');
    const err = openSync(join(outDir, 'stderr'), 'w');
    const child = spawn(WINE, [exe, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...wineEnv, ...env }, stdio: ['ignore', out, err] });
    let killed = false;
    const timer = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, A_RUN_MAY_TAKE_MS);
    const finish = (exitCode: number | null): void => {
      clearTimeout(timer);
      closeSync(out);
      closeSync(err);
      if (killed) {
        rmSync(outDir, { recursive: true, force: true });
        reject(hung(args));
        return;
      }
      const result = { exitCode, stdout: readFileSync(join(outDir, 'stdout'), 'utf8'), stderr: readFileSync(join(outDir, 'stderr'), 'utf8') };
      rmSync(outDir, { recursive: true, force: true });
      resolve(result);
    };
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => finish(code));
  });
}

/** Runs a Linux program (node with bin/duo-bridge, or the Linux executable) with pipes. */
export function nativeRunner(command: string, prefix: readonly string[] = []): Runner {
  return (args, { cwd, env }) => new Promise<Run>((resolve, reject) => {
    const child = spawn(command, [...prefix, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let killed = false;
    const timer = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, A_RUN_MAY_TAKE_MS);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      if (killed) reject(hung(args));
      else resolve({ exitCode, stdout, stderr });
    });
  });
}

/** How Wine names a Linux path: its drive Z: is the Linux root. */
export function winePath(path: string): string {
  return `Z:${path.replaceAll('/', '\\')}`;
}
