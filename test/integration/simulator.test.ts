import { afterEach, describe, expect, it } from '@jest/globals';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeDuo } from '../fake-duo/fake-duo.js';
import { clientAt } from '../helpers/fake-client.js';
import { runCli } from '../helpers/run-cli.js';
import { startSimulator, type SimulatorProcess } from '../helpers/simulator.js';
import { tmpFiles } from '../helpers/tmp-files.js';

const FAST = ['--rate', '100000', '--timeout', '5'];
const email = (i: number): string => `person.${i}@example.com`;
const sam = (i: number): string => `p${String(i).padStart(3, '0')}`;

/** A tenant a mail-username sync created: 30 users, every third with a phone, groups Staff and VPN. */
function seedTenant(duo: FakeDuo): void {
  const staff = duo.seedGroup('Staff');
  duo.seedGroup('VPN');
  for (let i = 1; i <= 30; i++) {
    const user = duo.seed({ username: email(i), email: email(i), realname: `Person ${i}`, groups: i % 2 === 0 ? [staff.group_id] : [] });
    if (i % 3 === 0) duo.seedPhone(`+1555010${String(i).padStart(4, '0')}`, [user.user_id]);
  }
}

/** 25 of them by sAMAccountName with the mail as alias, and 10 new people; groups and phones. */
function usersCsv(): string {
  const lines = ['username,email,alias1,group1,phone1,platform1'];
  for (let i = 1; i <= 35; i++) {
    if (i > 25 && i <= 30) continue;
    lines.push([sam(i), email(i), email(i), i % 4 === 0 ? 'VPN' : 'Staff', i % 5 === 0 ? `+1555020${String(i).padStart(4, '0')}` : '', i % 5 === 0 ? 'android' : ''].join(','));
  }
  return lines.join('\n') + '\n';
}

/** What a `tenant export` of a Duo says, without when and where it was taken. */
async function tenantOf(env: Record<string, string>, file: string): Promise<unknown> {
  const run = await runCli(['tenant', 'export', '--out', file, ...FAST], { env });
  expect(run.exitCode).toBe(0);
  const { host: _host, exported_at: _at, ...rest } = JSON.parse(readFileSync(file, 'utf8'));
  return rest;
}

let simulator: SimulatorProcess | null = null;
const fakes: FakeDuo[] = [];
afterEach(async () => {
  await simulator?.stop();
  simulator = null;
  for (const fake of fakes.splice(0)) await fake.stop();
});

