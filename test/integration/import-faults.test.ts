import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DuoClient } from '../../src/duo/api/client.js';
import { duoBaseUrl } from '../../src/duo/api/duo-host.js';
import { CheckedInput } from '../../src/input/checked-input.js';
import { importFiles } from '../../src/input/run-files.js';
import { applyImport, type ImportSummary } from '../../src/duo/workflows/importer.js';
import { readRollbackPlan } from '../../src/duo/workflows/rollback.js';
import { FakeDuo, type FaultKind } from '../fake-duo/fake-duo.js';
import { tmpFiles } from '../helpers/tmp-files.js';
import { usersCsv } from '../helpers/users-csv.js';

let duo: FakeDuo;
beforeEach(async () => {
  duo = await new FakeDuo().start();
});
afterEach(async () => {
  await duo.stop();
});

interface Run {
  summary: ImportSummary;
  waits: number[];
  results: Record<string, string>[];
}

/** The library import, in process, with back-off sleeps recorded instead of waited for. */
async function importCsv(csv: string, options: ImportOptions = {}): Promise<Run> {
  return importFile(join(tmpFiles({ 'users.csv': csv }), 'users.csv'), options);
}

interface ImportOptions {
  rate?: number;
  timeoutMs?: number;
  realSleep?: boolean;
  /** 0 (the default here): the single-call path, whose faults these tests aim at; > 0: /admin/v1/bulk. */
  bulkSize?: number;
}

async function importFile(input: string, options: ImportOptions = {}): Promise<Run> {
  const waits: number[] = [];
  const client = new DuoClient({
    credentials: { baseUrl: duoBaseUrl(duo.url), ikey: duo.ikey, skey: duo.skey },
    ratePerMinute: options.rate ?? 100_000,
    timeoutMs: options.timeoutMs ?? 5000,
    ...(options.realSleep ? {} : { sleep: async (ms: number) => void waits.push(ms) }),
  });
  await using checked = await CheckedInput.check(input, { skipInvalid: false });
  const files = importFiles(input);
  const summary = (await applyImport({ input: checked, batchSize: 100, files, client, host: new URL(duo.url).host, bulkSize: options.bulkSize ?? 0 }))!;
  return { summary, waits: waits.filter((ms) => ms >= 1000), results: parse(readFileSync(files.results), { bom: true, columns: true }) };
}

function expectAllPresent(count: number): void {
  const users = duo.byUsername();
  expect(duo.users.size).toBe(count);
  for (let i = 1; i <= count; i++) {
    const name = `u${String(i).padStart(5, '0')}`;
    const expected: Record<string, string> = { alias1: `${name}@example.com` };
    if (i % 3 === 0) expected.alias2 = `${name}.alt@example.org`;
    expect(users.get(name)?.aliases).toEqual(expected);
  }
}

