import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeDuo } from '../fake-duo/fake-duo.js';
import { killSchedule, runKilledAtWrite } from '../helpers/kill-at-write.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';

let duo: FakeDuo;
beforeEach(async () => {
  duo = await new FakeDuo().start();
});
afterEach(async () => {
  await duo.stop();
});

const FAST = ['--rate', '100000', '--timeout', '5'];
const email = (i: number): string => `person.${i}@example.com`;
const sam = (i: number): string => `u${String(i).padStart(5, '0')}`;

/** The seed: a tenant an earlier sync created with username = mail. */
function seedEmailTenant(count: number): void {
  for (let i = 1; i <= count; i++) {
    duo.seed({ username: email(i), email: email(i), realname: `Person ${i}`, phones: i % 4 === 0 ? [{ phone_id: `DP${i}`, number: `+1555000${i}` }] : [] });
  }
}

/** The AD export: sAMAccountName usernames with the mail as alias; people without mail have neither. */
function adCsv(existing: number, extra: number, withoutMail: number): string {
  const lines = ['username,realname,email,alias1'];
  for (let i = 1; i <= existing + extra; i++) lines.push(`${sam(i)},Person ${i},${email(i)},${email(i)}`);
  for (let i = 1; i <= withoutMail; i++) lines.push(`${sam(90_000 + i)},No Mail ${i},,`);
  return lines.join('\n') + '\n';
}

async function cli(args: string[]) {
  return runCli([...args, ...FAST], { env: duo.env() });
}

async function snapshot(dir: string, name: string): Promise<any> {
  const run = await cli(['tenant', 'export', '--out', join(dir, name)]);
  expect(run.exitCode).toBe(0);
  return JSON.parse(readFileSync(join(dir, name), 'utf8'));
}

