// npm run bench:groups-phones — 20,000 users, each with one group and one phone (Duo's "Import Users"
// CSV), imported into the fake Duo, which allows N write calls a minute (429 beyond). Baseline in the
// same run: the same users without the group and phone columns. Reports the writes by kind, and the
// writes per user beyond what the phones themselves need (Duo has no bulk form for phones: each is
// one create and one attach).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, runAgainstFake } from './run-against-fake.mjs';

const USERS = Number(process.env.BENCH_USERS ?? 20_000);
const LIMIT = Number(process.env.BENCH_WRITES_PER_MINUTE ?? 5_000);
const name = (i) => `u${String(i).padStart(6, '0')}`;
const phone = (i) => `+1734${String(5_000_000 + i).padStart(7, '0')}`;

const work = mkdtempSync(join(tmpdir(), 'duo-bridge-bench-'));
const write = (file, header, cells) => {
  const path = join(work, file);
  writeFileSync(path, `${header}\n${Array.from({ length: USERS }, (_, k) => cells(k + 1).join(',')).join('\n')}\n`);
  return path;
};
const plain = write('plain.csv', 'username,realname,email', (i) => [name(i), `User ${i}`, `${name(i)}@example.com`]);
const full = write('full.csv', 'username,realname,email,group1,phone1,platform1', (i) => [name(i), `User ${i}`, `${name(i)}@example.com`, 'Staff', phone(i), 'iphone']);
const byKind = (duo) => {
  const applied = duo.log.filter((r) => r.method !== 'GET' && r.status < 400);
  const count = (pattern) => applied.filter((r) => pattern.test(`${r.method} ${r.path}`)).length;
  return {
    all: applied.length,
    phoneCreates: count(/^POST \/admin\/v1\/phones$/),
    phoneAttaches: count(/^POST \/admin\/v1\/users\/[A-Z0-9]+\/phones$/),
    bulk: count(/^POST \/admin\/v1\/bulk$/),
    memberships: count(/^POST \/admin\/v1\/users\/[A-Z0-9]+\/groups$/),
  };
};

try {
  console.error(`${fmt(USERS)} users; the fake Duo allows N = ${fmt(LIMIT)} writes/minute; --rate ${LIMIT} …`);
  const base = await runAgainstFake('baseline: users only', ['import', plain, '--apply', '--journal', join(work, 'plain.jsonl')], { users: USERS, limit: LIMIT });
  const withDevices = await runAgainstFake('users + 1 group + 1 phone each', ['import', full, '--apply', '--journal', join(work, 'full.jsonl')],
    { users: USERS, limit: LIMIT, seed: (duo) => duo.seedGroup('Staff') });
  for (const r of [base, withDevices]) console.log(r.line);
  const kinds = byKind(withDevices.duo);
  const beyondPhones = kinds.all - kinds.phoneCreates - kinds.phoneAttaches;
  const members = [...withDevices.duo.users.values()].filter((u) => u.groups.length === 1 && u.phones.length === 1).length;
  console.log(`writes by kind: ${fmt(kinds.bulk)} bulk calls (users and memberships), ${fmt(kinds.phoneCreates)} phone creates, ${fmt(kinds.phoneAttaches)} phone attaches, ` +
    `${fmt(kinds.memberships)} single membership calls, ${fmt(kinds.all)} in all`);
  console.log(`writes per user beyond the phones' create + attach: ${(beyondPhones / USERS).toFixed(3)} (goal ≤ 0.1); beyond the phone creates alone: ` +
    `${((kinds.all - kinds.phoneCreates) / USERS).toFixed(3)}; users with their group and phone in place: ${fmt(members)} of ${fmt(USERS)}`);
  console.log(`groups and phones / users only: ${(withDevices.calls / base.calls).toFixed(2)} × the calls, ${(withDevices.seconds / base.seconds).toFixed(2)} × the time`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
