import { describe, expect, it } from '@jest/globals';
import type { DuoUserRow } from '../../../src/csv/duo-row.js';
import { planRows } from '../../../src/duo/plan/decide.js';
import { aliasChanges } from '../../../src/duo/writes/renames.js';
import type { TenantUser } from '../../../src/duo/tenant/tenant.js';

let line = 1;
function row(username: string, email = '', aliases: string[] = [], extra: Partial<DuoUserRow> = {}): DuoUserRow {
  line++;
  return { line, row: line - 1, username, realname: '', firstname: '', lastname: '', email, status: '', notes: '', aliases: aliases.map((a, i) => [i + 1, a] as const), droppedAliases: [], groups: [], phones: [], tokens: [], adGuid: '', adDn: '', cells: [], ...extra };
}
let id = 0;
function user(username: string, email: string | null = null, aliases: string[] = [], extra: Partial<TenantUser> = {}): TenantUser {
  return { user_id: `DU${++id}`, username, aliases: Object.fromEntries(aliases.map((a, i) => [`alias${i + 1}`, a])), email, realname: null, firstname: null, lastname: null,
    status: 'active', notes: null, last_directory_sync: null, external_id: null, is_enrolled: false, phones: [], groups: [], tokens: [], ...extra };
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

  it('finds the person by the objectGUID a directory sync kept as external_id ({braces} and case aside)', () => {
    const guid = '4244eb6f-b170-e285-f7d4-d83ee129ff41';
    const plan = planRows([row('adavis', 'alice@new.example', [], { adGuid: guid })], [user('alice.davis@corp.example', 'alice.davis@corp.example', [], { external_id: `{${guid.toUpperCase()}}` })]);
    expect(plan.rows[0]).toMatchObject({ action: 'migrate', reason: expect.stringMatching(/matched by objectGUID 4244eb6f-.* \(its external_id\)/) });
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
    expect(planRows([row('a'), row('b')], []).summary).toEqual({ create: 2, unchanged: 0, update: 0, migrate: 0, restore: 0, conflict: 0 });
  });
});

describe('aliasChanges', () => {
  it('sets changed slots and clears removed ones, values percent-encoded', () => {
    expect(aliasChanges({ username: 'a', aliases: { alias1: 'x', alias2: 'y' } }, { username: 'b', aliases: { alias1: 'j+1@x.com' } })).toBe('alias1=j%2B1%40x.com&alias2=');
    expect(aliasChanges({ username: 'a', aliases: { alias1: 'x' } }, { username: 'b', aliases: { alias1: 'x' } })).toBe('');
  });
});

describe('planRows: groups and phones', () => {
  const phone = (number: string, n = 1) => ({ n, text: number, phone: { number, extension: '' }, kind: { type: 'mobile' as const, platform: 'unknown' }, platformText: '' });
  const groups = new Map([
    ['staff', { group_id: 'DG1', name: 'Staff', synced: false }],
    ['vpn (from ad sync "corp")', { group_id: 'DG2', name: 'VPN (from AD sync "Corp")', synced: true }],
  ]);

  it('adds only what the Duo user lacks; a user lacking nothing else is unchanged, one lacking a membership or phone is an update', () => {
    const held = user('held', null, [], { groups: [{ group_id: 'DG1', name: 'Staff' }], phones: [{ phone_id: 'DP1', number: '+15550000001', extension: '' }] });
    const lacking = user('lacking');
    const plan = planRows([row('held', '', [], { groups: ['staff'], phones: [phone('+15550000001')] }), row('lacking', '', [], { groups: ['Staff'], phones: [phone('+15550000002')] })],
      [held, lacking], { groups });
    expect(plan.rows.map((p) => [p.action, p.adds.groups, p.adds.phones.map((x) => x.phone!.number)])).toEqual([
      ['unchanged', [], []],
      ['update', ['Staff'], ['+15550000002']],
    ]);
    expect(plan.rows[1]!.reason).toMatch(/adds group Staff; adds phone \+15550000002/);
  });

  it('a missing group is a conflict unless groups will be created; a synced group always is; groups are not checked without a list', () => {
    const rows = [row('a', '', [], { groups: ['Sales'] }), row('b', '', [], { groups: ['VPN (from AD sync "Corp")'] })];
    expect(planRows(rows, [], { groups }).rows.map((p) => [p.action, p.reason])).toEqual([
      ['conflict', 'Duo has no group "Sales"; fix: create it in Duo, or import with --create-groups'],
      ['conflict', expect.stringMatching(/managed by a directory sync/)],
    ]);
    expect(planRows(rows, [], { groups, createGroups: true }).rows.map((p) => p.action)).toEqual(['create', 'conflict']);
    expect(planRows(rows, []).rows.map((p) => p.action)).toEqual(['create', 'create']);
  });

  it('a phone held by another Duo user is a conflict, found in the tenant or the phone book; --share-phones allows it', () => {
    const owner = user('owner', null, [], { phones: [{ phone_id: 'DP1', number: '+15550000001', extension: '' }] });
    const rows = [row('a', '', [], { phones: [phone('+15550000001')] }), row('b', '', [], { phones: [phone('+15550000009')] })];
    const book = (key: string): string[] => (key === '+15550000009' ? ['DU-elsewhere'] : []);
    expect(planRows(rows, [owner], { phoneOwners: book }).rows.map((p) => [p.action, p.reason])).toEqual([
      ['conflict', expect.stringMatching(/^phone \+15550000001 belongs to Duo user "owner" \(DU\d+\)/)],
      ['conflict', expect.stringMatching(/^phone \+15550000009 belongs to Duo user DU-elsewhere/)],
    ]);
    expect(planRows(rows, [owner], { phoneOwners: book, sharePhones: true }).rows.map((p) => p.action)).toEqual(['create', 'create']);
  });

  it('Duo\'s limits: more than 100 groups or phones on one user is a conflict', () => {
    const full = user('full', null, [], { groups: Array.from({ length: 100 }, (_, i) => ({ group_id: `DG${i}`, name: `G${i}` })) });
    const plan = planRows([row('full', '', [], { groups: ['Staff'] })], [full], { groups });
    expect(plan.rows[0]).toMatchObject({ action: 'conflict', reason: "the user would be in more than Duo's 100 groups; fix: take groups off the row, or off the user in Duo" });
  });
});

