// npm run bench:import — 20,000 users with two aliases each imported into the fake Duo, which allows
// N write calls a minute (429 beyond), once through single calls (--no-bulk) and once through
// /admin/v1/bulk; then a migrate of 20,000 email-username users in place. Reports, per run, the calls
// and writes per user, the achieved call rate against N, the share of 429s and the importer's CPU.
// The fake runs in this process; duo-bridge in a child.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const USERS = Number(process.env.BENCH_USERS ?? 20_000);
const LIMIT = Number(process.env.BENCH_WRITES_PER_MINUTE ?? 5_000);
import { fmt, runAgainstFake } from './run-against-fake.mjs';
const name = (i) => `u${String(i).padStart(6, '0')}`;

const work = mkdtempSync(join(tmpdir(), 'duo-bridge-bench-'));
const usersCsv = join(work, 'users.csv');
writeFileSync(usersCsv, 'username,realname,email,alias1,alias2\n' +
  Array.from({ length: USERS }, (_, k) => `${name(k + 1)},User ${k + 1},${name(k + 1)}@example.com,${name(k + 1)}@example.com,${name(k + 1)}@legacy.example.org`).join('\n') + '\n');

const run = (title, args, seed) => runAgainstFake(title, args, { users: USERS, limit: LIMIT, seed });

try {
  console.error(`${fmt(USERS)} users, two aliases each; the fake Duo allows N = ${fmt(LIMIT)} writes/minute; --rate ${LIMIT} …`);
  const single = await run('import, single calls (--no-bulk)', ['import', usersCsv, '--apply', '--no-bulk', '--journal', join(work, 'single.jsonl')]);
  const bulk = await run('import, /admin/v1/bulk', ['import', usersCsv, '--apply', '--journal', join(work, 'bulk.jsonl')]);
  const migrateCsv = join(work, 'migrate.csv');
  writeFileSync(migrateCsv, 'username,email,alias1\n' + Array.from({ length: USERS }, (_, k) => `${name(k + 1)},${name(k + 1)}@example.com,${name(k + 1)}@example.com`).join('\n') + '\n');
  const seedEmails = (duo) => {
    for (let i = 1; i <= USERS; i++) duo.seed({ username: `${name(i)}@example.com`, email: `${name(i)}@example.com` });
  };
  const migrate = await run('migrate, /admin/v1/bulk', ['migrate', migrateCsv, '--apply', '--journal', join(work, 'migrate-bulk.jsonl')], seedEmails);
  const migrateSingle = await run('migrate, single calls (--no-bulk)', ['migrate', migrateCsv, '--apply', '--no-bulk', '--journal', join(work, 'migrate-single.jsonl')], seedEmails);
  for (const r of [single, bulk, migrate, migrateSingle]) console.log(r.line);
  console.log(`import: bulk / single calls: ${(bulk.calls / single.calls).toFixed(3)} × the calls, ${(bulk.writes / single.writes).toFixed(3)} × the writes, ` +
    `${(bulk.seconds / single.seconds).toFixed(3)} × the time (goals: ≤ 0.03 writes and ≤ 0.1 calls per user on the bulk path)`);
  console.log(`migrate: bulk / single calls: ${(migrate.calls / migrateSingle.calls).toFixed(3)} × the calls, ${(migrate.seconds / migrateSingle.seconds).toFixed(3)} × the time`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
