// npm run bench:journal — one reading of a large journal: what every resume and rollback pays
// before its first call. A synthetic journal of a BENCH_USERS-user bulk import (intents of 50
// create operations, their outcomes, the claims and row records, as the importer writes them) is
// streamed through RunHistory, against streaming the same file with a no-op reader (the baseline,
// measured in the same run). Medians of BENCH_RUNS (default 3), alternating; and what the reading
// keeps in memory once done (heap after GC, with and without it).
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../dist/duo/journal/journal.js';
import { RunHistory } from '../dist/duo/journal/run-history.js';

if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc (npm run bench:journal does)');
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const work = mkdtempSync(join(tmpdir(), 'duo-bridge-bench-'));
const path = join(work, 'users.journal.jsonl');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const records = [JSON.stringify({ t: 'start', kind: 'import', input: 'users.csv', sha256: '0', host: 'api-bench.duosecurity.com', at: new Date().toISOString() })];
const t0 = Date.now();
for (let u = 0, id = 1; u < USERS; u += 50, id++) {
  const names = Array.from({ length: Math.min(50, USERS - u) }, (_, i) => `u${u + i}`);
  const operations = names.map((n) => ({ method: 'POST', path: '/admin/v1/users', body: { username: n, realname: `User ${n}`, aliases: `alias1=${n}%40example.com` } }));
  records.push(JSON.stringify({ t: 'intent', id, at: t0 + id * 1000, deadline: t0 + id * 1000 + 60_000, op: 'bulk', operations }));
  records.push(JSON.stringify({ t: 'outcome', id, status: 'ok', at: t0 + id * 1000 + 300 }));
  names.forEach((n, i) => records.push(JSON.stringify({ t: 'claim', username: n, user_id: `DU${String(u + i).padStart(18, '0')}` })));
  names.forEach((n, i) => records.push(JSON.stringify({ t: 'row', line: u + i + 2, username: n, result: 'created', user_id: `DU${String(u + i).padStart(18, '0')}`, error: null })));
}
writeFileSync(path, records.join('\n') + '\n');
const count = records.length;
records.length = 0;

async function read(replay) {
  const start = process.hrtime.bigint();
  const journal = await Journal.open(path, { replay });
  await journal.close();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const plain = [];
const history = [];
for (let run = 0; run < RUNS; run++) {
  plain.push(await read(() => undefined));
  history.push(await read(new RunHistory().replay));
}
global.gc();
const bare = process.memoryUsage().heapUsed;
let kept = new RunHistory();
await read(kept.replay);
global.gc();
const held = process.memoryUsage().heapUsed - bare;
const users = kept.createdUserIds().length;
kept = null;
console.log(`journal of a ${USERS.toLocaleString('en-US')}-user import: ${(statSync(path).size / 1e6).toFixed(1)} MB, ${count.toLocaleString('en-US')} records`);
console.log(`streamed alone ${median(plain).toFixed(0)} ms · through RunHistory ${median(history).toFixed(0)} ms → ${(median(plain) / median(history)).toFixed(2)}× the bare read`);
console.log(`RunHistory keeps ${(held / 1e6).toFixed(1)} MB after the reading (${users.toLocaleString('en-US')} users known: ${Math.round(held / users)} bytes each)`);
rmSync(work, { recursive: true, force: true });
