import { describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DuoUser } from '../../../src/duo/api/users-api.js';
import type { JournalRecord } from '../../../src/duo/journal/journal.js';
import { IN_TRASH, MEMBER, NOT_IN_TRASH, NOT_MEMBER, RunHistory, writeKey } from '../../../src/duo/journal/run-history.js';
import { laterWrites } from '../../../src/duo/workflows/later-runs.js';
import {
  changedSince, compareUndo, decideFields, decideMemberships, decideNames, decideRetrash, decideUntrash, SOMEONE_IN_DUO, type LaterWrites,
} from '../../../src/duo/workflows/rollback-compare.js';
import { tmpFiles } from '../../helpers/tmp-files.js';

const user = (fields: Partial<DuoUser> & { user_id: string }): DuoUser => ({ username: fields.user_id.toLowerCase(), status: 'active', ...fields }) as DuoUser;
const later = (entries: [string, string, string | { username: string; aliases: Record<string, string> }, string][]): LaterWrites =>
  new Map(entries.map(([userId, what, value, journal]) => [writeKey(userId, what), { journal, value }]));

describe('compareUndo: set back only while Duo still holds what the run wrote', () => {
  const c = 'runs/c.jsonl';
  it.each([
    ['still the run\'s value, nothing later', 'disabled', undefined, 'write'],
    ['already the value before (whoever put it back)', 'active', undefined, 'already'],
    ['already the value before, though a later run wrote', 'active', { journal: c, value: 'active' }, 'already'],
    ['changed in Duo', 'bypass', undefined, { by: SOMEONE_IN_DUO }],
    ['A disables, B enables, C disables: the same value, but C\'s', 'disabled', { journal: c, value: 'disabled' }, { by: c }],
    ['a later run wrote something else, then someone in Duo', 'disabled', { journal: c, value: 'bypass' }, { by: SOMEONE_IN_DUO }],
  ] as const)('%s', (_name, current, laterWrite, verdict) => {
    expect(compareUndo({ before: 'active', after: 'disabled', current, later: laterWrite })).toEqual(verdict);
  });

  it('names compare as Duo compares them (trimmed, case-insensitive)', () => {
    const before = { username: 'a@x.com', aliases: {} };
    const after = { username: 'alice', aliases: { alias1: 'a@x.com' } };
    expect(compareUndo({ before, after, current: { username: 'ALICE', aliases: { alias1: 'A@x.com' } } })).toBe('write');
    expect(compareUndo({ before, after, current: { username: 'alice', aliases: {} } })).toEqual({ by: SOMEONE_IN_DUO });
  });
});

