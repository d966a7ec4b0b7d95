// npm run bench:validate — validate's throughput against csv-parse alone (the floor: the same reader
// options, records consumed one by one), on two 1,000,000-row files: a clean export, and the seed's
// case where 30 % of the rows have an error (username = mail, and 30 % of the users have no mail).
// Median of 3 runs, the two tasks alternating so that both see the same machine state.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, statSync, existsSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const dir = fileURLToPath(new URL('./out/', import.meta.url));

const FIRST = ['Anna', 'Björn', 'Chen', 'Dana', 'Émile', 'Fatima', 'Gülşen', 'Hanna', 'Ivan', "Seán", 'Kim', 'Lee'];
const LAST = ['Smith', 'Nilsson', 'Weiß', "O'Brien", 'García', 'Yılmaz', 'Nguyen', 'Müller', 'Kowalski', 'Park'];

/**
 * kind 'clean': sAMAccountName usernames; 'errors': username = mail, and every row with i % 10 < 3 has no mail;
 * 'names': three names a row (username, mail and a legacy mail as aliases: 3,000,000 names for 1,000,000 rows),
 * every 10,000th row's legacy alias the mail of the row before it (a few duplicates, as in a real list).
 */
async function generate(file, kind) {
  mkdirSync(dir, { recursive: true });
  const out = createWriteStream(file);
  out.write('\ufeffusername,realname,firstname,lastname,email,alias1,alias2,status,notes,ad_guid,ad_dn\r\n');
  for (let i = 1; i <= ROWS; i++) {
    const first = FIRST[i % FIRST.length];
    const last = LAST[(i * 7) % LAST.length];
    const sam = `u${String(i).padStart(7, '0')}`;
    const noMail = kind === 'errors' ? i % 10 < 3 : i % 10 === 0;
    const mail = noMail ? '' : `${sam}@corp.example.com`;
    const username = kind === 'errors' ? mail : sam;
    const alias1 = kind === 'errors' ? '' : kind === 'names' ? `${sam}@corp.example.com` : mail;
    const realname = i % 5 === 0 ? `"${last}, ${first}"` : `${first} ${last}`;
    const before = `u${String(i - 1).padStart(7, '0')}@corp.example.com`;
    const alias2 = kind === 'names' ? (i % 10_000 === 0 ? before : `${sam}@legacy.example.com`) : i % 3 === 0 ? `${sam}@legacy.example.com` : '';
    const status = i % 20 === 0 ? 'disabled' : '';
    const notes = i % 50 === 0 ? '"moved to ""Sales"", see ticket 42"' : '';
    const guid = `${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}-53f7-4144-90ef-${String(i).padStart(12, '0')}`;
    const line = `${username},${realname},${first},${last},${mail},${alias1},${alias2},${status},${notes},${guid},"CN=${first} ${last} ${i},OU=People,DC=corp,DC=example,DC=com"\r\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function measure(task, file) {
  const args = task === 'validate' ? [file, '--format', 'json'] : [file];
  const run = spawnSync(process.execPath, [fileURLToPath(new URL('./child.mjs', import.meta.url)), task, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    maxBuffer: 1 << 20,
  });
  if (run.status !== 0) throw new Error(`${task} failed with exit ${run.status}`);
  return JSON.parse(run.output[3].toString());
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (n) => n.toLocaleString('en-US');
const lines = [];
for (const kind of (process.env.BENCH_KINDS ?? 'clean,errors,names').split(',')) {
  const file = `${dir}users-${kind}-${ROWS}.csv`;
  if (!existsSync(file)) {
    console.error(`generating ${fmt(ROWS)} rows (${kind}) …`);
    await generate(file, kind);
  }
  const baseline = [];
  const validate = [];
  for (let i = 0; i < RUNS; i++) {
    baseline.push(measure('csv-parse', file));
    validate.push(measure('validate', file));
  }
  const base = median(baseline.map((r) => r.seconds));
  const ours = median(validate.map((r) => r.seconds));
  const rss = Math.max(...validate.map((r) => r.maxRssMB));
  const last = validate.at(-1);
  lines.push(`${kind} file: ${fmt(ROWS)} rows, ${(statSync(file).size / 1024 / 1024).toFixed(0)} MiB, ${fmt(last.errors)} errors, ${fmt(last.warnings)} warnings, ` +
    `JSON output ${(last.outBytes / 1024 / 1024).toFixed(0)} MiB`);
  lines.push(`  csv-parse alone    median ${base.toFixed(2)} s (runs ${baseline.map((r) => r.seconds.toFixed(2)).join(', ')}), peak RSS ${Math.max(...baseline.map((r) => r.maxRssMB)).toFixed(0)} MB`);
  lines.push(`  duo-bridge validate median ${ours.toFixed(2)} s (runs ${validate.map((r) => r.seconds.toFixed(2)).join(', ')}), peak RSS ${rss.toFixed(0)} MB`);
  lines.push(`  throughput ratio validate / csv-parse: ${(base / ours).toFixed(2)} (goal ≥ 0.6); peak RSS ${rss.toFixed(0)} MB (goal < ${kind === 'names' ? 300 : 400})`);
}
console.log(lines.join('\n'));
