import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { FakeDuo } from '../fake-duo/fake-duo.js';
import { BIN, runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';
import { usersCsv } from '../helpers/users-csv.js';

const USERS = 300;
const KILLS = 20;

let duo: FakeDuo;
beforeAll(async () => {
  duo = await new FakeDuo().start();
  duo.latencyMs = 2;
});
afterAll(async () => {
  await duo.stop();
});

/** Starts an import and SIGKILLs it after `ms`, whatever it is doing. */
function killedRun(input: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'import', input, '--apply', '--yes', '--rate', '100000'], { env: { PATH: process.env.PATH, ...duo.env() }, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('kill -9 at any moment, then resume', () => {
  it(`${KILLS} runs killed at random moments, then one to the end: every user exactly once, with the right aliases`, async () => {
    const input = join(tmpFiles({ 'users.csv': usersCsv(USERS) }), 'users.csv');
    // Time a whole run of the same file against another tenant, to kill within it.
    const probe = await new FakeDuo().start();
    probe.latencyMs = duo.latencyMs;
    const started = Date.now();
    const full = await runCli(['import', join(tmpFiles({ 'users.csv': usersCsv(USERS) }), 'users.csv'), '--apply', '--yes', '--rate', '100000'], { env: probe.env() });
    const span = Date.now() - started;
    const startup = probe.log[0]!.at - started;
    await probe.stop();
    expect(full.exitCode).toBe(0);
    const ours = (): number => [...duo.users.values()].filter((u) => /^u0\d{4}$/.test(u.username)).length;
    // Progress: users created, plus users whose aliases are set (creation is batched, aliases are not).
    const progress = (): number => ours() + [...duo.users.values()].filter((u) => Object.keys(u.aliases).length > 0).length;

    const seen: number[] = [];
    for (let i = 0; i < KILLS; i++) {
      // Each run gets a slice of the work: the kills fall everywhere from start-up to the last write.
      await killedRun(input, startup + Math.floor((Math.random() * (span - startup)) / 6));
      seen.push(progress());
    }
    // The kills landed at different stages, not all before start-up finished or after the end.
    expect(new Set(seen).size).toBeGreaterThan(2);
    const last = await runCli(['import', input, '--apply', '--yes', '--rate', '100000'], { env: duo.env() });
    expect(last.stderr).toMatch(/failed 0, skipped 0/);
    expect(last.exitCode).toBe(0);

    const users = [...duo.users.values()].filter((u) => /^u0\d{4}$/.test(u.username));
    expect(users).toHaveLength(USERS);
    expect(ours()).toBe(USERS);
    expect(new Set(users.map((u) => u.username)).size).toBe(USERS);
    const byName = duo.byUsername();
    for (let i = 1; i <= USERS; i++) {
      const name = `u${String(i).padStart(5, '0')}`;
      const expected: Record<string, string> = { alias1: `${name}@example.com` };
      if (i % 3 === 0) expected.alias2 = `${name}.alt@example.org`;
      expect(byName.get(name)?.aliases).toEqual(expected);
    }
    const results = parse(readFileSync(input.replace(/\.csv$/, '.results.csv')), { bom: true, columns: true }) as Record<string, string>[];
    expect(results.map((r) => r.result)).toEqual(Array(USERS).fill('created'));
    expect(results.every((r) => r.duo_user_id === byName.get(r.username!)!.user_id)).toBe(true);
  }, 180_000);
});