describe('email usernames → sAMAccountName with the email as alias', () => {
  it('plans 500 migrate + 60 create, migrates in place, then imports the new users; snapshot plan = live plan', async () => {
    seedEmailTenant(500);
    const before = new Map([...duo.users.values()].map((u) => [u.user_id, structuredClone(u)]));
    const dir = tmpFiles({ 'users.csv': adCsv(500, 50, 10) });
    const csv = join(dir, 'users.csv');

    const live = await cli(['plan', csv, '--format', 'json']);
    expect(live.exitCode).toBe(0);
    const plan = JSON.parse(live.stdout);
    expect(plan.summary).toEqual({ create: 60, unchanged: 0, update: 0, migrate: 500, restore: 0, conflict: 0 });
    expect(plan.rows[0]).toEqual({ line: 2, username: sam(1), action: 'migrate', duo_user_id: duo.byUsername().get(email(1))!.user_id, reason: expect.stringContaining(`alias "${email(1)}"`), add_groups: [], add_phones: [], add_tokens: [],
      changes: [{ field: 'username', before: email(1), after: sam(1) }, { field: 'aliases', before: '', after: email(1) }] });

    await snapshot(dir, 'tenant.json');
    const offline = await runCli(['plan', csv, '--tenant', join(dir, 'tenant.json'), '--format', 'json', '--out', join(dir, 'plan.csv')]);
    expect(JSON.parse(offline.stdout)).toEqual(plan);
    expect(readFileSync(join(dir, 'plan.csv'), 'utf8').split('\n')).toHaveLength(562);

    const callsBefore = duo.log.length;
    const migrate = await cli(['migrate', csv, '--apply', '--yes']);
    expect(migrate.stderr).toMatch(/migrated 500 users, 0 failed/);
    expect(migrate.exitCode).toBe(0);
    // 500 renames in 10 bulk calls of 50 modify operations, each read back by the new usernames.
    expect([duo.count('POST', /^\/admin\/v1\/bulk$/), duo.count('POST', /^\/admin\/v1\/users\/DU/)]).toEqual([10, 0]);
    expect((duo.log.length - callsBefore) / 500).toBeLessThanOrEqual(0.1);
    for (const [id, old] of before) {
      const now = duo.users.get(id)!;
      const i = Number(/person\.(\d+)@/.exec(old.username)![1]);
      expect([now.username, now.aliases, now.phones, now.email]).toEqual([sam(i), { alias1: email(i) }, old.phones, old.email]);
    }

    const imported = await cli(['import', csv, '--apply', '--yes']);
    expect(imported.stderr).toMatch(/created 60, exists 500, failed 0/);
    expect(imported.stderr).toContain("note: the 500 rows that exist in Duo are, in plan's words: unchanged 500");
    expect(imported.exitCode).toBe(0);
    expect(duo.users.size).toBe(560);

    const again = await cli(['plan', csv, '--format', 'json']);
    expect(JSON.parse(again.stdout).summary).toEqual({ create: 0, unchanged: 560, update: 0, migrate: 0, restore: 0, conflict: 0 });
  });

  it('rollback after migrate restores the tenant exactly', async () => {
    seedEmailTenant(40);
    const dir = tmpFiles({ 'users.csv': adCsv(40, 0, 0) });
    const before = await snapshot(dir, 'before.json');
    expect((await cli(['migrate', join(dir, 'users.csv'), '--apply', '--yes'])).exitCode).toBe(0);
    expect(duo.byUsername().has(sam(1))).toBe(true);

    const dry = await cli(['rollback', '--journal', join(dir, 'users.migrate.jsonl')]);
    expect(dry.stdout).toMatch(/restore the original username and aliases of 40 renamed users/);
    expect(duo.byUsername().has(sam(1))).toBe(true);

    const rollback = await cli(['rollback', '--journal', join(dir, 'users.migrate.jsonl'), '--apply', '--yes']);
    expect(rollback.stderr).toMatch(/restored 40 users/);
    const after = await snapshot(dir, 'after.json');
    expect(after.users).toEqual(before.users);
  });

  it('rollback after import sends exactly the created users to the Trash', async () => {
    seedEmailTenant(5);
    const dir = tmpFiles({ 'users.csv': adCsv(0, 0, 0) + [6, 7, 8].map((i) => `${sam(i)},P,${email(i)},${email(i)}`).join('\n') + `\n${email(1)},P1,,\n` });
    const run = await cli(['import', join(dir, 'users.csv'), '--apply', '--yes']);
    expect(run.stderr).toMatch(/created 3, exists 1/);
    const created = [6, 7, 8].map((i) => duo.byUsername().get(sam(i))!.user_id);
    const rollback = await cli(['rollback', '--journal', join(dir, 'users.journal.jsonl'), '--apply', '--yes']);
    expect(rollback.stderr).toMatch(/disabled 3 users, sent 3 to the Trash/);
    const trashed = [...duo.users.values()].filter((u) => u.status === 'pending deletion').map((u) => u.user_id);
    expect(trashed.sort()).toEqual(created.sort());
  });
});

describe('migrate and rollback through /admin/v1/bulk, whatever Duo answers', () => {
  it.each(['results', 'ok', 'lost', 'refused'] as const)('answer %s: 200 users renamed in place, then restored exactly', async (answer) => {
    duo.bulkAnswer = answer;
    seedEmailTenant(200);
    const dir = tmpFiles({ 'users.csv': adCsv(200, 0, 0) });
    const before = await snapshot(dir, 'before.json');
    const migrate = await cli(['migrate', join(dir, 'users.csv'), '--apply', '--yes']);
    expect(migrate.stderr).toMatch(/migrated 200 users, 0 failed/);
    for (let i = 1; i <= 200; i++) expect(duo.byUsername().get(sam(i))?.aliases).toEqual({ alias1: email(i) });
    const rollback = await cli(['rollback', '--journal', join(dir, 'users.migrate.jsonl'), '--apply', '--yes']);
    expect(rollback.stderr).toMatch(/restored 200 users/);
    expect((await snapshot(dir, 'after.json')).users).toEqual(before.users);
    if (answer === 'refused') {
      // Refused once by each run, said once, then single calls.
      expect(migrate.stderr.match(/Duo refused its bulk endpoint/g)).toHaveLength(1);
      expect(duo.count('POST', /^\/admin\/v1\/users\/DU/)).toBe(400);
    } else {
      expect(duo.appliedWrites).toBe(8);
      expect(duo.count('POST', /^\/admin\/v1\/users\/DU/)).toBe(0);
    }
  });
});

