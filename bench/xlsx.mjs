// npm run bench:xlsx — the spreadsheet path at 100,000 users, against the CSV path measured in the
// same run on the same data: export (from one LDIF) to .csv and to .xlsx, validate of each, and the
// findings workbook of a 100,000-row file with 30 % bad rows. Each command runs in its own process
// (bench/child.mjs) for its time and peak RSS; medians of BENCH_RUNS (default 3), alternating.
// First, the full sheet of empty rows (issue 27): importing a header and 1,048,575 empty rows, offline
// and --apply against the simulator, against validating it. BENCH_PARTS=empty (or users) runs one part.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readZip, writeZip } from './zip-parts.mjs';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PARTS = (process.env.BENCH_PARTS ?? 'empty,users').split(',');
const child = fileURLToPath(new URL('./child.mjs', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'duo-bridge-bench-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => n.toLocaleString('en-US');

function measure(args, env = process.env) {
  const result = spawnSync(process.execPath, [child, ...args], { env, stdio: ['ignore', 'inherit', 'inherit', 'pipe'], maxBuffer: 1 << 26 });
  return JSON.parse(result.output[3].toString());
}

/** Runs each task (its arguments, or a function of the run's number giving them) RUNS times, alternating, and returns the medians. */
function compare(tasks, env) {
  const runs = tasks.map(() => []);
  for (let i = 0; i < RUNS; i++) tasks.forEach((args, t) => runs[t].push(measure(typeof args === 'function' ? args(i) : args, env)));
  return runs.map((list) => ({ seconds: median(list.map((r) => r.seconds)), rss: Math.max(...list.map((r) => r.maxRssMB)), last: list.at(-1) }));
}

/** A worksheet part: a header (`username`) and `rows` empty rows. */
function emptySheetXml(rows) {
  const empty = [];
  for (let i = 2; i <= rows + 1; i++) empty.push(`<row r="${i}"><c r="A${i}"/></row>`);
  return Buffer.from('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' +
    `<row r="1"><c r="A1" t="inlineStr"><is><t>username</t></is></c></row>${empty.join('')}</sheetData></worksheet>`);
}

/** Validate, import --out-dir and import --apply (against the simulator, in this process) of the full sheet of empty rows. */
async function emptyRows() {
  const small = join(work, 'small.xlsx');
  measure(['export', '--from-ldif', fileURLToPath(new URL('../samples/directory.ldif', import.meta.url)), '--out', small]);
  const sheet = join(work, 'empty.xlsx');
  const xml = emptySheetXml(1_048_575);
  await writeZip(sheet, (await readZip(small)).map(([name, content]) => [name, name === 'xl/worksheets/sheet1.xml' ? xml : content]));
  const { DuoSimulator } = await import('../dist/index.js');
  const duo = await new DuoSimulator().start();
  try {
    const env = { ...process.env, ...duo.env() };
    const [validated, offline, applied] = compare([
      ['validate', sheet, '--format', 'json'],
      ['import', sheet, '--out-dir', join(work, 'batches')],
      // A fresh journal each run: a second run on one journal would be a resume, which skips the preview.
      (i) => ['import', sheet, '--apply', '--yes', '--journal', join(work, `empty-${i}.jsonl`)],
    ], env);
    for (const r of [validated, offline, applied]) if (r.last.exitCode !== 0) throw new Error(`${r.last.task} exited ${r.last.exitCode}: ${r.last.stderr ?? ''}`);
    console.log(`a sheet of 1,048,576 rows (a header, the rest empty): validate ${validated.seconds.toFixed(2)} s (RSS ${validated.rss.toFixed(0)} MB) · ` +
      `import --out-dir ${offline.seconds.toFixed(2)} s (${(offline.seconds / validated.seconds).toFixed(2)} ×, RSS ${offline.rss.toFixed(0)} MB) · ` +
      `import --apply ${applied.seconds.toFixed(2)} s (${(applied.seconds / validated.seconds).toFixed(2)} ×, RSS ${applied.rss.toFixed(0)} MB) (goal: import ≤ 3 × validate)`);
  } finally {
    await duo.stop();
  }
}

try {
  if (PARTS.includes('empty')) await emptyRows();
  if (PARTS.includes('users')) await users();
} finally {
  rmSync(work, { recursive: true, force: true });
}

async function users() {
  const ldif = join(work, 'directory.ldif');
  const generated = spawnSync(process.execPath, [fileURLToPath(new URL('../test/ad/gen-ldif.mjs', import.meta.url)), String(USERS)], { maxBuffer: 1 << 30 });
  writeFileSync(ldif, generated.stdout);
  console.error(`${fmt(USERS)} users; ${RUNS} runs each, alternating …`);
  const exportArgs = ['export', '--from-ldif', ldif, '--include-disabled', '--alias-attr', 'mail', '--alias-attr', 'proxyAddresses', '--phone-attr', 'mobile',
    '--phone-attr', 'telephoneNumber', '--default-country', 'US'];
  const [csvOut, xlsxOut] = compare([[...exportArgs, '--out', join(work, 'users.csv')], [...exportArgs, '--out', join(work, 'users.xlsx')]]);
  console.log(`export: CSV ${csvOut.seconds.toFixed(2)} s (RSS ${csvOut.rss.toFixed(0)} MB) · xlsx ${xlsxOut.seconds.toFixed(2)} s (RSS ${xlsxOut.rss.toFixed(0)} MB)` +
    ` → xlsx/CSV time ${(xlsxOut.seconds / csvOut.seconds).toFixed(2)} × (goal ≤ 3 ×, RSS < 250 MB)`);

  const validateArgs = (file) => ['validate', file, '--default-country', 'US', '--format', 'json'];
  const [csvIn, xlsxIn] = compare([validateArgs(join(work, 'users.csv')), validateArgs(join(work, 'users.xlsx'))]);
  console.log(`validate: CSV ${csvIn.seconds.toFixed(2)} s (RSS ${csvIn.rss.toFixed(0)} MB, ${fmt(csvIn.last.rows)} rows, ${fmt(csvIn.last.errors)} errors) · ` +
    `xlsx ${xlsxIn.seconds.toFixed(2)} s (RSS ${xlsxIn.rss.toFixed(0)} MB, ${fmt(xlsxIn.last.rows)} rows, ${fmt(xlsxIn.last.errors)} errors) → xlsx/CSV time ${(xlsxIn.seconds / csvIn.seconds).toFixed(2)} × (goal ≤ 3 ×, RSS < 400 MB)`);

  // 30 % of the rows without a username (the mail-username export of a directory where 30 % lack mail).
  const bad = join(work, 'bad.csv');
  writeFileSync(bad, 'username,realname,email,alias1\n' + Array.from({ length: USERS }, (_, k) =>
    `${k % 10 < 3 ? '' : `u${k}`},User ${k},u${k}@example.com,u${k}@legacy.example.com`).join('\n') + '\n');
  const [plain, workbook] = compare([['validate', bad, '--format', 'json'], ['validate', bad, '--format', 'json', '--report', join(work, 'findings.xlsx')]]);
  console.log(`findings workbook, ${fmt(USERS)} rows, ${fmt(workbook.last.errors)} errors: validate alone ${plain.seconds.toFixed(2)} s · with --report findings.xlsx ` +
    `${workbook.seconds.toFixed(2)} s (goal < 60 s), RSS ${workbook.rss.toFixed(0)} MB`);
}
