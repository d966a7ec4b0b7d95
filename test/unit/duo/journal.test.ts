import { describe, expect, it } from '@jest/globals';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImportState } from '../../../src/duo/workflows/import-state.js';
import { Journal, type JournalRecord } from '../../../src/duo/journal/journal.js';
import { UsageError } from '../../../src/errors.js';
import { tmpFiles } from '../../helpers/tmp-files.js';

describe('Journal', () => {
  it('appends records as JSON lines, writing the header before the first one only', async () => {
    const path = join(tmpFiles(), 'j.jsonl');
    const journal = await Journal.open(path);
    journal.setHeader({ t: 'start', kind: 'import', input: 'u.csv', sha256: 'ab', host: 'h', at: 'now' });
    await journal.append({ t: 'intent', id: journal.newId(), op: 'create', usernames: ['a'] });
    await journal.append({ t: 'outcome', id: 1, ok: true });
    await journal.close();
    expect(readFileSync(path, 'utf8').split('\n').map((l) => l && JSON.parse(l).t)).toEqual(['start', 'intent', 'outcome', '']);
    const reopened = await Journal.open(path);
    expect(reopened.records).toHaveLength(3);
    expect(reopened.newId()).toBe(2);
    await reopened.close();
  });

  it('drops a line torn by a crash, and appends after the last whole one', async () => {
    const path = join(tmpFiles(), 'j.jsonl');
    writeFileSync(path, '{"t":"intent","id":1,"op":"create","usernames":["a"]}\n{"t":"outcome","id":1,"ok":tr');
    const journal = await Journal.open(path);
    expect(journal.records).toHaveLength(1);
    await journal.append({ t: 'done', at: 'x' });
    await journal.close();
    expect(readFileSync(path, 'utf8')).toBe('{"t":"intent","id":1,"op":"create","usernames":["a"]}\n{"t":"done","at":"x"}\n');
  });

  it('refuses a damaged journal and a second process on the same journal', async () => {
    const dir = tmpFiles({ 'bad.jsonl': 'not json\n' });
    await expect(Journal.open(join(dir, 'bad.jsonl'))).rejects.toThrow(/bad\.jsonl:1 is not a journal record/);
    const path = join(dir, 'j.jsonl');
    const first = await Journal.open(path);
    await expect(Journal.open(path)).rejects.toThrow(new UsageError('JOURNAL_LOCKED', `journal ${path} is in use by another duo-bridge (pid ${process.pid})`));
    await first.close();
    await (await Journal.open(path)).close();
  });

  it('takes over the lock of a process that died', async () => {
    const path = join(tmpFiles(), 'j.jsonl');
    writeFileSync(`${path}.lock`, '999999999');
    appendFileSync(path, '');
    await expect(Journal.open(path).then((j) => j.close())).resolves.toBeUndefined();
  });
});

describe('ImportState.replay', () => {
  const records: JournalRecord[] = [
    { t: 'intent', id: 1, op: 'bulk_create', usernames: ['A', 'b', 'c'] },
    { t: 'outcome', id: 1, ok: true, created: [{ username: 'a', user_id: 'DU1' }, { username: 'b', user_id: 'DU2' }] },
    { t: 'intent', id: 2, op: 'aliases', usernames: ['a'], user_id: 'DU1', aliases: 'alias1=x' },
    { t: 'outcome', id: 2, ok: true },
    { t: 'intent', id: 3, op: 'aliases', usernames: ['b'], user_id: 'DU2', aliases: 'alias1=y' },
    { t: 'row', line: 2, username: 'A', result: 'created', user_id: 'DU1', error: null },
    { t: 'intent', id: 4, op: 'bulk_create', usernames: ['d'] },
    { t: 'intent', id: 5, op: 'create', usernames: ['e'] },
    { t: 'outcome', id: 5, ok: false, unknown: false, error: 'refused' },
    { t: 'intent', id: 6, op: 'create', usernames: ['f'] },
    { t: 'outcome', id: 6, ok: false, unknown: true, error: 'timeout' },
  ];

  it('knows what was created, what may have been, and what is final', () => {
    const state = ImportState.replay(records);
    expect([...state.final.keys()]).toEqual(['a']);
    expect(state.createdIds).toEqual(new Map([['a', 'DU1'], ['b', 'DU2']]));
    expect([...state.aliasesDone]).toEqual(['a']);
    expect(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((u) => state.isOurs(u))).toEqual([true, true, true, true, false, true, false]);
  });
});
