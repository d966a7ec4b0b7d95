import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { FakeDuo } from '../fake-duo/fake-duo.js';
import { killSchedule, runKilledAtWrite } from '../helpers/kill-at-write.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';

const FAST = ['--rate', '100000', '--timeout', '5'];
const PLATFORMS = ['iphone', 'android', 'landline', 'smartphone', ''];
const DUO_PLATFORMS: Record<string, [string, string]> = {
  iphone: ['mobile', 'apple ios'], android: ['mobile', 'google android'], landline: ['landline', 'unknown'], smartphone: ['mobile', 'generic smartphone'], '': ['mobile', 'unknown'],
};

const name = (i: number): string => `u${String(i).padStart(4, '0')}`;
/** A national US number as people type it; --default-country US makes it +1734555NNNN. */
const mobile = (i: number): string => `(734) 555-${String(i).padStart(4, '0')}`;
const e164 = (i: number): string => `+1734555${String(i).padStart(4, '0')}`;

/** Duo's "Import Users" CSV with groups, phones and platforms: everyone in Staff, every other user in VPN Users, every fifth with a desk phone. */
function duoCsv(count: number, first = 1): string {
  const lines = ['username,realname,email,alias1,group1,group2,phone1,platform1,phone2,platform2'];
  for (let i = first; i < first + count; i++) {
    lines.push([name(i), `User ${i}`, `${name(i)}@example.com`, `${name(i)}@example.com`, 'Staff', i % 2 === 0 ? 'VPN Users' : '',
      mobile(i), PLATFORMS[i % PLATFORMS.length], i % 5 === 0 ? `+44 20 7946 ${String(i).padStart(4, '0')} x${i}` : '', i % 5 === 0 ? 'landline' : ''].join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

function expectInPlace(duo: FakeDuo, count: number, first = 1): void {
  const users = duo.byUsername();
  for (let i = first; i < first + count; i++) {
    const user = users.get(name(i))!;
    expect(duo.groupNamesOf(user)).toEqual(i % 2 === 0 ? ['Staff', 'VPN Users'] : ['Staff']);
    const phones = user.phones.map((p) => duo.phones.get(p.phone_id)!);
    expect(phones.map((p) => [p.number, p.extension, p.type, p.platform])).toEqual([
      [e164(i), '', ...DUO_PLATFORMS[PLATFORMS[i % PLATFORMS.length]!]!],
      ...(i % 5 === 0 ? [[`+44207946${String(i).padStart(4, '0')}`, String(i), 'landline', 'unknown']] : []),
    ]);
  }
  // No phone twice, no group twice.
  const numbers = [...duo.phones.values()].map((p) => `${p.number}x${p.extension}`);
  expect(new Set(numbers).size).toBe(numbers.length);
  const groups = [...duo.groups.values()].map((g) => g.name.toLowerCase());
  expect(new Set(groups).size).toBe(groups.length);
}

function results(path: string): Record<string, string>[] {
  return parse(readFileSync(path), { bom: true, columns: true }) as Record<string, string>[];
}

let duo: FakeDuo;
beforeEach(async () => {
  duo = await new FakeDuo().start();
});
afterEach(async () => {
  await duo.stop();
});

describe('groups and phones: import', () => {
  it.each([
    { how: 'bulk, per-operation answers', answer: 'results' as const, extra: [] as string[] },
    { how: 'bulk, a bare OK', answer: 'ok' as const, extra: [] },
    { how: 'bulk, answers lost', answer: 'lost' as const, extra: [] },
    { how: 'single calls', answer: 'results' as const, extra: ['--no-bulk'] },
  ])('a Duo-format CSV with groups, phones and platforms: every membership and phone in place, once ($how)', async ({ answer, extra }) => {
    duo.bulkAnswer = answer;
    duo.seedGroup('Staff');
    duo.seedGroup('VPN Users');
    const dir = tmpFiles({ 'users.csv': duoCsv(120) });
    const args = ['import', join(dir, 'users.csv'), '--apply', '--yes', '--default-country', 'US', ...extra, ...FAST];
    const run = await runCli(args, { env: duo.env() });
    expect(run.stderr).toMatch(/created 120, exists 0, failed 0, skipped 0/);
    expect(run.exitCode).toBe(0);
    expectInPlace(duo, 120);
    expect(duo.phones.size).toBe(120 + 24);
    if (extra.length === 0) {
      // 180 memberships in 50-operation bulk calls: 4 calls, never one call per membership.
      expect(duo.count('POST', /^\/admin\/v1\/users\/[A-Z0-9]+\/groups$/)).toBe(0);
    }
    const rows = results(join(dir, 'users.results.csv'));
    expect(rows.every((r) => r.result === 'created')).toBe(true);

    const writes = duo.appliedWrites;
    const again = await runCli(args, { env: duo.env() });
    expect(again.exitCode).toBe(0);
    expect(duo.appliedWrites).toBe(writes);
  });

  it('a group Duo lacks fails its rows, naming the group, unless --create-groups creates it once', async () => {
    duo.seedGroup('Staff');
    const dir = tmpFiles({ 'users.csv': duoCsv(4) });
    const plan = await runCli(['plan', join(dir, 'users.csv'), '--default-country', 'US', ...FAST], { env: duo.env() });
    expect(plan.stdout).toMatch(/Duo has no group "VPN Users"\n {4}fix: create it in Duo, or import with --create-groups/);
    expect(plan.exitCode).toBe(1);

    const base = ['import', join(dir, 'users.csv'), '--apply', '--yes', '--default-country', 'US', ...FAST];
    const without = await runCli(base, { env: duo.env() });
    expect(without.exitCode).toBe(1);
    expect(without.stderr).toMatch(/created 2, exists 0, failed 2/);
    const failed = results(join(dir, 'users.results.csv')).filter((r) => r.result === 'failed');
    expect(failed.map((r) => [r.username, r.error])).toEqual([
      ['u0002', expect.stringContaining('Duo has no group "VPN Users"')], ['u0004', expect.stringContaining('Duo has no group "VPN Users"')]]);
    expect(duo.byUsername().has('u0002')).toBe(false);

    // The same journal: a resume, which tries the failed rows again.
    const withCreate = await runCli([...base, '--create-groups'], { env: duo.env() });
    expect(withCreate.stderr).toMatch(/resumed import .* created 4, exists 0, failed 0/);
    expect(withCreate.exitCode).toBe(0);
    expect([...duo.groups.values()].map((g) => g.name).sort()).toEqual(['Staff', 'VPN Users']);
    expectInPlace(duo, 4);
  });

  it('a group that a directory sync manages is never changed', async () => {
    duo.seedGroup('Staff (from AD sync "Corp")');
    const dir = tmpFiles({ 'users.csv': 'username,group1\nann,"Staff (from AD sync ""Corp"")"\n' });
    const run = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--create-groups', ...FAST], { env: duo.env() });
    expect(run.exitCode).toBe(1);
    expect(results(join(dir, 'users.results.csv'))[0]!.error).toMatch(/managed by a directory sync.*duo-bridge never changes it/);
    expect(duo.users.size).toBe(0);
  });

  it('a phone another user holds is a conflict (its device would approve both); --share-phones attaches it; an unattached phone is reused', async () => {
    const owner = duo.seed({ username: 'owner' });
    duo.seedPhone(e164(1), [owner.user_id]);
    const spare = duo.seedPhone(e164(2));
    const dir = tmpFiles({ 'users.csv': `username,phone1\n${name(1)},${e164(1)}\n${name(2)},${e164(2)}\n` });
    const base = ['import', join(dir, 'users.csv'), '--apply', '--yes', ...FAST];
    const plan = await runCli(['plan', join(dir, 'users.csv'), ...FAST], { env: duo.env() });
    expect(plan.stdout).toMatch(new RegExp(`phone \\${e164(1)} belongs to Duo user "owner" \\(${owner.user_id}\\)`));

    const first = await runCli(base, { env: duo.env() });
    expect(first.exitCode).toBe(1);
    expect(duo.byUsername().has(name(1))).toBe(false);
    expect(duo.byUsername().get(name(2))!.phones.map((p) => p.phone_id)).toEqual([spare.phone_id]);
    expect(duo.phones.size).toBe(2);

    const shared = await runCli([...base, '--share-phones'], { env: duo.env() });
    expect(shared.exitCode).toBe(0);
    const phone = [...duo.phones.values()].find((p) => p.number === e164(1))!;
    expect(phone.users).toEqual([owner.user_id, duo.byUsername().get(name(1))!.user_id]);
    expect(duo.phones.size).toBe(2);
  });

  it('--update adds missing memberships and phones to existing users and removes none', async () => {
    const staff = duo.seedGroup('Staff');
    const other = duo.seedGroup('Other');
    const user = duo.seed({ username: name(2), realname: 'User 2', email: `${name(2)}@example.com`, groups: [staff.group_id, other.group_id] }, [`${name(2)}@example.com`]);
    const kept = duo.seedPhone('+15550001111', [user.user_id]);
    duo.seedGroup('VPN Users');
    const dir = tmpFiles({ 'users.csv': duoCsv(1, 2) });
    const plan = await runCli(['plan', join(dir, 'users.csv'), '--default-country', 'US', '--format', 'json', ...FAST], { env: duo.env() });
    const row = JSON.parse(plan.stdout).rows[0];
    expect(row).toMatchObject({ action: 'update', add_groups: ['VPN Users'], add_phones: [e164(2)] });

    const plain = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--default-country', 'US', ...FAST], { env: duo.env() });
    expect(plain.stderr).toMatch(/exists 1/);
    expect(duo.groupNamesOf(user)).toEqual(['Other', 'Staff']);

    const update = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--update', '--default-country', 'US', '--journal', join(dir, 'u.jsonl'), ...FAST], { env: duo.env() });
    expect(update.stderr).toMatch(/updated 1/);
    expect(duo.groupNamesOf(user)).toEqual(['Other', 'Staff', 'VPN Users']);
    expect(user.phones.map((p) => p.number)).toEqual([kept.number, e164(2)]);

    // Rollback of that update takes off exactly what it added.
    const rollback = await runCli(['rollback', '--journal', join(dir, 'u.jsonl'), '--apply', '--yes', ...FAST], { env: duo.env() });
    expect(rollback.exitCode).toBe(0);
    expect(duo.groupNamesOf(user)).toEqual(['Other', 'Staff']);
    expect(user.phones.map((p) => p.number)).toEqual([kept.number]);
    expect(duo.phones.has(kept.phone_id)).toBe(true);
    expect(user.status).toBe('active');
  });

  it('Duo\'s per-user limits: a row that would pass 100 groups is a conflict, and Duo\'s 500/50001 answer is a refusal, not a lost answer', async () => {
    const groups = Array.from({ length: 100 }, (_, i) => duo.seedGroup(`G${i}`));
    duo.seedGroup('One more');
    const full = duo.seed({ username: 'full', groups: groups.map((g) => g.group_id) });
    const dir = tmpFiles({ 'users.csv': 'username,group1\nfull,One more\n' });
    const plan = await runCli(['plan', join(dir, 'users.csv'), ...FAST], { env: duo.env() });
    expect(plan.stdout).toMatch(/more than Duo's 100 groups/);
    const run = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--update', ...FAST], { env: duo.env() });
    expect(run.exitCode).toBe(1);
    expect(duo.appliedWrites).toBe(0);

    // Room for one when planned; someone else fills it before the write arrives.
    const extra = full.groups.pop()!;
    duo.beforeRequest = (method) => {
      if (method === 'POST' && !full.groups.includes(extra)) full.groups.push(extra);
    };
    const raced = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--update', '--journal', join(dir, 'raced.jsonl'), ...FAST], { env: duo.env() });
    expect(raced.exitCode).toBe(1);
    expect(results(join(dir, 'users.results.csv'))[0]!.error).toMatch(/not added to group "One more": Duo refused the request: Maximum number of groups per user reached/);
    // Refused, so not repeated: one bulk call, then one single call that Duo refused.
    expect(duo.count('POST', /^\/admin\/v1\/users\/[A-Z0-9]+\/groups$/)).toBe(1);
    expect(readFileSync(join(dir, 'raced.jsonl'), 'utf8')).toMatch(/"status":"refused"/);
  });

  it('--enroll emails each created user with an email and no phone, once, even when the answer is lost and the import resumed; --send-activation texts created phones once', async () => {
    const dir = tmpFiles({ 'users.csv': `username,email,phone1\nann,ann@example.com,\nbob,bob@example.com,${e164(7)}\ncid,,\n` });
    duo.inject(/POST \/admin\/v1\/users\/enroll/, 'reset-after');
    const args = ['import', join(dir, 'users.csv'), '--apply', '--yes', '--enroll', '--send-activation', ...FAST];
    const first = await runCli(args, { env: duo.env() });
    expect(first.exitCode).toBe(0);
    const notes = results(join(dir, 'users.results.csv')).map((r) => r.note);
    expect(notes).toEqual([expect.stringMatching(/enrollment email sent to ann@example.com/), `activation text sent to ${e164(7)}`, '']);
    const again = await runCli(args, { env: duo.env() });
    expect(again.exitCode).toBe(0);
    expect(duo.enrollments).toEqual([{ username: 'ann', email: 'ann@example.com' }]);
    expect([...duo.phones.values()].map((p) => [p.number, p.smsActivations])).toEqual([[e164(7), 1]]);
  });
});

describe('groups and phones: rollback and kill -9', () => {
  it('rollback of an import deletes the phones it created, detaches those it attached, removes memberships from users it did not create, and trashes its users', async () => {
    duo.seedGroup('Staff');
    duo.seedGroup('VPN Users');
    const existing = duo.seed({ username: name(1), realname: 'User 1', email: `${name(1)}@example.com` }, [`${name(1)}@example.com`]);
    const spare = duo.seedPhone(e164(1));
    const dir = tmpFiles({ 'users.csv': duoCsv(10) });
    const run = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', '--update', '--default-country', 'US', ...FAST], { env: duo.env() });
    expect(run.stderr).toMatch(/created 9, updated 1/);
    expectInPlace(duo, 9, 2);
    expect(duo.groupNamesOf(existing)).toEqual(['Staff']);
    expect(existing.phones.map((p) => p.phone_id)).toEqual([spare.phone_id]);

    const journal = join(dir, 'users.journal.jsonl');
    const dry = await runCli(['rollback', '--journal', journal, ...FAST], { env: duo.env() });
    expect(dry.stdout).toMatch(/remove 1 group membership it added, detach 1 phone it attached, delete 11 phones it created, disable 9 users it created or restored and send them to Duo's Trash/);
    const rollback = await runCli(['rollback', '--journal', journal, '--apply', '--yes', ...FAST], { env: duo.env() });
    expect(rollback.exitCode).toBe(0);
    expect(duo.groupNamesOf(existing)).toEqual([]);
    expect(existing.phones).toEqual([]);
    expect([...duo.phones.keys()]).toEqual([spare.phone_id]);
    expect([...duo.users.values()].filter((u) => u.status === 'pending deletion')).toHaveLength(9);
  });

  it('20 runs killed at the k-th write (applied or not), then one to the end: every membership and phone once; rollback leaves no phone behind', async () => {
    duo.seedGroup('Staff');
    const USERS = 150;
    const input = join(tmpFiles({ 'users.csv': duoCsv(USERS) }), 'users.csv');
    const args = ['import', input, '--apply', '--yes', '--default-country', 'US', '--create-groups', '--enroll', ...FAST];
    const progress = (): number => duo.users.size + [...duo.users.values()].reduce((n, u) => n + u.groups.length + u.phones.length, 0);
    const seen: number[] = [];
    // About 370 writes in all (users, memberships, a group, phones created and attached): kills within the first 15 of each run.
    for (const { k, point } of killSchedule(20, 15)) {
      const { killed } = await runKilledAtWrite(duo, args, k, point);
      expect(killed).toBe(true);
      seen.push(progress());
    }
    expect(new Set(seen).size).toBeGreaterThan(8);
    const last = await runCli(args, { env: duo.env() });
    expect(last.stderr).toMatch(/failed 0, skipped 0/);
    expect(duo.users.size).toBe(USERS);
    expectInPlace(duo, USERS);
    expect(duo.phones.size).toBe(USERS + USERS / 5);
    expect(duo.enrollments).toEqual([]);

    const rollback = await runCli(['rollback', '--journal', input.replace(/\.csv$/, '.journal.jsonl'), '--apply', '--yes', ...FAST], { env: duo.env() });
    expect(rollback.exitCode).toBe(0);
    expect(duo.phones.size).toBe(0);
    expect([...duo.users.values()].every((u) => u.status === 'pending deletion')).toBe(true);
  }, 180_000);
});

describe('groups and phones: migrate', () => {
  it('migrate renames in place and adds the rows\' memberships and phones; rollback restores the names and takes them off', async () => {
    const staff = duo.seedGroup('Staff');
    const users = [1, 2, 3].map((i) => duo.seed({ username: `${name(i)}@example.com`, email: `${name(i)}@example.com` }));
    const kept = duo.seedPhone('+15550001111', [users[0]!.user_id]);
    const dir = tmpFiles({ 'users.csv': duoCsv(3) });
    const csv = join(dir, 'users.csv');
    const args = ['migrate', csv, '--default-country', 'US', '--create-groups', ...FAST];
    const dry = await runCli(args, { env: duo.env() });
    expect(dry.stdout).toMatch(/rename to "u0002" with aliases \[u0002@example.com\]; adds groups Staff, VPN Users; adds phone \+17345550002/);
    const run = await runCli([...args, '--apply', '--yes', '--journal', join(dir, 'm.jsonl')], { env: duo.env() });
    expect(run.exitCode).toBe(0);
    expect(users.map((u) => u.username)).toEqual([name(1), name(2), name(3)]);
    expect(users.map((u) => u.user_id)).toEqual([...duo.byUsername().values()].map((u) => u.user_id));
    expectInPlace(duo, 2, 2);
    expect(duo.groupNamesOf(users[0]!)).toEqual(['Staff']);
    expect(users[0]!.phones.map((p) => p.number)).toEqual([kept.number, e164(1)]);

    const rollback = await runCli(['rollback', '--journal', join(dir, 'm.jsonl'), '--apply', '--yes', ...FAST], { env: duo.env() });
    expect(rollback.exitCode).toBe(0);
    expect(users.map((u) => [u.username, duo.groupNamesOf(u), u.phones.map((p) => p.number)])).toEqual([
      [`${name(1)}@example.com`, [], ['+15550001111']], [`${name(2)}@example.com`, [], []], [`${name(3)}@example.com`, [], []]]);
    expect([...duo.phones.keys()]).toEqual([kept.phone_id]);
    expect(duo.groups.has(staff.group_id)).toBe(true);
  });
});

describe('groups and phones: tenant export and an offline plan', () => {
  it('tenant export keeps each user\'s groups and phones and the tenant\'s groups; plan --tenant rehearses against it', async () => {
    const staff = duo.seedGroup('Staff');
    duo.seedGroup('Empty');
    const user = duo.seed({ username: name(2), realname: 'User 2', email: `${name(2)}@example.com`, groups: [staff.group_id] }, [`${name(2)}@example.com`]);
    duo.seedPhone('+15550001111', [user.user_id]);
    const dir = tmpFiles({ 'users.csv': duoCsv(2) });
    const exported = await runCli(['tenant', 'export', '--out', join(dir, 'tenant.json'), ...FAST], { env: duo.env() });
    expect(exported.exitCode).toBe(0);
    const snapshot = JSON.parse(readFileSync(join(dir, 'tenant.json'), 'utf8'));
    expect(snapshot.users[0]).toMatchObject({ groups: [{ group_id: staff.group_id, name: 'Staff' }], phones: [{ number: '+15550001111', extension: '' }] });
    expect(snapshot.groups.map((g: { name: string }) => g.name)).toEqual(['Staff', 'Empty']);

    const plan = await runCli(['plan', join(dir, 'users.csv'), '--tenant', join(dir, 'tenant.json'), '--default-country', 'US', '--create-groups', '--format', 'json'], {});
    expect(JSON.parse(plan.stdout).rows).toEqual([
      expect.objectContaining({ username: name(1), action: 'create', add_groups: ['Staff'], add_phones: [e164(1)] }),
      expect.objectContaining({ username: name(2), action: 'update', add_groups: ['VPN Users'], add_phones: [e164(2)] }),
    ]);
  });
});
