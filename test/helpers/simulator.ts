import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { BIN, REPO } from './run-cli.js';

export interface SimulatorProcess {
  readonly env: Record<string, string>;
  readonly banner: string;
  readonly child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `duo-bridge simulator …` as a user starts it; resolves once it printed the DUO_* lines. */
export async function startSimulator(args: readonly string[]): Promise<SimulatorProcess> {
  const child = spawn(process.execPath, [BIN, 'simulator', ...args], { cwd: REPO, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let banner = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (banner += chunk));
  const exited = once(child, 'exit');
  while (!/DUO_SKEY=\S+\n/.test(out)) {
    const outcome = await Promise.race([once(child.stdout, 'data').then(() => 'data'), exited.then(() => 'exit')]);
    if (outcome === 'exit') throw new Error(`the simulator exited: ${banner}`);
  }
  const env = Object.fromEntries([...out.matchAll(/^export (DUO_\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  return {
    env, banner, child,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        await exited;
      }
    },
  };
}