describe('planRows: hardware tokens', () => {
  const token = (serial: string, type: 'h6' | 'yk' | null = 'h6', n = 1) => ({ n, serial, type, typeText: type ?? '' });
  const book = (entries: Record<string, { token_id: string; owners: string[] } | null>) => (key: string) => (key in entries ? entries[key] : undefined);

  it('adds a token Duo has and no one holds; one the user holds already is no change', () => {
    const held = user('held', null, [], { tokens: [{ token_id: 'DH2', type: 'yk', serial: '7' }] });
    const plan = planRows([row('new', '', [], { tokens: [token('101222')] }), row('held', '', [], { tokens: [token('7', 'yk')] })], [held],
      { tokens: book({ 'h6 101222': { token_id: 'DH1', owners: [] }, 'yk 7': { token_id: 'DH2', owners: [held.user_id] } }) });
    expect(plan.rows.map((p) => [p.action, p.adds.tokens.map((t) => t.serial)])).toEqual([['create', ['101222']], ['unchanged', []]]);
    expect(plan.rows[0]!.reason).toContain('adds hardware token 101222 (h6)');
  });

  it('a token Duo lacks, one another user holds, or past 100 a user: a conflict that says which', () => {
    const other = user('other');
    const tokens = book({ 'h6 1': null, 'h6 2': { token_id: 'DH2', owners: [other.user_id] } });
    const plan = planRows([row('a', '', [], { tokens: [token('1')] }), row('b', '', [], { tokens: [token('2')] })], [other], { tokens });
    expect(plan.rows.map((p) => p.action)).toEqual(['conflict', 'conflict']);
    expect(plan.rows[0]!.reason).toMatch(/^Duo has no HOTP-6 token with serial 1 \(type h6\)/);
    expect(plan.rows[1]!.reason).toBe(`h6 token 2 is attached to Duo user "other" (${other.user_id}): a hardware token is one person's; fix: detach it from that user in Duo first, or take it off the row`);
    const full = user('full', null, [], { tokens: Array.from({ length: 100 }, (_, i) => ({ token_id: `DT${i}`, type: 'h6', serial: `s${i}` })) });
    expect(planRows([row('full', '', [], { tokens: [token('x')] })], [full]).rows[0]!.reason).toBe('the user would have more than Duo\'s 100 hardware tokens; fix: take tokens off the row, or detach unused ones in Duo');
  });

  it('without a token book (a snapshot older than tokens) the token is planned, not checked; a token without a type is never sent', () => {
    const plan = planRows([row('a', '', [], { tokens: [token('1'), token('2', null, 2)] })], []);
    expect(plan.rows[0]!.action).toBe('create');
    expect(plan.rows[0]!.adds.tokens.map((t) => t.serial)).toEqual(['1']);
  });
});

