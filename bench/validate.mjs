// npm run bench:validate — validate throughput against csv-parse alone on the same 1,000,000-row file.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, statSync, existsSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const dir = fileURLToPath(new URL('./out/', import.meta.url));
const file = `${dir}users-${ROWS}.csv`;

const FIRST = ['Anna', 'Björn', 'Chen', 'Dana', 'Émile', 'Fatima', 'Gülşen', 'Hanna', 'Ivan', "Seán", 'Kim', 'Lee'];
const LAST = ['Smith', 'Nilsson', 'Weiß', "O'Brien", 'García', 'Yılmaz', 'Nguyen', 'Müller', 'Kowalski', 'Park'];

async function generate() {
  mkdirSync(dir, { recursive: true });
  const out = createWriteStream(file);
  out.write('\ufeffusername,realname,firstname,lastname,email,alias1,alias2,status,notes,ad_guid,ad_dn\r\n');
  for (let i = 1; i <= ROWS; i++) {
    const first = FIRST[i % FIRST.length];
    const last = LAST[(i * 7) % LAST.length];
    const sam = `u${String(i).padStart(7, '0')}`;
    const mail = i % 10 === 0 ? '' : `${sam}@corp.example.com`;
    const realname = i % 5 === 0 ? `"${last}, ${first}"` : `${first} ${last}`;
    const alias2 = i % 3 === 0 ? `${sam}@legacy.example.com` : '';
    const status = i % 20 === 0 ? 'disabled' : '';
    const notes = i % 50 === 0 ? '"moved to ""Sales"", see ticket 42"' : '';
    const guid = `${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}-53f7-4144-90ef-${String(i).padStart(12, '0')}`;
    const line = `${sam},${realname},${first},${last},${mail},${mail},${alias2},${status},${notes},${guid},"CN=${first} ${last} ${i},OU=People,DC=corp,DC=example,DC=com"\r\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function measure(task) {
  const args = task === 'validate' ? [file, '--format', 'json'] : [file];
  const run = spawnSync(process.execPath, [fileURLToPath(new URL('./child.mjs', import.meta.url)), task, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    maxBuffer: 1 << 20,
  });
  if (run.status !== 0) throw new Error(`${task} failed with exit ${run.status}`);
  return JSON.parse(run.output[3].toString());
}

if (!existsSync(file)) {
  console.error(`generating ${ROWS.toLocaleString('en-US')} rows …`);
  await generate();
}
const megabytes = statSync(file).size / 1024 / 1024;
const baseline = measure('csv-parse');
const validate = measure('validate');
const rate = (r) => Math.round(ROWS / r.seconds).toLocaleString('en-US');
console.log(`file: ${ROWS.toLocaleString('en-US')} rows, ${megabytes.toFixed(0)} MiB`);
console.log(`csv-parse alone : ${baseline.seconds.toFixed(2)} s, ${rate(baseline)} rows/s, peak RSS ${baseline.maxRssMB.toFixed(0)} MB`);
console.log(`duo-bridge validate: ${validate.seconds.toFixed(2)} s, ${rate(validate)} rows/s, peak RSS ${validate.maxRssMB.toFixed(0)} MB (${validate.errors} errors, ${validate.warnings} warnings)`);
console.log(`throughput ratio validate / csv-parse: ${(baseline.seconds / validate.seconds).toFixed(2)} (goal ≥ 0.5); peak RSS goal < 400 MB`);
