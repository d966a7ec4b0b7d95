import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeDuoPerTest } from '../helpers/fake-duo-per-test.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';

const fake = fakeDuoPerTest();

const FAST = ['--rate', '100000', '--timeout', '5'];

describe('import into a small tenant reads it by listing, when that costs fewer calls than looking every row up', () => {
  it('2,000 rows into a 600-user tenant: the 10 rows Duo already has are found, the rest created, about 0.03 calls a user in all', async () => {
    for (let i = 0; i < 600; i++) fake.duo.seed({ username: `existing${i}`, realname: `Existing ${i}` }, [`existing${i}@example.com`]);
    const rows = ['username,realname,alias1'];
    for (let i = 0; i < 1990; i++) rows.push(`new${i},New ${i},new${i}@example.com`);
    // Ten rows Duo has already (one by an alias only), in the first batch and in the last.
    for (let i = 0; i < 10; i++) rows.splice(i < 5 ? 1 + i : rows.length - i, 0, i === 9 ? `someone-else,Someone,existing${i}@example.com` : `existing${i},Existing ${i},existing${i}@example.com`);
    const dir = tmpFiles({ 'users.csv': rows.join('\n') + '\n' });
    const run = await runCli(['import', join(dir, 'users.csv'), '--apply', '--yes', ...FAST], { env: fake.duo.env() });
    expect(run.stderr).toMatch(/created 1,990, exists 9, failed 1, skipped 0/);
    // 2 listing pages, look-ups for the two batches with known names (preview and run: 4 to 8), 40 bulk
    // calls, 20 read-backs; looking every row up instead costs 2 × 20 batches × 2 calls more (0.07 a user).
    const calls = Number(/(\d[\d,]*) API calls/.exec(run.stderr)![1]!.replace(/,/g, ''));
    expect(calls).toBeLessThanOrEqual(70);
    expect(fake.duo.log.filter((r) => r.method === 'GET' && r.path === '/admin/v1/users').length).toBeLessThanOrEqual(30);
    const results = readFileSync(join(dir, 'users.results.csv'), 'utf8');
    expect(results).toMatch(/someone-else.*failed/);
    expect(fake.duo.users.size).toBe(2590);
  });
});
