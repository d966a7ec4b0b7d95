// One duo-bridge run (in a child process) against the fake Duo with a per-minute write limit, measured
// from the fake's side: calls, writes, 429s, call rate against the limit; and the child's time, CPU, RSS.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const { FakeDuo } = await import('./out/build/test/fake-duo/fake-duo.js');
export const fmt = (n) => Math.round(n).toLocaleString('en-US');

export async function runAgainstFake(title, args, { users, limit, seed = () => undefined }) {
  const duo = await new FakeDuo({ writeLimitPerMinute: limit }).start();
  seed(duo);
  try {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./child.mjs', import.meta.url)), ...args, '--yes', '--rate', String(limit)], {
      env: { ...process.env, ...duo.env() }, stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    });
    let report = '';
    child.stdio[3].on('data', (chunk) => (report += chunk));
    await new Promise((resolve) => child.on('close', resolve));
    const measured = JSON.parse(report);
    const calls = duo.log.length;
    const writes = duo.log.filter((r) => r.method !== 'GET' && r.status !== 429).length;
    const tooMany = duo.log.filter((r) => r.status === 429).length;
    const minutes = (duo.log.at(-1).at - duo.log[0].at) / 60_000;
    return {
      duo, title, seconds: measured.seconds, calls, writes, tooMany,
      line: `${title}: ${fmt(calls)} calls (${fmt(writes)} writes) = ${(calls / users).toFixed(3)} calls and ${(writes / users).toFixed(3)} writes per user · ` +
        `${fmt(calls / minutes)} calls/min = ${((100 * calls) / minutes / limit).toFixed(1)} % of N · 429: ${tooMany} (${((100 * tooMany) / calls).toFixed(2)} %) · ` +
        `${measured.seconds.toFixed(1)} s wall (calls ÷ N = ${((60 * calls) / limit).toFixed(1)} s) · CPU ${measured.cpuSeconds.toFixed(1)} s, RSS ${measured.maxRssMB.toFixed(0)} MB\n  ${measured.stderr.split('\n').filter((l) => /^(resumed )?import of|^migrated/.test(l)).join(' ')}`,
    };
  }
  finally {
    await duo.stop();
  }
}

