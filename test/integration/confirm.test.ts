import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { FakeDuo } from '../fake-duo/fake-duo.js';
import { tmpFiles } from '../helpers/tmp-files.js';
import { usersCsv } from '../helpers/users-csv.js';

let duo: FakeDuo;
beforeEach(async () => {
  duo = await new FakeDuo().start();
});
afterEach(async () => {
  await duo.stop();
});

/** main() in process, on a "terminal" whose user answers `answer` to every question. */
async function onTerminal(args: string[], answer: string): Promise<{ code: number; err: string; asked: string[] }> {
  let err = '';
  const asked: string[] = [];
  const io: CliIo = {
    out: () => undefined, err: (t) => void (err += t), errIsTTY: false, outIsTTY: false, cwd: process.cwd(),
    env: { ...duo.env() },
    ask: async (question) => {
      asked.push(question);
      return answer;
    },
  };
  return { code: await main([...args, '--rate', '100000'], io), err, asked };
}

describe('--apply asks before writing, on a terminal', () => {
  it.each([
    ['import', (csv: string) => ['import', csv, '--apply']],
    ['migrate', (csv: string) => ['migrate', csv, '--apply']],
  ])('%s: "n" changes nothing (exit 2), "y" goes ahead, --yes does not ask', async (name, command) => {
    // Something for migrate to rename: u00001's email username.
    if (name === 'migrate') duo.seed({ username: 'u00001@example.com', email: 'u00001@example.com' });
    const csv = join(tmpFiles({ 'users.csv': usersCsv(3) }), 'users.csv');
    const no = await onTerminal(command(csv), 'n');
    expect([no.code, no.asked.length]).toEqual([2, 1]);
    expect(no.err).toMatch(/nothing was changed/);
    expect(duo.log.filter((r) => r.method === 'POST')).toHaveLength(0);

    const yes = await onTerminal(command(csv), 'y');
    expect(yes.code).toBe(0);
    expect(duo.log.filter((r) => r.method === 'POST').length).toBeGreaterThan(0);

    const quiet = await onTerminal([...command(csv), '--yes'], 'n');
    expect(quiet.asked).toEqual([]);
  });
});
