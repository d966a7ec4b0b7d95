// npm run bench:import — 20,000 users imported into the fake Duo, which allows N write calls per
// minute (429 beyond). Reports achieved writes/minute against N, the share of 429s and the
// importer's CPU time. The fake runs in this process; the importer in a child.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const USERS = Number(process.env.BENCH_USERS ?? 20_000);
const LIMIT = Number(process.env.BENCH_WRITES_PER_MINUTE ?? 5_000);
const { FakeDuo } = await import('./out/build/test/fake-duo/fake-duo.js');
const { usersCsv } = await import('./out/build/test/helpers/users-csv.js');

const work = mkdtempSync(join(tmpdir(), 'duo-bridge-bench-'));
const input = join(work, 'users.csv');
writeFileSync(input, usersCsv(USERS));
const duo = await new FakeDuo({ writeLimitPerMinute: LIMIT }).start();
try {
  console.error(`importing ${USERS.toLocaleString('en-US')} users, fake Duo allows ${LIMIT.toLocaleString('en-US')} writes/minute, --rate ${LIMIT} …`);
  const child = spawn(process.execPath, [fileURLToPath(new URL('./child.mjs', import.meta.url)), 'import', input, '--apply', '--yes', '--rate', String(LIMIT)], {
    env: { ...process.env, ...duo.env() }, stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
  });
  let report = '';
  child.stdio[3].on('data', (chunk) => (report += chunk));
  await new Promise((resolve) => child.on('close', resolve));
  const measured = JSON.parse(report);
  const writes = duo.log.filter((r) => r.method !== 'GET');
  const tooMany = duo.log.filter((r) => r.status === 429).length;
  const minutes = (writes.at(-1).at - duo.log[0].at) / 60_000;
  const perMinute = writes.length / minutes;
  console.log(measured.stderr);
  console.log(`users in the fake Duo: ${duo.users.size.toLocaleString('en-US')} · calls ${duo.log.length.toLocaleString('en-US')} (${writes.length.toLocaleString('en-US')} writes)`);
  console.log(`achieved ${perMinute.toFixed(0)} writes/minute = ${((100 * perMinute) / LIMIT).toFixed(1)} % of N=${LIMIT} (goal ≥ 90 %)`);
  console.log(`429 answers: ${tooMany} = ${((100 * tooMany) / duo.log.length).toFixed(2)} % of calls (goal ≤ 2 %)`);
  console.log(`importer CPU: ${measured.cpuSeconds.toFixed(1)} s over ${measured.seconds.toFixed(0)} s = ${((100 * measured.cpuSeconds) / measured.seconds).toFixed(1)} % of one core; peak RSS ${measured.maxRssMB.toFixed(0)} MB`);
} finally {
  await duo.stop();
  rmSync(work, { recursive: true, force: true });
}
