import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import type { DirectoryOptions } from '../../../src/ad/export-options.js';
import { readAdUsers } from '../../../src/duo/sync/read-sides.js';
import { planSync, type SyncPolicy } from '../../../src/duo/sync/sync-plan.js';
import { emptyState, type ManagedUser } from '../../../src/duo/sync/sync-state.js';
import type { TenantUser } from '../../../src/duo/tenant/tenant.js';
import { formatObjectGuid } from '../../../src/ad/guid.js';
import { guidBytes } from '../../helpers/sync-ldif.js';
import { tmpFiles } from '../../helpers/tmp-files.js';

const POLICY: SyncPolicy = {
  trashAfterDays: 30,
  thresholds: { disable: { count: 10, percent: 5 }, trash: { count: 10, percent: 5 }, removal: { count: 10, percent: 5 }, rename: { count: 10, percent: 5 } },
  maxShrinkPercent: 20, protectUsers: new Set(), protectGroups: new Set(), drift: { status: 'report', fields: 'ad-wins', names: 'ad-wins', groups: 'ad-wins' },
  mappedGroups: [], adopt: false, syncDeleted: false,
};

/** One -LLL record; `sam` as raw LDIF text after "sAMAccountName" (": x" or ":: base64"). */
const record = (id: number, sam: string, mail = `u${id}@corp.example`) => [
  `dn: CN=User ${id},OU=People,DC=corp,DC=example`, 'objectClass: user', `objectGUID:: ${guidBytes(id).toString('base64')}`,
  `sAMAccountName${sam}`, `givenName: User`, `sn: ${id}`, `mail${mail.startsWith(':') ? mail : `: ${mail}`}`, 'userAccountControl: 512',
].join('\n');

async function read(ldif: string) {
  const file = join(tmpFiles({ 'ad.ldif': ldif }), 'ad.ldif');
  const options: DirectoryOptions = { source: { kind: 'ldif', file }, selection: { filter: undefined, groups: [], includeDisabled: true },
    mapping: { usernameAttribute: 'sAMAccountName', aliasAttributes: [], lowercase: false, phoneAttributes: [] }, duoGroups: [] };
  return readAdUsers(options);
}

const b64 = (text: string) => `:: ${Buffer.from(text).toString('base64')}`;

describe('sync reads AD: what validate refuses never reaches Duo', () => {
  it('a sAMAccountName with NUL, LF or TAB (plain or base64) and a mail with NUL: rejected with the rule\'s message, still present', async () => {
    const ldif = [record(1, ': u1'), record(2, b64('u\u00002')), record(3, b64('u\n3')), record(4, ': u\t4'), record(5, ': u5', b64('u5\u0000@corp.example'))].join('\n\n') + '\n';
    const { users, read: adRead } = await read(ldif);
    expect([...users.values()].map((u) => u.username)).toEqual(['u1']);
    expect(adRead.rejected!.map((r) => r.username)).toEqual(['u\\u00002', 'u\\u000a3', 'u\\u00094', 'u5']);
    expect(adRead.rejected![0]!.reason).toBe('username (sAMAccountName): the value holds a control character (U+0000, NUL) at position 2 (CONTROL_CHARACTER)');
    expect(adRead.rejected![3]!.reason).toMatch(/^email \(mail\): the value holds a control character \(U\+0000, NUL\)/);
    for (const id of [2, 3, 4, 5]) expect(adRead.unnamed!.has(formatObjectGuid(guidBytes(id)))).toBe(true);
  });

  it('the plan names each as a conflict; a new one is never created, a managed one never updated, renamed or disabled', async () => {
    const { users: ad, read: adRead } = await read([record(1, ': u1'), record(2, b64('u\u00002')), record(3, ': u3', b64('u3\u0000@corp.example'))].join('\n\n') + '\n');
    const g3 = formatObjectGuid(guidBytes(3));
    const duoUser: TenantUser = { user_id: 'DU3', username: 'u3', aliases: {}, email: 'u3@corp.example', realname: 'User 3', firstname: 'User', lastname: '3', status: 'active',
      notes: null, last_directory_sync: null, external_id: null, is_enrolled: false, phones: [], groups: [], tokens: [] };
    const managed: ManagedUser = { user_id: 'DU3', origin: 'created', applied: { username: 'u3', aliases: {}, realname: 'User 3', firstname: 'User', lastname: '3', email: 'u3@corp.example', status: 'active', groups: [] } };
    const state = { ...emptyState('api-test.duosecurity.com'), source: adRead.identity, users: { [g3]: managed }, ad_users: 3 };
    const plan = planSync({ ad, adRead, duo: { users: new Map([['DU3', duoUser]]), total: 1 }, state, firstRun: false, policy: POLICY, now: new Date('2026-12-02T12:00:00Z') });
    expect(plan.actions.map((a) => `${a.kind} ${a.username}`)).toEqual(['create u1']);
    expect(plan.held).toEqual([]);
    expect(plan.untouched).toEqual([]);
    expect(plan.conflicts.map((c) => `${c.username}: ${c.reason}`)).toEqual([
      'u\\u00002: AD holds a value Duo must not get: username (sAMAccountName): the value holds a control character (U+0000, NUL) at position 2 (CONTROL_CHARACTER)',
      'u3: AD holds a value Duo must not get: email (mail): the value holds a control character (U+0000, NUL) at position 3 (CONTROL_CHARACTER); email (mail): "u3\\u0000@corp.example" is not a valid email address (INVALID_EMAIL)',
    ]);
  });

  it('a -LLL dump with a "# refldap://" line to a child domain is an incomplete read, as an LDAP referral is', async () => {
    const { read: adRead } = await read(`${record(1, ': u1')}\n\n# refldap://emea.corp.example/DC=emea,DC=corp,DC=example\n\n# refldap://corp.example/CN=Configuration,DC=corp,DC=example\n`);
    expect(adRead.problems).toEqual(['1 referral to other directories was not followed']);
  });
});