describe('rename order', () => {
  it('a chain: each user takes a name the next one gives up', async () => {
    // alice@ → alice, but "alice" is held by another person who becomes "alice2".
    const a = duo.seed({ username: 'alice@example.com', email: 'alice@example.com' });
    const b = duo.seed({ username: 'alice', email: 'alice.other@example.com' });
    const dir = tmpFiles({ 'users.csv': 'username,email,alias1\nalice,alice@example.com,alice@example.com\nalice2,alice.other@example.com,alice.other@example.com\n' });
    const plan = JSON.parse((await cli(['plan', join(dir, 'users.csv'), '--format', 'json'])).stdout);
    expect(plan.rows.map((r: any) => [r.action, r.duo_user_id])).toEqual([['migrate', a.user_id], ['migrate', b.user_id]]);
    const run = await cli(['migrate', join(dir, 'users.csv'), '--apply', '--yes']);
    expect(run.exitCode).toBe(0);
    expect([a.username, a.aliases, b.username, b.aliases]).toEqual(['alice', { alias1: 'alice@example.com' }, 'alice2', { alias1: 'alice.other@example.com' }]);
  });

  it('a swap cycle goes through a temporary name', async () => {
    const a = duo.seed({ username: 'bob', email: 'alice@example.com' });
    const b = duo.seed({ username: 'alice', email: 'bob@example.com' });
    const dir = tmpFiles({ 'users.csv': 'username,email\nalice,alice@example.com\nbob,bob@example.com\n' });
    const run = await cli(['migrate', join(dir, 'users.csv'), '--apply', '--yes']);
    expect(run.stderr).toMatch(/migrated 2 users, 0 failed/);
    expect([a.username, b.username]).toEqual(['alice', 'bob']);
    // The park is a single call; each final rename then goes in its own wave (a bulk call).
    expect([duo.count('POST', /^\/admin\/v1\/users\/DU/), duo.count('POST', /^\/admin\/v1\/bulk$/)]).toEqual([1, 2]);
  });

  it('a name held by an unrelated user is a conflict and nothing is touched', async () => {
    const a = duo.seed({ username: 'jfoo@example.com', email: 'jfoo@example.com' });
    duo.seed({ username: 'jfoo', email: 'jason.foo@example.com' });
    const dir = tmpFiles({ 'users.csv': 'username,email,alias1\njfoo,jfoo@example.com,jfoo@example.com\n' });
    const plan = JSON.parse((await cli(['plan', join(dir, 'users.csv'), '--format', 'json'])).stdout);
    expect(plan.summary.conflict).toBe(1);
    expect(plan.rows[0].reason).toMatch(/"jfoo" belongs to Duo user "jfoo" .* a different person/);
    const run = await cli(['migrate', join(dir, 'users.csv'), '--apply', '--yes']);
    expect(run.exitCode).toBe(1);
    expect(a.username).toBe('jfoo@example.com');
    expect(duo.log.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  it('a user managed by a directory sync is a conflict, with the reason', async () => {
    duo.seed({ username: 'jfoo@example.com', email: 'jfoo@example.com', last_directory_sync: 1_700_000_000 });
    const dir = tmpFiles({ 'users.csv': 'username,email,alias1\njfoo,jfoo@example.com,jfoo@example.com\n' });
    const plan = JSON.parse((await cli(['plan', join(dir, 'users.csv'), '--format', 'json'])).stdout);
    expect(plan.rows[0]).toMatchObject({ action: 'conflict', reason: expect.stringMatching(/managed by a directory sync/) });
  });

  it('two rows claiming the same Duo user are both conflicts', async () => {
    duo.seed({ username: 'jfoo@example.com', email: 'jfoo@example.com' });
    const dir = tmpFiles({ 'users.csv': 'username,email\njfoo,jfoo@example.com\njanef,jfoo@example.com\n' });
    const plan = JSON.parse((await cli(['plan', join(dir, 'users.csv'), '--format', 'json'])).stdout);
    expect(plan.rows.map((r: any) => r.action)).toEqual(['conflict', 'conflict']);
    expect(plan.rows[0].reason).toMatch(/^line 2 \(.+\) and line 3 \(.+\) all match Duo user/);
  });
});

describe.each([
  // Renames in bulk calls of 50: killed at the 1st or 2nd of ~30 writes.
  { path: 'bulk calls', count: 1000, maxK: 2, extra: [] as string[] },
  // One modify call per rename: killed anywhere in the first 12.
  { path: 'single calls', count: 120, maxK: 12, extra: ['--no-bulk'] },
])('migrate killed with SIGKILL, then resumed ($path)', ({ count, maxK, extra }) => {
  it('ends consistent: every user renamed once, user_ids kept, rollback still restores the original names', async () => {
    seedEmailTenant(count);
    // Swaps and chains on top, so that some kills land between the two steps of a temporary rename.
    for (let i = 1; i <= 10; i++) duo.seed({ username: `swap${i}a`, email: `swap${i}b@example.com` });
    for (let i = 1; i <= 10; i++) duo.seed({ username: `swap${i}b`, email: `swap${i}a@example.com` });
    const swaps = Array.from({ length: 10 }, (_, k) => `swap${k + 1}a,swap${k + 1}a@example.com\nswap${k + 1}b,swap${k + 1}b@example.com`).join('\n');
    const dir = tmpFiles({ 'users.csv': adCsv(count, 0, 0).replace(/\n$/, '') + '\n' + swaps.replace(/^(swap\d+[ab]),(\S+)$/gm, '$1,,$2,') + '\n' });
    writeFileSync(join(dir, 'users.csv'), readFileSync(join(dir, 'users.csv'), 'utf8').replace(/^(swap\d+[ab]),,(\S+),$/gm, '$1,,$2,'));
    const csv = join(dir, 'users.csv');
    const ids = new Map([...duo.users.values()].map((u) => [u.user_id, u.username]));
    const before = await snapshot(dir, 'before.json');

    const renamed = (): number => [...duo.users.values()].filter((u) => /^u\d{5}$/.test(u.username) || u.username.startsWith('duo-bridge-tmp-')).length;
    const seen: number[] = [];
    // Killed at the k-th rename (applied or dropped unapplied): progress points, not moments in time.
    for (const { k, point } of killSchedule(20, maxK)) {
      const { killed } = await runKilledAtWrite(duo, ['migrate', csv, '--apply', '--yes', ...extra, ...FAST], k, point);
      expect(killed).toBe(true);
      seen.push(renamed());
    }
    // The kills landed at different stages of the migrate, not all before or after it.
    expect(new Set(seen).size).toBeGreaterThan(8);
    const last = await cli(['migrate', csv, '--apply', '--yes', ...extra]);
    expect(last.stderr).toMatch(/0 failed · 0 conflicts/);
    expect(duo.users.size).toBe(ids.size);
    for (let i = 1; i <= count; i++) expect(duo.byUsername().get(sam(i))?.aliases).toEqual({ alias1: email(i) });
    for (let k = 1; k <= 10; k++) {
      expect(duo.byUsername().get(`swap${k}a`)!.email).toBe(`swap${k}a@example.com`);
      expect(duo.byUsername().get(`swap${k}b`)!.email).toBe(`swap${k}b@example.com`);
    }
    expect([...duo.users.keys()].sort()).toEqual([...ids.keys()].sort());

    const rollback = await cli(['rollback', '--journal', join(dir, 'users.migrate.jsonl'), '--apply', '--yes']);
    expect(rollback.exitCode).toBe(0);
    expect((await snapshot(dir, 'after.json')).users).toEqual(before.users);
  }, 120_000);
});

describe('import --apply --update', () => {
  it('applies the plan\'s update rows: fields and aliases of existing users', async () => {
    const jfoo = duo.seed({ username: 'jfoo', email: 'old@example.com', realname: 'J Foo' }, ['old@example.com']);
    const same = duo.seed({ username: 'bob', email: 'bob@example.com' }, ['bob@example.com']);
    const dir = tmpFiles({ 'users.csv': 'username,realname,email,alias1\njfoo,Jane Foo,jane.foo@example.com,jane.foo@example.com\nbob,,bob@example.com,bob@example.com\nnew1,,new1@example.com,\n' });
    const plan = JSON.parse((await cli(['plan', join(dir, 'users.csv'), '--format', 'json'])).stdout);
    expect(plan.summary).toEqual({ create: 1, unchanged: 1, update: 1, migrate: 0, restore: 0, conflict: 0 });
    expect(plan.rows[0].reason).toBe('same username; changes realname, email, aliases');

    const run = await cli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--update']);
    expect(run.stderr).toMatch(/created 1, updated 1, exists 1, failed 0/);
    expect(run.exitCode).toBe(0);
    expect([jfoo.realname, jfoo.email, jfoo.aliases]).toEqual(['Jane Foo', 'jane.foo@example.com', { alias1: 'jane.foo@example.com' }]);
    expect(same.aliases).toEqual({ alias1: 'bob@example.com' });
  });
});

describe('tenant export', () => {
  it('pages through every user (300 per call) to JSON, or to CSV for a spreadsheet', async () => {
    for (let i = 1; i <= 650; i++) duo.seed({ username: `user${i}`, email: `user${i}@example.com` }, i === 1 ? ['first@example.com'] : []);
    const dir = tmpFiles();
    const json = await snapshot(dir, 'tenant.json');
    expect(json.users).toHaveLength(650);
    expect(json.users[0]).toMatchObject({ username: 'user1', aliases: { alias1: 'first@example.com' }, email: 'user1@example.com', phones: [] });
    expect(duo.count('GET', /^\/admin\/v1\/users$/)).toBe(3);

    const csv = await cli(['tenant', 'export', '--out', join(dir, 'tenant.csv'), '--format', 'csv']);
    expect(csv.exitCode).toBe(0);
    const lines = readFileSync(join(dir, 'tenant.csv'), 'utf8').split('\r\n');
    expect(lines[0]).toBe('\ufeffuser_id,username,alias1,alias2,alias3,alias4,alias5,alias6,alias7,alias8,email,realname,firstname,lastname,status,notes,last_directory_sync,external_id,is_enrolled,phones,groups,tokens');
    expect(lines).toHaveLength(652);
  });
});

describe('plan and migrate validate the CSV first', () => {
  it('refuse a file with errors (exit 1, one line) unless --skip-invalid', async () => {
    const dir = tmpFiles({ 'users.csv': 'username,email\na,a@example.com\n,b@example.com\n' });
    for (const command of ['plan', 'migrate']) {
      const run = await cli([command, join(dir, 'users.csv')]);
      expect([run.exitCode, run.stderr]).toEqual([1, `duo-bridge: ${join(dir, 'users.csv')} has 1 error: fix them, or use --skip-invalid\n`]);
    }
    const skipping = await cli(['plan', join(dir, 'users.csv'), '--skip-invalid', '--format', 'json']);
    expect(JSON.parse(skipping.stdout).summary.create).toBe(1);
  });
});
