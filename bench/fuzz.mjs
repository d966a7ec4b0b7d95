// npm run fuzz — mutates the samples (a CSV, a workbook's zip entries, an LDIF dump, a tenant
// snapshot) and generates inputs (./fuzz-targets.mjs: CSVs and LDIF dumps from a hostile alphabet,
// sync runs with their dumps, states, configs and saved plans against a running simulator, raw
// HTTP to that simulator), and runs the command that reads each, one process at a time, failing on
// what the hostile-inputs promise forbids: exit 70 (internal error), a stack trace, an exit outside
// 0–3 (0–5 for sync), a hang (FUZZ_TIMEOUT s), a peak RSS over 500 MB, a simulator that stops
// answering, or an oracle's wrong result behind an exit 0 (a Duo CSV round trip that changes a
// row, a name validate calls ready that import writes otherwise, a damaged userAccountControl
// exported as active, a failed export that left a file). Seeded (FUZZ_SEED) and bounded
// (FUZZ_SECONDS, FUZZ_MAX). Inputs that fail are kept in bench/out/fuzz-failures/ with the command.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readZip, writeZip } from './zip-parts.mjs';
import { batchesMatch, duoCsvRoundTrip, exportStatus, generators, rawRequest, sendRaw, startSimulator, syncFiles } from './fuzz-targets.mjs';

const SEED = Number(process.env.FUZZ_SEED ?? 1);
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 600);
const MAX = Number(process.env.FUZZ_MAX ?? 100_000);
const TIMEOUT = Number(process.env.FUZZ_TIMEOUT ?? 30);
const MAX_RSS_MB = 500;
const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repo, 'bin/duo-bridge');
const preload = join(repo, 'test/hostile/peak-rss.mjs');
const work = mkdtempSync(join(tmpdir(), 'duo-bridge-fuzz-'));
const failures = join(repo, 'bench/out/fuzz-failures');

let state = SEED >>> 0 || 1;
const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
const pick = (list) => list[Math.floor(random() * list.length)];
const int = (n) => Math.floor(random() * n);

function duo(args, env = {}) {
  const rss = join(work, 'rss');
  rmSync(rss, { force: true });
  const run = spawnSync(process.execPath, ['--import', preload, bin, ...args], {
    cwd: work, encoding: 'utf8', timeout: TIMEOUT * 1000, maxBuffer: 256 * 1024 * 1024,
    env: { PATH: process.env.PATH, DUO_BRIDGE_RSS_FILE: rss, ...env },
  });
  let rssMb = 0;
  try {
    rssMb = Number(readFileSync(rss, 'utf8')) / 1024;
  } catch {
    // killed before it could say
  }
  return { args, status: run.status, signal: run.signal, stderr: run.stderr ?? '', rssMb };
}

const tools = { random: () => random(), pick: (list) => pick(list), int: (n) => int(n) };
const generate = generators(tools);
const simulator = await startSimulator(process.execPath, bin, work);

// The seeds: what the bundled samples give.
const seeds = {
  csv: join(work, 'seed.csv'), xlsx: join(work, 'seed.xlsx'), ldif: join(repo, 'samples/directory.ldif'), snapshot: join(repo, 'samples/tenant-mail-sync.json'),
};
for (const out of [seeds.csv, seeds.xlsx]) {
  const made = duo(['export', '--from-ldif', seeds.ldif, '--alias-attr', 'mail', '--phone-attr', 'mobile', '--default-country', 'US', '--out', out]);
  if (made.status !== 0) throw new Error(`could not make the ${out} seed: ${made.stderr}`);
}

const TOKENS = [',', ';', '"', '\n', '\r', '\r\n', '\t', '\u0000', '\uFEFF', "'", '=', '+', '@', 'é', '\uD800', '\\', '{', '}', '[', ']', ':', '-1', '1e999', 'null', '""', '<', '>', '&'];

/** One mutation of bytes: flip, insert a token, delete or duplicate a range, truncate. */
function mutate(bytes) {
  const b = Buffer.from(bytes);
  const at = int(Math.max(1, b.length));
  switch (int(6)) {
    case 0: b[at] ^= 1 << int(8); return b;
    case 1: return Buffer.concat([b.subarray(0, at), Buffer.from(pick(TOKENS).repeat(1 + int(random() < 0.1 ? 5000 : 3))), b.subarray(at)]);
    case 2: return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(200)))]);
    case 3: {
      const end = Math.min(b.length, at + 1 + int(400));
      return Buffer.concat([b.subarray(0, end), ...Array.from({ length: 1 + int(50) }, () => b.subarray(at, end)), b.subarray(end)]);
    }
    case 4: return b.subarray(0, at);
    default: b[at] = int(256); return b;
  }
}

const xlsxParts = await readZip(seeds.xlsx);