describe('import faults', () => {
  it('backs off on a 429 storm like Duo\'s clients: 1 s doubling, plus up to 1 s jitter', async () => {
    duo.inject(/^POST \/admin\/v1\/users\/bulk_create$/, '429', 5);
    const { summary, waits } = await importCsv(usersCsv(150));
    expect(summary).toMatchObject({ created: 150, failed: 0, rateLimited: 5 });
    expect(waits).toHaveLength(5);
    waits.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(1000 * 2 ** i);
      expect(ms).toBeLessThan(1000 * 2 ** i + 1000);
    });
    expect(duo.count('POST', /bulk_create$/)).toBe(2 + 5);
    expectAllPresent(150);
  });

  it('gives up after the 32 s step with a clear error, leaving the journal to resume', async () => {
    duo.inject(/^POST \/admin\/v1\/users\/bulk_create$/, '429', 7);
    await expect(importCsv(usersCsv(5))).rejects.toThrow(/kept answering 429 .* lower --rate and re-run/);
    expect(duo.users.size).toBe(0);
  });

  it.each<[FaultKind, number]>([
    ['500-before', 100],
    ['reset-before', 100],
    ['500-after', 0],
    ['reset-after', 0],
    ['html-502', 100],
  ])('bulk_create %s: re-reads the batch, creates only what is missing, one by one', async (kind, singles) => {
    duo.inject(/^POST \/admin\/v1\/users\/bulk_create$/, kind, 1);
    const { summary } = await importCsv(usersCsv(150));
    expect(summary).toMatchObject({ created: 150, failed: 0 });
    expect(duo.count('POST', /^\/admin\/v1\/users$/)).toBe(singles);
    expectAllPresent(150);
  });

  it('a slow bulk_create that times out and is applied later creates nothing twice', async () => {
    duo.inject(/^POST \/admin\/v1\/users\/bulk_create$/, 'slow', 1, 1500);
    const { summary } = await importCsv(usersCsv(20), { timeoutMs: 500 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(summary).toMatchObject({ created: 20, failed: 0 });
    expectAllPresent(20);
  });

  it('a lost answer when setting aliases is retried (the modify is idempotent)', async () => {
    duo.inject(/^POST \/admin\/v1\/users\/DU\d+$/, 'reset-after', 1);
    duo.inject(/^POST \/admin\/v1\/users\/DU\d+$/, '500-before', 1);
    const { summary } = await importCsv(usersCsv(30));
    expect(summary).toMatchObject({ created: 30, failed: 0 });
    expectAllPresent(30);
  });

  it('one bad row does not sink the other 99', async () => {
    // Between our look-up and our bulk_create, another user takes "u00042" as an alias: Duo refuses the batch.
    duo.beforeRequest = (method, path) => {
      if (method === 'POST' && path.endsWith('bulk_create') && !duo.byUsername().has('someone')) duo.seed({ username: 'someone' }, ['u00042']);
    };
    const { summary, results } = await importCsv(usersCsv(100));
    expect(summary).toMatchObject({ created: 99, failed: 1 });
    expect(results.find((r) => r.username === 'u00042')).toMatchObject({ result: 'failed', error: expect.stringMatching(/Username 'u00042' already exists/) });
    expect(duo.users.size).toBe(100);
  });

  it('a user created meanwhile by someone else is reported as existing, not claimed', async () => {
    duo.beforeRequest = (method, path) => {
      if (method === 'POST' && path.endsWith('bulk_create') && !duo.byUsername().has('u00007')) duo.seed({ username: 'u00007' });
    };
    const { summary, results } = await importCsv(usersCsv(10));
    expect(summary).toMatchObject({ created: 9, exists: 1, failed: 0 });
    expect(results.find((r) => r.username === 'u00007')).toMatchObject({ result: 'exists' });
    expect(duo.byUsername().get('u00007')!.aliases).toEqual({});
  });

  it('aliases that Duo never confirmed are set by the next run', async () => {
    duo.inject(/^POST \/admin\/v1\/users\/DU\d+$/, 'reset-before', 3);
    const input = join(tmpFiles({ 'users.csv': usersCsv(5) }), 'users.csv');
    const first = await importFile(input);
    expect(first.summary).toMatchObject({ created: 4, failed: 1 });
    expect(first.results[0]).toMatchObject({ result: 'failed', error: expect.stringMatching(/re-run to resume/) });
    const second = await importFile(input);
    expect(second.summary).toMatchObject({ resumed: true, created: 5, failed: 0 });
    expect(duo.count('POST', /bulk_create$/)).toBe(1);
    expectAllPresent(5);
  });

  it('a user claimed after a lost answer stays the import\'s: its failed alias call does not hide it from rollback, and a re-run finishes it', async () => {
    // The bulk_create is applied but its answer is lost; the importer finds the users by reading Duo.
    duo.inject(/^POST \/admin\/v1\/users\/bulk_create$/, 'reset-after', 1);
    // Then Duo refuses the first alias call: that row fails with the user already created.
    duo.inject(/^POST \/admin\/v1\/users\/DU\d+$/, 'refuse', 1);
    const input = join(tmpFiles({ 'users.csv': usersCsv(3) }), 'users.csv');
    const first = await importFile(input);
    expect(first.summary).toMatchObject({ created: 2, failed: 1 });
    const failedRow = first.results.find((r) => r.result === 'failed')!;
    expect(failedRow.duo_user_id).toMatch(/^DU/);
    const plan = await readRollbackPlan(importFiles(input).journal);
    expect(plan).toMatchObject({ kind: 'import', trash: expect.arrayContaining([...duo.users.keys()]) });

    // The cause is gone (the fault was one-off): the failed row is tried again, not replayed as failed.
    const second = await importFile(input);
    expect(second.summary).toMatchObject({ resumed: true, created: 3, failed: 0 });
    // Nothing was created twice: the users were found, never created one by one.
    expect(duo.count('POST', /^\/admin\/v1\/users$/)).toBe(0);
    expectAllPresent(3);
  });

  it('keeps under a per-minute write limit by throttling itself: no 429', async () => {
    duo.writeLimitPerMinute = 1200;
    const { summary } = await importCsv(usersCsv(30), { rate: 1200, realSleep: true });
    expect(summary).toMatchObject({ created: 30, rateLimited: 0 });
  });
});

