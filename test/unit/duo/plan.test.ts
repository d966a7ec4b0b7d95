import { describe, expect, it } from '@jest/globals';
import type { DuoUserRow } from '../../../src/csv/duo-row.js';
import { planRows } from '../../../src/duo/plan/decide.js';
import { aliasChanges } from '../../../src/duo/workflows/renames.js';
import type { TenantUser } from '../../../src/duo/tenant/tenant.js';

let line = 1;
function row(username: string, email = '', aliases: string[] = [], extra: Partial<DuoUserRow> = {}): DuoUserRow {
  line++;
  return { line, row: line - 1, username, realname: '', firstname: '', lastname: '', email, status: '', notes: '', aliases: aliases.map((a, i) => [i + 1, a] as const), droppedAliases: [], groups: [], phones: [], adGuid: '', adDn: '', ...extra };
}
let id = 0;
function user(username: string, email: string | null = null, aliases: string[] = [], extra: Partial<TenantUser> = {}): TenantUser {
  return { user_id: `DU${++id}`, username, aliases: Object.fromEntries(aliases.map((a, i) => [`alias${i + 1}`, a])), email, realname: null, firstname: null, lastname: null,
    status: 'active', notes: null, last_directory_sync: null, external_id: null, is_enrolled: false, phones: [], groups: [], ...extra };
}
const actions = (rows: DuoUserRow[], tenant: TenantUser[]): string[] => planRows(rows, tenant).rows.map((p) => `${p.action}${p.user ? `:${p.user.username}` : ''}`);

describe('planRows', () => {
  it('create, unchanged, update, migrate', () => {
    const tenant = [user('bob', 'bob@x', ['bob@x']), user('carol', 'carol@x'), user('jfoo@x', 'jfoo@x')];
    expect(actions([row('new', 'new@x', ['new@x']), row('bob', 'bob@x', ['bob@x']), row('carol', 'carol@x', ['carol@x']), row('jfoo', 'jfoo@x', ['jfoo@x'])], tenant))
      .toEqual(['create', 'unchanged:bob', 'update:carol', 'migrate:jfoo@x']);
  });

  it('finds the person by email alone, case-insensitively', () => {
    expect(actions([row('jfoo', 'JFoo@X')], [user('jane.foo', 'jfoo@x')])).toEqual(['migrate:jane.foo']);
  });

  it('an empty cell never counts as a change', () => {
    expect(actions([row('bob')], [user('bob', 'bob@x', [], { realname: 'Bob' })])).toEqual(['unchanged:bob']);
  });

  it('a row pointing at two Duo users is a conflict', () => {
    const plan = planRows([row('jfoo', 'a@x', ['b@x'])], [user('a', 'a@x'), user('b@x')]);
    expect(plan.rows[0]).toMatchObject({ action: 'conflict', reason: expect.stringMatching(/matches several Duo users/) });
  });

  it('a username that is another person\'s alias is a conflict', () => {
    expect(actions([row('jfoo')], [user('jason', 'jason@x', ['jfoo'])])).toEqual(['conflict']);
  });

  it('a name another user keeps is a conflict; one it gives up is fine (chain)', () => {
    const holder = user('alice', 'other@x');
    expect(actions([row('alice', 'alice@x')], [user('alice@x', 'alice@x'), holder])).toEqual(['conflict:alice@x']);
    expect(actions([row('alice', 'alice@x'), row('alice2', 'other@x')], [user('alice@x', 'alice@x'), holder])).toEqual(['migrate:alice@x', 'migrate:alice']);
  });

  it('a swap is two migrates', () => {
    expect(actions([row('alice', 'a@x'), row('bob', 'b@x')], [user('bob', 'a@x'), user('alice', 'b@x')])).toEqual(['migrate:bob', 'migrate:alice']);
  });

  it('conflicts spread: a row waiting for a name of a conflicting row becomes a conflict too', () => {
    const tenant = [user('alice@x', 'alice@x'), user('alice', 'other@x', [], { last_directory_sync: 1 })];
    expect(actions([row('alice', 'alice@x'), row('alice2', 'other@x')], tenant)).toEqual(['conflict:alice@x', 'conflict:alice']);
  });

  it('uses the journal\'s hint for a user an interrupted migrate left on a temporary name', () => {
    const parked = user('duo-bridge-tmp-du9');
    const plan = planRows([row('bob')], [parked], { hints: new Map([['bob', parked.user_id]]) });
    expect(plan.rows[0]).toMatchObject({ action: 'migrate', user: parked });
  });

  it('a user this import created (ours) is its own create, half done, even when the sync date is set', () => {
    const mine = user('bob', null, [], { last_directory_sync: 5 });
    const plan = planRows([row('bob', 'bob@x', ['bob@x'])], [mine], { ours: (u) => u.user_id === mine.user_id });
    expect(plan.rows[0]).toMatchObject({ action: 'create', user: mine });
    expect(actions([row('bob', 'bob@x', ['bob@x'])], [mine])).toEqual(['conflict:bob']);
  });

  it('the directory-sync conflict names --assert-sync-deleted when it is the only obstacle, and the assertion lifts it', () => {
    const synced = user('jfoo@x', 'jfoo@x', [], { last_directory_sync: 1_700_000_000 });
    const only = planRows([row('jfoo', 'jfoo@x', ['jfoo@x'])], [synced]);
    expect(only.rows[0]).toMatchObject({ action: 'conflict', reason: expect.stringMatching(/managed by a directory sync.*re-run with --assert-sync-deleted/) });
    const asserted = planRows([row('jfoo', 'jfoo@x', ['jfoo@x'])], [synced], { syncDeleted: true });
    expect(asserted.rows[0]).toMatchObject({ action: 'migrate', reason: expect.stringMatching(/asserted deleted with --assert-sync-deleted/) });
    // A second obstacle (the new name belongs to someone else): the override would not help, so it is not offered.
    const blocked = planRows([row('jfoo', 'jfoo@x', ['jfoo@x'])], [synced, user('jfoo', 'jason@x')]);
    expect(blocked.rows[0]!.reason).toMatch(/managed by a directory sync/);
    expect(blocked.rows[0]!.reason).not.toMatch(/assert-sync-deleted/);
    expect(planRows([row('jfoo', 'jfoo@x', ['jfoo@x'])], [synced, user('jfoo', 'jason@x')], { syncDeleted: true }).rows[0]!.reason).toMatch(/"jfoo" belongs to Duo user "jfoo"/);
  });

  it('counts each class', () => {
    expect(planRows([row('a'), row('b')], []).summary).toEqual({ create: 2, unchanged: 0, update: 0, migrate: 0, conflict: 0 });
  });
});

describe('aliasChanges', () => {
  it('sets changed slots and clears removed ones, values percent-encoded', () => {
    expect(aliasChanges({ username: 'a', aliases: { alias1: 'x', alias2: 'y' } }, { username: 'b', aliases: { alias1: 'j+1@x.com' } })).toBe('alias1=j%2B1%40x.com&alias2=');
    expect(aliasChanges({ username: 'a', aliases: { alias1: 'x' } }, { username: 'b', aliases: { alias1: 'x' } })).toBe('');
  });
});