describe('duo-bridge simulator', () => {
  it('plan, migrate, import and rollback against the simulator seeded from a snapshot do what the data says at every step; its state survives a kill -9 on the same port', async () => {
    const dir = tmpFiles({ 'users.csv': usersCsv() });
    const origin = await new FakeDuo().start();
    fakes.push(origin);
    seedTenant(origin);
    await runCli(['tenant', 'export', '--out', join(dir, 'seed.json'), ...FAST], { env: origin.env() });
    const seed = JSON.parse(readFileSync(join(dir, 'seed.json'), 'utf8')) as { users: { user_id: string; username: string }[] };
    const idOf = new Map(seed.users.map((u) => [u.username, u.user_id]));

    const state = join(dir, 'rehearsal.state');
    simulator = await startSimulator(['--tenant', join(dir, 'seed.json'), '--state', state]);
    expect(simulator.banner).toMatch(/It is NOT Duo/);
    // The banner says how many behaviours it assumes and where they are listed; --help lists each.
    expect(simulator.banner).toMatch(/assumes \d+ behaviours no official source confirms: "duo-bridge simulator --help" lists each/);
    expect(simulator.banner.split('\n').length).toBeLessThan(6);
    expect((await runCli(['simulator', '--help'])).stdout.replace(/\s+/g, ' ')).toMatch(/username_list matches aliases as well as usernames \(source: [^)]*; confidence: medium\)/);
    expect(simulator.env.DUO_HOST).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const run = (args: string[]) => runCli([...args, ...FAST], { env: simulator!.env });
    type User = { user_id: string; username: string; aliases: Record<string, string>; status: string; groups: { name: string }[]; phones: { number: string }[] };
    const users = async (label: string): Promise<Map<string, User>> =>
      new Map(((await tenantOf(simulator!.env, join(dir, `${label}.json`))) as { users: User[] }).users.map((u) => [u.username, u]));
    const csv = join(dir, 'users.csv');

    const plan = await run(['plan', csv, '--create-groups']);
    expect(plan.exitCode).toBe(0);
    expect(plan.stdout).toMatch(/create 5 · unchanged 0 · update 0 · migrate 25 · conflict 0/);

    expect((await run(['migrate', csv, '--apply', '--yes', '--journal', join(dir, 'migrate.jsonl')])).exitCode).toBe(0);
    let now = await users('migrated');
    for (let i = 1; i <= 25; i++) {
      // Renamed in place: the same user_id, the email as alias, the row's group added to what it had.
      expect(now.get(sam(i))).toMatchObject({ user_id: idOf.get(email(i)), aliases: { alias1: email(i) } });
      expect(now.get(sam(i))!.groups.map((g) => g.name)).toContain(i % 4 === 0 ? 'VPN' : 'Staff');
    }
    for (let i = 26; i <= 30; i++) expect(now.get(email(i))?.user_id).toBe(idOf.get(email(i)));

    // The simulator dies without warning; restarted on its state, it is the tenant it was, on the same port.
    const host = simulator.env.DUO_HOST;
    await simulator.stop('SIGKILL');
    simulator = await startSimulator(['--tenant', join(dir, 'seed.json'), '--state', state]);
    expect(simulator.banner).toMatch(/writes replayed from/);
    expect(simulator.env.DUO_HOST).toBe(host);
    expect(await users('restarted')).toEqual(now);

    const imported = await run(['import', csv, '--apply', '--yes', '--journal', join(dir, 'import.jsonl')]);
    expect(imported.stderr).toMatch(/created 5, exists 25/);
    now = await users('imported');
    for (let i = 31; i <= 35; i++) expect(now.get(sam(i))).toMatchObject({ aliases: { alias1: email(i) }, status: 'active' });
    expect(now.get(sam(35))!.phones.map((p) => p.number)).toEqual(['+15550200035']);

    expect((await run(['rollback', join(dir, 'import.jsonl'), '--apply', '--yes'])).stderr).toMatch(/disabled 5 users, sent 5 to the Trash/);
    expect((await run(['rollback', join(dir, 'migrate.jsonl'), '--apply', '--yes'])).stderr).toMatch(/restored 25 users/);
    // Rolled back: against the first snapshot, nothing differs but the Trash.
    const diff = await run(['tenant', 'diff', join(dir, 'seed.json'), '--format', 'json']);
    expect(diff.exitCode).toBe(0);
    const report = JSON.parse(diff.stdout);
    expect(report.differences).toBe(0);
    expect(report.trash).toHaveLength(5);
  }, 120_000);

  it('a restart gives every user the id it had, even after refused writes that used ids', async () => {
    const dir = tmpFiles({ 'seed.json': '{"users":[],"groups":[]}' });
    const args = ['--tenant', join(dir, 'seed.json'), '--state', join(dir, 's.state')];
    simulator = await startSimulator(args);
    const client = clientAt(simulator.env);
    // Refused after the simulator drew an id for it: the alias repeats the username.
    await expect(client.post('/admin/v1/users', { username: 'ann', aliases: 'alias1=ann' })).rejects.toMatchObject({ status: 400 });
    const { response } = await client.post('/admin/v1/users', { username: 'bob' });
    const id = (response as { user_id: string }).user_id;
    await simulator.stop('SIGKILL');
    simulator = await startSimulator(args);
    const again = clientAt(simulator.env);
    expect((await again.get(`/admin/v1/users/${id}`)).response).toMatchObject({ username: 'bob' });
    const { response: next } = await again.post('/admin/v1/users', { username: 'cid' });
    expect((next as { user_id: string }).user_id).not.toBe(id);
  });

  it('a line torn by a kill is cut off on restart, so the next answered write survives the restart after it', async () => {
    const dir = tmpFiles({ 'seed.json': '{"users":[],"groups":[]}' });
    const state = join(dir, 's.state');
    const args = ['--tenant', join(dir, 'seed.json'), '--state', state];
    simulator = await startSimulator(args);
    await clientAt(simulator.env).post('/admin/v1/users', { username: 'ann' });
    await simulator.stop('SIGKILL');
    // What a kill in the middle of writing a line leaves: part of a record, no newline.
    appendFileSync(state, '{"method":"POST","path":"/admin/v1/us');
    simulator = await startSimulator(args);
    const { response } = await clientAt(simulator.env).post('/admin/v1/users', { username: 'bob' });
    const bob = (response as { user_id: string }).user_id;
    await simulator.stop('SIGKILL');
    simulator = await startSimulator(args);
    const again = clientAt(simulator.env);
    expect((await again.get(`/admin/v1/users/${bob}`)).response).toMatchObject({ username: 'bob' });
    expect((await again.get('/admin/v1/users', { username: 'ann' })).response).toHaveLength(1);
  });

  it('refuses a state file grown from another snapshot, and says plainly what it is in --help', async () => {
    const dir = tmpFiles({ 'a.json': '{"users":[]}', 'b.json': '{"users":[],"groups":[]}' });
    simulator = await startSimulator(['--tenant', join(dir, 'a.json'), '--state', join(dir, 's.state')]);
    await simulator.stop();
    simulator = null;
    const refused = await runCli(['simulator', '--tenant', join(dir, 'b.json'), '--state', join(dir, 's.state')]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/grew from another tenant snapshot/);
    const help = await runCli(['simulator', '--help']);
    expect(help.stdout).toMatch(/It is a model of Duo, not Duo/);
    expect(help.stdout).toMatch(/a phone number without "\+" is read as a US number/);
  });
});