/** A mutated input of one kind, written to `path`; returns the command that reads it. */
async function next(kind, path) {
  if (kind === 'xlsx') {
    if (random() < 0.3) writeFileSync(path, mutate(readFileSync(seeds.xlsx)));
    else {
      const parts = xlsxParts.map(([name, content]) => [name, content]);
      const victim = int(parts.length);
      parts[victim] = [parts[victim][0], mutate(parts[victim][1])];
      await writeZip(path, parts);
    }
    return ['validate', path];
  }
  if (kind === 'gen-csv') {
    writeFileSync(path, generate.csv());
    return { oracle: () => (random() < 0.5 ? duoCsvRoundTrip(duo, work, path) : batchesMatch(duo, work, path)) };
  }
  if (kind === 'gen-ldif') {
    writeFileSync(path, generate.ldif());
    return { oracle: () => exportStatus(duo, work, path) };
  }
  if (kind === 'sync') {
    writeFileSync(path, random() < 0.7 ? generate.ldif() : mutate(Buffer.from(generate.ldif())));
    const files = syncFiles(tools, mutate, work);
    const args = ['sync', '--from-ldif', path, '--state', files.state, '--rate', '100000', '--format', pick(['text', 'json'])];
    if (files.config) args.push('--config', files.config);
    if (random() < 0.5) args.push('--apply', '--yes');
    if (files.plan && args.includes('--apply')) args.push('--plan', files.plan);
    else if (random() < 0.5) args.push('--out', files.plan);
    return { args, env: { ...simulator.env, DUO_BRIDGE_SYNC_NOW: new Date(Date.UTC(2025, 0, 1 + int(400))).toISOString() }, exits: [0, 1, 2, 3, 4, 5] };
  }
  if (kind === 'http') {
    const request = rawRequest(tools, simulator.env.DUO_IKEY);
    writeFileSync(path, request.text.slice(0, 4096));
    return { http: request };
  }
  let bytes = readFileSync(seeds[kind]);
  for (let n = 1 + int(3); n > 0; n--) bytes = mutate(bytes);
  writeFileSync(path, bytes);
  if (kind === 'csv') return pick([['validate', path], ['import', path, '--out-dir', join(work, 'batches')], ['plan', path, '--tenant', seeds.snapshot]]);
  if (kind === 'ldif') return ['export', '--from-ldif', path, '--out', join(work, 'out.csv')];
  return pick([['tenant', 'diff', path, seeds.snapshot], ['plan', seeds.csv, '--tenant', path]]);
}

mkdirSync(failures, { recursive: true });
const started = Date.now();
const counts = { csv: 0, xlsx: 0, ldif: 0, snapshot: 0, 'gen-csv': 0, 'gen-ldif': 0, sync: 0, http: 0 };
const extension = { snapshot: 'json', 'gen-csv': 'csv', 'gen-ldif': 'ldif', sync: 'ldif', http: 'txt' };
const exits = {};
const found = [];
let tried = 0;
while (tried < MAX && Date.now() - started < SECONDS * 1000) {
  const kind = pick(Object.keys(counts));
  const path = join(work, `input.${extension[kind] ?? kind}`);
  const made = await next(kind, path);
  const task = Array.isArray(made) ? { args: made } : made;
  let runs = [];
  let oracle = null;
  if (task.args) runs = [duo(task.args, task.env)];
  else if (task.oracle) ({ runs, problem: oracle } = task.oracle());
  else if (task.http) {
    const answer = await sendRaw(simulator.env.DUO_HOST, task.http);
    const alive = await sendRaw(simulator.env.DUO_HOST, { text: 'GET /admin/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', abort: false });
    if (simulator.child.exitCode !== null || alive !== 'HTTP/1.1 401 Unauthorized') oracle = `the simulator stopped answering (${simulator.stderr().slice(-300)})`;
    else if (/^HTTP\/1\.1 5\d\d/.test(answer)) oracle = `the simulator answered ${answer}`;
  }
  tried++;
  counts[kind]++;
  const allowed = task.exits ?? [0, 1, 2, 3];
  let problem = oracle;
  for (const run of runs) {
    exits[run.status ?? run.signal] = (exits[run.status ?? run.signal] ?? 0) + 1;
    problem ??= run.signal !== null ? `hang (killed after ${TIMEOUT} s): ${run.args.join(' ')}`
      : run.status === 70 ? 'internal error (exit 70)'
      : !allowed.includes(run.status) ? `exit ${run.status}`
      : /\n\s+at \S/.test(run.stderr) ? 'a stack trace'
      : run.rssMb > MAX_RSS_MB ? `peak RSS ${run.rssMb.toFixed(0)} MB`
      : null;
  }
  if (problem !== null) {
    const kept = join(failures, `${found.length + 1}-${kind}${path.slice(path.lastIndexOf('.'))}`);
    copyFileSync(path, kept);
    found.push({ problem, kind, args: (runs.at(-1)?.args ?? []).map((a) => (a === path ? kept : a)), stderr: (runs.at(-1)?.stderr ?? '').slice(0, 300) });
    console.log(`#${tried} ${kind}: ${problem} — kept as ${kept}`);
  }
}
simulator.stop();
rmSync(work, { recursive: true, force: true });
writeFileSync(join(failures, 'found.json'), JSON.stringify(found, null, 2));
console.log(`fuzz (seed ${SEED}): ${tried} inputs in ${((Date.now() - started) / 1000).toFixed(0)} s — ${Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(', ')}; exits ${JSON.stringify(exits)}; ${found.length} failures`);
process.exitCode = found.length > 0 ? 1 : 0;
