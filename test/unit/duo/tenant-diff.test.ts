import { describe, expect, it } from '@jest/globals';
import { diffTenants } from '../../../src/duo/tenant/tenant-diff.js';
import type { TenantSnapshot, TenantUser } from '../../../src/duo/tenant/tenant.js';

function user(id: string, username: string, extra: Partial<TenantUser> = {}): TenantUser {
  return { user_id: id, username, aliases: {}, email: null, realname: null, firstname: null, lastname: null, status: 'active', notes: null,
    last_directory_sync: null, external_id: null, is_enrolled: false, phones: [], groups: [], tokens: [], ...extra };
}
const snapshot = (users: TenantUser[], groups: string[] | null = [], at = '2026-11-01T00:00:00Z'): TenantSnapshot =>
  ({ host: 'h', exported_at: at, users, groups: groups?.map((name, i) => ({ group_id: `DG${i}`, name })) ?? null, settings: { pending_deletion_days: 30 } });

describe('diffTenants', () => {
  it('no differences when names differ only in case and emails only in case', () => {
    const before = snapshot([user('DU1', 'ann', { email: 'Ann@X.org', aliases: { alias1: 'A@x' } })]);
    const after = snapshot([user('DU1', 'ANN', { email: 'ann@x.org', aliases: { alias1: 'a@X' } })]);
    expect(diffTenants(before, after).changes).toEqual([]);
  });

  it('every kind of change, each field named with its values before and after', () => {
    const phone = { phone_id: 'DP1', number: '+15550000001', extension: '12' };
    const before = snapshot([
      user('DU1', 'jfoo@x', { email: 'jfoo@x', groups: [{ group_id: 'G1', name: 'Staff' }] }),
      user('DU2', 'gone'),
      user('DU3', 'trashed-before', { status: 'pending deletion' }),
      user('DU4', 'fields', { realname: 'Old', notes: 'n', last_directory_sync: 5 }),
    ], ['Staff', 'Old group']);
    const after = snapshot([
      user('DU1', 'jfoo', { email: 'jfoo@x', aliases: { alias2: 'b', alias1: 'jfoo@x' }, phones: [phone] }),
      user('DU3', 'trashed-before'),
      user('DU4', 'fields', { realname: 'New', notes: null, last_directory_sync: null, status: 'disabled' }),
      user('DU5', 'new'),
    ], ['Staff', 'New group']);
    const { changes, trash } = diffTenants(before, after);
    expect(trash).toEqual([]);
    expect(changes).toEqual([
      { kind: 'changed', user: after.users[0], changes: [
        { field: 'username', before: 'jfoo@x', after: 'jfoo' },
        { field: 'aliases', before: '', after: 'jfoo@x, b' },
        { field: 'group', before: 'Staff', after: '' },
        { field: 'phone', before: '', after: '+15550000001 x12' },
      ] },
      { kind: 'restored', user: after.users[1] },
      { kind: 'changed', user: after.users[2], changes: [
        { field: 'realname', before: 'Old', after: 'New' },
        { field: 'status', before: 'active', after: 'disabled' },
        { field: 'notes', before: 'n', after: '' },
        { field: 'last_directory_sync', before: '5', after: '' },
      ] },
      { kind: 'created', user: after.users[3] },
      { kind: 'deleted', user: before.users[1] },
      { kind: 'group created', group: 'New group' },
      { kind: 'group deleted', group: 'Old group' },
    ]);
  });

  it('a live user sent to the Trash is deleted; a user created and trashed since is listed apart with the date Duo purges it by; --include-trash compares it like any other', () => {
    const before = snapshot([user('DU1', 'kept')]);
    const after = snapshot([user('DU1', 'kept', { status: 'pending deletion' }), user('DU2', 'created then trashed', { status: 'pending deletion' })], [], '2026-11-30T12:00:00Z');
    const plain = diffTenants(before, after);
    expect(plain.changes).toEqual([{ kind: 'deleted', user: after.users[0] }]);
    expect(plain.trash.map((t) => [t.user.user_id, t.until])).toEqual([['DU2', '2026-12-30']]);
    const counted = diffTenants(before, after, { includeTrash: true });
    expect(counted.changes.map((c) => c.kind)).toEqual(['changed', 'created']);
    expect(counted.trash).toEqual([]);
  });

  it('tenant groups are compared only when both snapshots list them', () => {
    expect(diffTenants(snapshot([], null), snapshot([], ['Staff'])).changes).toEqual([]);
  });
});
