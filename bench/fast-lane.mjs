// npm run bench:fast-lane — issue 28's figures on a real Samba AD DC of BENCH_USERS (default 100,000)
// users, against `duo-bridge simulator` in its own process. Needs root (the lab installs Samba if missing).
//   1. the baseline, measured in the same run: a full read (`sync --changes-only --full-read-every 0m`,
//      which reads both sides in full as a plain sync does and takes the cookie), BENCH_RUNS times;
//   2. a quiet `--changes-only` run (nothing changed in AD) after each: wall, peak RSS, Duo calls;
//   3. k users disabled in AD (BENCH_K, default 50): the next run's Duo calls against ⌈k/100⌉ + its writes;
//   4. the latency from `samba-tool user disable` to `status: disabled` in Duo with
//      `sync --changes-only --watch --interval 10` running, over BENCH_DISABLES (default 20) disables.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuoClient } from '../dist/duo/api/client.js';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const K = Number(process.env.BENCH_K ?? 50);
const DISABLES = Number(process.env.BENCH_DISABLES ?? 20);
const lab = fileURLToPath(new URL('../test/ad/lab.sh', import.meta.url));
const bin = fileURLToPath(new URL('../bin/duo-bridge', import.meta.url));
const child = fileURLToPath(new URL('./child.mjs', import.meta.url));
const env = { ...process.env, AD_DIR: process.env.AD_DIR ?? '/tmp/duo-bridge-bench-lane/dc' };
const work = mkdtempSync(join(tmpdir(), 'duo-bridge-bench-lane-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => n.toLocaleString('en-US');
const sam = (i) => `u${String(i).padStart(6, '0')}`;

console.error(`starting a lab DC with ${fmt(USERS)} users …`);
const ad = Object.fromEntries(execFileSync('bash', [lab, 'up', String(USERS)], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  .trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2)));
writeFileSync(join(work, 'tenant.json'), JSON.stringify({ host: 'bench', exported_at: '2026-12-01T00:00:00Z', users: [], groups: [] }));
const simulator = spawn(process.execPath, [bin, 'simulator', '--tenant', join(work, 'tenant.json')], { stdio: ['ignore', 'pipe', 'ignore'] });
let banner = '';
simulator.stdout.setEncoding('utf8').on('data', (chunk) => (banner += chunk));
while (!/DUO_SKEY=\S+\n/.test(banner)) await once(simulator.stdout, 'data');
const duoEnv = Object.fromEntries([...banner.matchAll(/^export (DUO_\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
const runEnv = { ...process.env, ...duoEnv, LDAP_BIND_PASSWORD: ad.AD_EXPORT_PASSWORD };
const state = join(work, 'sync.state.json');
const summaryPath = join(work, 'summary.json');
const syncArgs = ['sync', '--url', ad.AD_URL, '--insecure-plaintext-bind', '--bind-dn', ad.AD_EXPORT_USER, '--base', ad.AD_BASE, '--state', state,
  '--changes-only', '--apply', '--yes', '--summary-json', summaryPath, '--rate', '100000', '--ldap-timeout', '120'];

function measure(extra = []) {
  const run = spawnSync(process.execPath, [child, ...syncArgs, ...extra], { stdio: ['ignore', 'inherit', 'inherit', 'pipe'], env: runEnv, maxBuffer: 1 << 20 });
  const result = JSON.parse(run.output[3].toString());
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
  if (result.exitCode !== 0) throw new Error(`sync exited ${result.exitCode}: ${result.stderr}`);
  return { seconds: result.seconds, rss: result.maxRssMB, calls: summary.duo_calls, writes: summary.duo_writes, read: summary.read, why: summary.read_why, counts: summary.counts };
}

function disable(i) {
  execFileSync('samba-tool', ['user', 'disable', sam(i), '-H', join(env.AD_DIR, 'private', 'sam.ldb')], { stdio: 'ignore' });
}

const duo = new DuoClient({ credentials: { baseUrl: new URL(duoEnv.DUO_HOST), ikey: duoEnv.DUO_IKEY, skey: duoEnv.DUO_SKEY }, ratePerMinute: 100_000, timeoutMs: 10_000 });
async function statusOf(name) {
  const { response } = await duo.get('/admin/v1/users', { username: name });
  return response[0]?.status;
}

try {
  console.error('first run: creates every user …');
  const first = measure();
  console.error(`  created ${fmt(first.counts.create ?? 0)} users in ${first.seconds.toFixed(1)} s`);
  const full = [];
  const quiet = [];
  for (let run = 0; run < RUNS; run++) {
    full.push(measure(['--full-read-every', '0m']));
    quiet.push(measure());
    if (quiet.at(-1).read !== 'changes' || quiet.at(-1).calls !== 0) throw new Error(`not a quiet run: ${JSON.stringify(quiet.at(-1))}`);
  }
  // k users disabled in AD (never the first hundred: the latency loop takes those).
  const picked = Array.from({ length: K }, (_, n) => 1000 + n * 37).filter((i) => i % 20 !== 7);
  for (const i of picked) disable(i);
  const changed = measure();

  // The fast lane as a service: each disable's latency until Duo shows it, polled every 250 ms.
  const watch = spawn(process.execPath, [bin, ...syncArgs.filter((a) => a !== summaryPath && a !== '--summary-json'), '--watch', '--interval', '10'], { env: runEnv, stdio: ['ignore', 'ignore', 'ignore'] });
  const latencies = [];
  for (let n = 0; n < DISABLES; n++) {
    const i = 101 + n * 3;
    if (i % 20 === 7) continue;
    // Spread over the interval (0, 7, 4, 1, 8 … s after the last one showed): a disable lands anywhere in a run's cycle.
    await new Promise((resolve) => setTimeout(resolve, ((n * 7) % 10) * 1000));
    const started = Date.now();
    disable(i);
    while ((await statusOf(sam(i))) !== 'disabled') await new Promise((resolve) => setTimeout(resolve, 250));
    latencies.push((Date.now() - started) / 1000);
  }
  watch.kill('SIGTERM');
  await once(watch, 'close');

  const f = median(full.map((r) => r.seconds));
  const q = median(quiet.map((r) => r.seconds));
  console.log(`sync --changes-only over a Samba AD DC of ${fmt(USERS)} users and a tenant of as many, median of ${RUNS}:`);
  console.log(`  full read (the baseline: what every run cost before): ${f.toFixed(2)} s (runs ${full.map((r) => r.seconds.toFixed(2)).join(', ')}), peak RSS ${Math.max(...full.map((r) => r.rss)).toFixed(0)} MB, ${full[0].calls} Duo calls`);
  console.log(`  quiet run (nothing changed in AD): ${q.toFixed(2)} s (runs ${quiet.map((r) => r.seconds.toFixed(2)).join(', ')}), peak RSS ${Math.max(...quiet.map((r) => r.rss)).toFixed(0)} MB (goal < 120), ${quiet[0].calls} Duo calls (goal 0); ${(f / q).toFixed(1)}× faster than a full read`);
  console.log(`  ${picked.length} users disabled in AD: read ${changed.read}${changed.why ? ` (${changed.why})` : ''}, ${fmt(changed.counts.disable ?? 0)} disables, ${changed.calls} Duo calls ` +
    `(${changed.writes} writes; look-ups ${changed.calls - changed.writes}, goal ≤ ⌈k/100⌉ = ${Math.ceil(picked.length / 100)} plus the group listing and the read-back), ${changed.seconds.toFixed(2)} s, peak RSS ${changed.rss.toFixed(0)} MB`);
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(`  samba-tool user disable → disabled in Duo, --watch --interval 10, ${latencies.length} disables: median ${median(sorted).toFixed(1)} s, worst ${sorted.at(-1).toFixed(1)} s`);
} finally {
  simulator.kill('SIGTERM');
  execFileSync('bash', [lab, 'down'], { env, stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