describe('tenant diff', () => {
  it('exit 0 when the same, 1 when not; text, JSON and CSV name every change', async () => {
    const duo = await new FakeDuo().start();
    fakes.push(duo);
    seedTenant(duo);
    const dir = tmpFiles();
    await runCli(['tenant', 'export', '--out', join(dir, 'a.json'), ...FAST], { env: duo.env() });
    const same = await runCli(['tenant', 'diff', join(dir, 'a.json'), join(dir, 'a.json')]);
    expect([same.exitCode, same.stdout.trim().split('\n').at(-1)]).toEqual([0, 'no differences']);

    const users = duo.byUsername();
    const one = users.get(email(1))!;
    one.username = 'renamed';
    one.aliases = { alias1: email(1) };
    duo.seedPhone('+15559990000', [one.user_id]);
    users.get(email(2))!.groups = [];
    users.get(email(3))!.status = 'pending deletion';
    duo.users.delete(users.get(email(4))!.user_id);
    duo.seed({ username: 'newcomer' });
    // What a rollback leaves of a user a run created: in the Trash, and no difference.
    duo.seed({ username: 'created-then-trashed', status: 'pending deletion' });
    duo.seedGroup('Contractors');
    const diff = await runCli(['tenant', 'diff', join(dir, 'a.json'), '--out', join(dir, 'diff.csv'), ...FAST], { env: duo.env() });
    expect(diff.exitCode).toBe(1);
    expect(diff.stdout).toMatch(/~ renamed \(DU\d+\): username "person.1@example.com" → "renamed"; aliases \(none\) → "person.1@example.com"; \+ phone \+15559990000/);
    expect(diff.stdout).toMatch(/~ person.2@example.com \(DU\d+\): - group Staff/);
    expect(diff.stdout).toMatch(/\+ newcomer \(DU\d+\) created/);
    expect(diff.stdout).toMatch(/- person.4@example.com \(DU\d+\) deleted/);
    expect(diff.stdout).toMatch(/\+ group "Contractors" created/);
    // Live before, in the Trash now: deleted (it can come back only by a restore).
    expect(diff.stdout).toMatch(/- person.3@example.com \(DU\d+\) deleted \(sent to the Trash\)/);
    expect(diff.stdout).toMatch(/in the Trash \(gone: not counted; --include-trash counts them\):\n {2}created-then-trashed \(DU\d+\) in Trash until \d{4}-\d\d-\d\d at the latest/);
    expect(diff.stdout).toMatch(/6 differences: changed 2 · deleted 2 · created 1 · group created 1/);
    const csv = readFileSync(join(dir, 'diff.csv'), 'utf8');
    expect(csv).toMatch(/,renamed,changed,username,person.1@example.com,renamed\r\n/);
    expect(csv).toMatch(/,person.3@example.com,deleted,,,\r\n/);
    expect(csv).toMatch(/,created-then-trashed,in trash,until,,\d{4}-/);

    const counted = await runCli(['tenant', 'diff', join(dir, 'a.json'), '--include-trash', '--format', 'json', ...FAST], { env: duo.env() });
    const report = JSON.parse(counted.stdout);
    // Counted too: the user created and trashed since.
    expect(report.differences).toBe(7);
    expect(report.changes).toContainEqual(expect.objectContaining({ kind: 'changed', username: email(3), changes: [{ field: 'status', before: 'active', after: 'pending deletion' }] }));
    writeFileSync(join(dir, 'bad.json'), 'not json');
    // 2, not 1: a file that is not a snapshot must never read as "they differ".
    expect((await runCli(['tenant', 'diff', join(dir, 'bad.json'), join(dir, 'a.json')])).exitCode).toBe(2);
    expect((await runCli(['tenant', 'diff'])).exitCode).toBe(2);
  });
});
