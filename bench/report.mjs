// npm run bench:report — the HTML report of a 100,000-row plan (BENCH_USERS): what writing the
// page costs against the same plan printed as `--format json` (the baseline, the same data, measured
// in the same run, alternating; medians of BENCH_RUNS = 3), the page's size per row, and, when
// Debian's chromium is installed, how fast the page opens in it (load and first paint).
// A third of the rows rename a user an old mail-username sync created (migrate), the rest create.
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const work = mkdtempSync(join(tmpdir(), 'duo-bridge-bench-report-'));
const child = fileURLToPath(new URL('./child.mjs', import.meta.url));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => n.toLocaleString('en-US');
const sam = (i) => `u${String(i).padStart(6, '0')}`;
const id = (i) => `DU${String(i).padStart(18, '0')}`;

const csv = createWriteStream(join(work, 'users.csv'));
csv.write('username,realname,email,alias1\n');
for (let i = 1; i <= USERS; i++) {
  if (!csv.write(`${sam(i)},Given${i} Sur${i},${sam(i)}@corp.example,${sam(i)}@corp.example\n`)) await once(csv, 'drain');
}
csv.end();
await once(csv, 'finish');
const users = [];
for (let i = 1; i <= USERS; i += 3) {
  users.push({ user_id: id(i), username: `${sam(i)}@corp.example`, aliases: {}, email: `${sam(i)}@corp.example`, realname: `Given${i} Sur${i}`, firstname: null, lastname: null,
    status: 'active', notes: null, last_directory_sync: null, external_id: null, is_enrolled: false, phones: [], groups: [] });
}
writeFileSync(join(work, 'tenant.json'), JSON.stringify({ host: 'api-bench.duosecurity.com', exported_at: new Date().toISOString(), users, groups: [] }));

function measure(args) {
  const run = spawnSync(process.execPath, [child, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'pipe'], maxBuffer: 1 << 20 });
  const result = JSON.parse(run.output[3].toString());
  if (result.exitCode !== 0) throw new Error(`${args[0]} exited ${result.exitCode}: ${result.stderr}`);
  return result;
}

const plan = ['plan', join(work, 'users.csv'), '--tenant', join(work, 'tenant.json')];
const page = join(work, 'plan.html');
const json = [];
const html = [];
try {
  for (let run = 0; run < RUNS; run++) {
    json.push(measure([...plan, '--format', 'json']));
    html.push(measure([...plan, '--report', page]));
  }
  const bytes = statSync(page).size;
  const base = median(json.map((r) => r.seconds));
  const ours = median(html.map((r) => r.seconds));
  console.log(`report of ${fmt(USERS)} plan rows (${fmt(users.length)} migrate, ${fmt(USERS - users.length)} create):`);
  console.log(`  plan --format json (baseline): ${base.toFixed(2)} s (runs ${json.map((r) => r.seconds.toFixed(2)).join(', ')}), peak RSS ${Math.max(...json.map((r) => r.maxRssMB)).toFixed(0)} MB`);
  console.log(`  plan --report plan.html: ${ours.toFixed(2)} s (runs ${html.map((r) => r.seconds.toFixed(2)).join(', ')}), peak RSS ${Math.max(...html.map((r) => r.maxRssMB)).toFixed(0)} MB`);
  console.log(`  ratio ${(ours / base).toFixed(2)} × the time · the page: ${fmt(bytes)} bytes = ${Math.round(bytes / USERS)} bytes a row ` +
    `(the JSON: ${fmt(json[0].outBytes)} bytes = ${Math.round(json[0].outBytes / USERS)} a row)`);
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(chromium)) {
    const { default: puppeteer } = await import('puppeteer-core');
    const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox'] });
    const opens = [];
    for (let run = 0; run < RUNS; run++) {
      const tab = await browser.newPage();
      await tab.goto(`file://${page}`, { waitUntil: 'load', timeout: 300_000 });
      opens.push(await tab.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const paint = performance.getEntriesByName('first-contentful-paint')[0];
        return { load: nav.loadEventEnd, paint: paint?.startTime ?? NaN };
      }));
      await tab.close();
    }
    await browser.close();
    console.log(`  opened in Chromium: load ${median(opens.map((o) => o.load)).toFixed(0)} ms, first contentful paint ${median(opens.map((o) => o.paint)).toFixed(0)} ms (medians of ${RUNS})`);
  } else console.log(`  (no Chromium at ${chromium}: the page was not opened)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