describe('the decisions of each undo', () => {
  it('fields: per field; a user in the Trash or gone has none to set back', () => {
    const fields = [
      { userId: 'DU1', before: { status: 'active', email: 'a@x' }, after: { status: 'disabled', email: 'b@x' } },
      { userId: 'DU2', before: { status: 'active' }, after: { status: 'disabled' } },
      { userId: 'DU3', before: { status: 'active' }, after: { status: 'disabled' } },
    ];
    const users = new Map([['DU1', user({ user_id: 'DU1', status: 'disabled', email: 'c@x' })], ['DU2', user({ user_id: 'DU2', status: 'pending deletion' })], ['DU3', null]]);
    const { steps, skipped } = decideFields(fields, users, new Map());
    expect(steps).toEqual([{ user_id: 'DU1', before: { status: 'disabled' }, after: { status: 'active' } }]);
    expect(skipped).toEqual([{ user_id: 'DU1', username: 'du1', what: 'email', wrote: 'b@x', current: 'c@x', by: SOMEONE_IN_DUO }]);
  });

  it('without Duo (a preview without credentials) only later runs\' journals tell what changed', () => {
    const fields = [{ userId: 'DU1', before: { status: 'active' }, after: { status: 'disabled' } }, { userId: 'DU2', before: { status: 'active' }, after: { status: 'disabled' } }];
    const { steps, skipped } = decideFields(fields, null, later([['DU2', 'status', 'disabled', 'c.jsonl']]));
    expect(steps.map((s) => s.user_id)).toEqual(['DU1']);
    expect(skipped).toEqual([{ user_id: 'DU2', username: null, what: 'status', wrote: 'disabled', current: 'disabled', by: 'c.jsonl' }]);
  });

  it('names: renamed back only while the user has the names the run gave it; one gone is missing', () => {
    const restore = [
      { userId: 'DU1', original: { username: 'a@x', aliases: {} }, last: { username: 'a', aliases: { alias1: 'a@x' } } },
      { userId: 'DU2', original: { username: 'b@x', aliases: {} }, last: { username: 'b', aliases: { alias1: 'b@x' } } },
      { userId: 'DU3', original: { username: 'c@x', aliases: {} }, last: { username: 'c', aliases: {} } },
      { userId: 'DU4', original: { username: 'd@x', aliases: {} }, last: { username: 'd', aliases: {} } },
    ];
    const users = new Map([
      ['DU1', user({ user_id: 'DU1', username: 'a', aliases: { alias1: 'a@x' } })],
      ['DU2', user({ user_id: 'DU2', username: 'bee', aliases: { alias1: 'b@x' } })],
      ['DU3', user({ user_id: 'DU3', username: 'c@x' })],
      ['DU4', null],
    ]);
    const decided = decideNames(restore, users, new Map());
    expect(decided.renames.map((r) => [r.userId, r.to.username])).toEqual([['DU1', 'a@x']]);
    expect(decided.skipped).toEqual([{ user_id: 'DU2', username: 'bee', what: 'names', wrote: 'b (aliases b@x)', current: 'bee (aliases b@x)', by: SOMEONE_IN_DUO }]);
    expect([decided.already, decided.missing]).toEqual([1, ['DU4']]);
  });

  it('the Trash: a user is taken out only while it is still there', () => {
    const users = new Map([['DU1', user({ user_id: 'DU1', status: 'pending deletion' })], ['DU2', user({ user_id: 'DU2', status: 'active' })], ['DU3', null]]);
    const { todo, skipped } = decideUntrash(['DU1', 'DU2', 'DU3'], users, later([['DU2', 'trash', NOT_IN_TRASH, 'b.jsonl']]));
    expect(todo).toEqual(['DU1']);
    // DU2 was taken out by a later run: already as before the run, nothing to do.
    expect(skipped.map((s) => [s.user_id, s.current])).toEqual([['DU3', 'deleted for good']]);
  });

  it('users the run took out of the Trash go back only while as it left them (churn seed 20261206: an admin disabled one since)', () => {
    const users = new Map([
      ['DU1', user({ user_id: 'DU1', status: 'active' })], ['DU2', user({ user_id: 'DU2', status: 'disabled' })],
      ['DU3', user({ user_id: 'DU3', status: 'pending deletion' })], ['DU4', null], ['DU5', user({ user_id: 'DU5', status: 'bypass' })],
    ]);
    const restored = ['DU1', 'DU2', 'DU3', 'DU4'].map((userId) => ({ userId, status: 'active' })).concat({ userId: 'DU5', status: 'bypass' });
    const { todo, skipped } = decideRetrash(restored, users, later([['DU5', 'status', 'bypass', 'c.jsonl']]));
    expect(todo).toEqual(['DU1']);
    // DU3 is back in the Trash already and DU4 is gone: nothing to do, nothing to say.
    expect(skipped.map((s) => [s.user_id, s.current, s.by])).toEqual([['DU2', 'disabled', SOMEONE_IN_DUO], ['DU5', 'bypass', 'c.jsonl']]);
  });

  it('memberships: removed only while present, added back only while absent; already as before is said, one a later run re-made stays', () => {
    const groups = (...ids: string[]) => ids.map((group_id) => ({ group_id }));
    const users = new Map([['DU1', user({ user_id: 'DU1', groups: groups('G1', 'G2') } as never)], ['DU2', user({ user_id: 'DU2', groups: groups() } as never)]]);
    const added = [{ user_id: 'DU1', group_id: 'G1' }, { user_id: 'DU1', group_id: 'G2' }, { user_id: 'DU2', group_id: 'G1' }];
    const removed = [{ user_id: 'DU2', group_id: 'G3' }];
    const decided = decideMemberships(added, removed, users, later([['DU1', 'group G2', MEMBER, 'c.jsonl']]));
    expect(decided.remove).toEqual([{ user_id: 'DU1', group_id: 'G1' }]);
    expect(decided.addBack).toEqual([{ user_id: 'DU2', group_id: 'G3' }]);
    expect(decided.skipped).toEqual([{ user_id: 'DU1', username: 'du1', what: 'group G2', wrote: MEMBER, current: MEMBER, by: 'c.jsonl' }]);
    expect(decided.already).toEqual([{ user_id: 'DU2', what: 'group G1', current: NOT_MEMBER }]);
  });

  it('users the run created go to the Trash all the same; what later runs changed on them is listed', () => {
    expect(changedSince(['DU1'], later([['DU1', 'email', 'x@y', 'b.jsonl'], ['DU2', 'email', 'x@y', 'b.jsonl']]))).toEqual([{ user_id: 'DU1', what: 'email', by: 'b.jsonl' }]);
  });
});