describe('import faults on the bulk path (/admin/v1/bulk)', () => {
  it.each<[FaultKind, string]>([
    ['500-before', 'nothing applied: the users are created one by one'],
    ['reset-before', 'nothing applied: the users are created one by one'],
    ['500-after', 'applied, answer lost: found by reading back'],
    ['reset-after', 'applied, answer lost: found by reading back'],
    ['html-502', 'nothing applied: the users are created one by one'],
  ])('a bulk call %s (%s): every user once, with its aliases', async (kind) => {
    duo.inject(/^POST \/admin\/v1\/bulk$/, kind, 1);
    const { summary } = await importCsv(usersCsv(120), { bulkSize: 50 });
    expect(summary).toMatchObject({ created: 120, failed: 0 });
    const applied = kind.endsWith('after');
    // A failed call's 50 users, or none, go through single creates (and their alias calls).
    expect(duo.count('POST', /^\/admin\/v1\/users$/)).toBe(applied ? 0 : 50);
    expectAllPresent(120);
  });

  it('a user someone else creates between the look-up and the bulk call is not claimed when Duo\'s answer says the operation failed', async () => {
    duo.beforeRequest = (method, path) => {
      if (method === 'POST' && path === '/admin/v1/bulk' && !duo.byUsername().has('u00007')) duo.seed({ username: 'u00007' });
    };
    const input = join(tmpFiles({ 'users.csv': usersCsv(10) }), 'users.csv');
    const { summary, results } = await importFile(input, { bulkSize: 50 });
    expect(summary).toMatchObject({ created: 9, exists: 1, failed: 0 });
    expect(results.find((r) => r.username === 'u00007')).toMatchObject({ result: 'exists' });
    const plan = await readRollbackPlan(importFiles(input).journal);
    expect(plan).toMatchObject({ kind: 'import', trash: expect.not.arrayContaining([duo.byUsername().get('u00007')!.user_id]) });
    expect(plan.kind === 'import' && plan.trash.length).toBe(9);
  });

  it('a refused operation among 50 (its alias is taken meanwhile) fails that row only, with Duo\'s reason', async () => {
    duo.beforeRequest = (method, path) => {
      if (method === 'POST' && path === '/admin/v1/bulk' && !duo.byUsername().has('someone')) duo.seed({ username: 'someone' }, ['u00042@example.com']);
    };
    const { summary, results } = await importCsv(usersCsv(50), { bulkSize: 50 });
    expect(summary).toMatchObject({ created: 49, failed: 1 });
    expect(results.find((r) => r.username === 'u00042')).toMatchObject({ result: 'failed', error: expect.stringMatching(/aliases were not set: .*already in use/) });
  });
});
