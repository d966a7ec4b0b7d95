import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { DuoClient } from '../../src/duo/api/client.js';
import { duoBaseUrl } from '../../src/duo/api/duo-host.js';
import { CheckedInput } from '../../src/input/checked-input.js';
import { importFiles } from '../../src/input/run-files.js';
import { applyImport, type ImportProgress } from '../../src/duo/workflows/importer.js';
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

describe('import progress', () => {
  it('is reported while a batch\'s aliases are set, not only between batches', async () => {
    const input = join(tmpFiles({ 'users.csv': usersCsv(150) }), 'users.csv');
    const client = new DuoClient({ credentials: { baseUrl: duoBaseUrl(duo.url), ikey: duo.ikey, skey: duo.skey }, ratePerMinute: 100_000, timeoutMs: 5000 });
    const seen: ImportProgress[] = [];
    await using checked = await CheckedInput.check(input, { skipInvalid: false });
    await applyImport({ input: checked, batchSize: 100, files: importFiles(input), client, host: 'h', onProgress: (p) => seen.push(p) });
    const done = seen.map((p) => p.done);
    expect(done.slice(0, 3)).toEqual([1, 2, 3]);
    expect(done).toContain(100);
    expect(done.at(-1)).toBe(150);
    expect(seen.at(-1)).toMatchObject({ total: 150, created: 150 });
    expect([...done].sort((a, b) => a - b)).toEqual(done);
  });
});
