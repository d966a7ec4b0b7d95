// Runs one measured task in its own process and reports its time and peak RSS as JSON on fd 3.
import { createReadStream, writeSync } from 'node:fs';
import { parse } from 'csv-parse';

const [task, ...args] = process.argv.slice(2);
const started = process.hrtime.bigint();
let detail = {};
if (task === 'csv-parse') {
  // The reader's own csv-parse options, records consumed one by one: the floor for validate.
  const parser = createReadStream(args[0], { highWaterMark: 256 * 1024 }).pipe(
    parse({ bom: true, delimiter: ',', relax_column_count: true, skip_empty_lines: true, info: true, max_record_size: 1 << 20 }),
  );
  let records = 0;
  for await (const _ of parser) records++;
  detail = { records };
} else {
  // A duo-bridge command, in process so that maxRSS is the command's own.
  const { main } = await import('../dist/cli/main.js');
  // Output goes nowhere but its head is kept: the command's memory, not the harness's, is measured.
  let head = '';
  let outBytes = 0;
  let err = '';
  const out = (t) => {
    if (head.length < 4096) head += t.slice(0, 4096);
    outBytes += Buffer.byteLength(t);
  };
  const io = { out, err: (t) => (err += t), errIsTTY: false, outIsTTY: false, env: process.env, cwd: process.cwd() };
  const exitCode = await main([task, ...args], io);
  if (task === 'validate') {
    const field = (name) => Number(new RegExp(`"${name}": (\\d+)`).exec(head)?.[1]);
    detail = { exitCode, rows: field('rows'), errors: field('errors'), warnings: field('warnings'), outBytes };
  } else {
    detail = { exitCode, stderr: err.trim(), outBytes };
  }
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const { user, system } = process.cpuUsage();
writeSync(3, JSON.stringify({ task, seconds, cpuSeconds: (user + system) / 1e6, maxRssMB: process.resourceUsage().maxRSS / 1024, ...detail }));