describe('what a run wrote, and what later runs wrote', () => {
  it('RunHistory keeps the last value a run wrote to each thing; a refused write wrote nothing', () => {
    const history = new RunHistory();
    const records: JournalRecord[] = [
      { t: 'intent', id: 1, op: 'update', user_id: 'DU1', before: { status: 'active' }, after: { status: 'disabled' } },
      { t: 'outcome', id: 1, status: 'ok' },
      { t: 'intent', id: 2, op: 'update', user_id: 'DU1', before: { status: 'disabled' }, after: { status: 'bypass' } },
      { t: 'outcome', id: 2, status: 'refused', error: 'no' },
      { t: 'intent', id: 3, op: 'rename', user_id: 'DU2', before: { username: 'b@x', aliases: {} }, after: { username: 'b', aliases: {} }, fields: { email: 'b@y' } },
      { t: 'outcome', id: 3, status: 'unknown' },
      { t: 'intent', id: 4, op: 'trash', user_ids: ['DU3'] },
      { t: 'intent', id: 5, op: 'membership_remove', user_id: 'DU1', group_id: 'G1' },
    ];
    records.forEach(history.replay);
    expect(history.lastWritten('DU1', 'status')).toBe('disabled');
    expect(history.lastWritten('DU2', 'names')).toEqual({ username: 'b', aliases: {} });
    // A rename's fields come without the values before: written, but nothing for a rollback to set back.
    expect(history.lastWritten('DU2', 'email')).toBe('b@y');
    expect(history.originalFields.has('DU2')).toBe(false);
    expect([history.lastWritten('DU3', 'trash'), history.lastWritten('DU1', 'group G1')]).toEqual([IN_TRASH, NOT_MEMBER]);
  });

  it('laterWrites reads the journals of the same folder and host that started later, the latest winning; its own rollback journal and other hosts are left out', async () => {
    const dir = tmpFiles({});
    const journal = (name: string, at: string, host: string, status: string): string => {
      const path = join(dir, name);
      writeFileSync(path, [
        { t: 'start', kind: 'sync', input: 'p', sha256: 'x', host, at },
        { t: 'intent', id: 1, op: 'update', user_id: 'DU1', before: { status: 'x' }, after: { status } },
        { t: 'outcome', id: 1, status: 'ok' },
      ].map((r) => JSON.stringify(r) + '\n').join(''));
      return path;
    };
    const a = journal('a.jsonl', '2026-12-01T00:00:00.000Z', 'h', 'disabled');
    journal('0-earlier.jsonl', '2026-11-30T00:00:00.000Z', 'h', 'earlier');
    journal('b.jsonl', '2026-12-02T00:00:00.000Z', 'h', 'active');
    const c = journal('c.jsonl', '2026-12-03T00:00:00.000Z', 'h', 'disabled');
    journal('other-host.jsonl', '2026-12-04T00:00:00.000Z', 'other', 'bypass');
    journal('a.rollback.jsonl', '2026-12-05T00:00:00.000Z', 'h', 'active');
    writeFileSync(join(dir, 'notes.jsonl'), 'not a journal\n');
    const writes = await laterWrites(a, { host: 'h', at: '2026-12-01T00:00:00.000Z' }, new Set(['DU1']), [join(dir, 'a.rollback.jsonl')]);
    expect([...writes]).toEqual([[writeKey('DU1', 'status'), { journal: c, value: 'disabled' }]]);
  });
});
