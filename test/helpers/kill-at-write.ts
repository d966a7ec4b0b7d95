import { spawn } from 'node:child_process';
import type { FakeDuo } from '../fake-duo/fake-duo.js';
import { BIN } from './run-cli.js';

/**
 * Where a kill lands: 'before', the k-th write reaches the fake and is dropped unapplied; 'after',
 * the fake applies it and the answer never arrives. Either way the journal holds its intent only.
 */
export type KillPoint = 'before' | 'after';

/**
 * Runs duo-bridge against the fake and SIGKILLs it at its k-th write request: a progress point, so
 * the test does the same thing however fast or busy the machine is. Resolves when the process is
 * gone; `killed` is false when the run finished with fewer than k writes.
 */
export function runKilledAtWrite(duo: FakeDuo, args: readonly string[], k: number, point: KillPoint): Promise<{ killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...duo.env() }, stdio: 'ignore' });
    let writes = 0;
    let killed = false;
    const atWrite = (method: string): boolean => {
      if (method === 'GET' || killed || ++writes !== k) return false;
      killed = child.kill('SIGKILL');
      return true;
    };
    if (point === 'before') duo.beforeRequest = (method) => (atWrite(method) ? 'drop' : undefined);
    else duo.afterWrite = (_count, method) => void atWrite(method);
    child.on('exit', () => {
      duo.beforeRequest = undefined;
      duo.afterWrite = undefined;
      resolve({ killed });
    });
  });
}

/** A fixed spread of small k: each killed run still makes some progress, and the kills land at every stage. */
export function killSchedule(runs: number, maxK: number): { k: number; point: KillPoint }[] {
  return Array.from({ length: runs }, (_, i) => ({ k: 1 + ((i * 7 + 3) % maxK), point: i % 2 === 0 ? 'after' : 'before' }));
}
