import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import type { DirectoryOptions } from '../../../src/ad/export-options.js';
import { readAdUsers } from '../../../src/duo/sync/read-sides.js';
import { guidBytes } from '../../helpers/sync-ldif.js';
import { tmpFiles } from '../../helpers/tmp-files.js';

// Issue 32: what validate refuses in a CSV, sync refuses in AD (userValueErrors, the one rule).
const record = (id: number, lines: string[]) => [
  `dn: CN=User ${id},OU=People,DC=corp,DC=example`, 'objectClass: user', `objectGUID:: ${guidBytes(id).toString('base64')}`, ...lines,
].join('\n');
const b64 = (text: string) => `:: ${Buffer.from(text).toString('base64')}`;

async function read(ldif: string) {
  const file = join(tmpFiles({ 'ad.ldif': ldif }), 'ad.ldif');
  const options: DirectoryOptions = { source: { kind: 'ldif', file }, selection: { filter: undefined, groups: [], includeDisabled: true },
    mapping: { usernameAttribute: 'sAMAccountName', aliasAttributes: [], lowercase: false, phoneAttributes: [] }, duoGroups: [] };
  return readAdUsers(options);
}

describe('sync reads AD: hostile values', () => {
  it('an invisible character, a 300,000-character name and a userAccountControl that is no 32-bit integer: rejected, still present, never enabled', async () => {
    const ldif = [
      record(1, ['sAMAccountName: u1', 'userAccountControl: 512']),
      record(2, [`sAMAccountName${b64('j\u200bsmith')}`, 'userAccountControl: 512']),
      record(3, [`sAMAccountName: ${'x'.repeat(300000)}`, 'userAccountControl: 512']),
      record(4, ['sAMAccountName: u4', 'userAccountControl: 514x']),
      record(5, ['sAMAccountName: u5', 'userAccountControl: 99999999999999999999999']),
    ].join('\n\n') + '\n';
    const { users, read: adRead } = await read(ldif);
    expect([...users.values()].map((u) => u.username)).toEqual(['u1']);
    expect(adRead.rejected!.map((r) => r.reason.match(/\((\w+)\)$/)?.[1])).toEqual(['INVISIBLE_CHARACTER', 'VALUE_TOO_LONG', 'INVALID_STATUS', 'INVALID_STATUS']);
    expect(adRead.rejected![2]!.reason).toMatch(/^status \(userAccountControl\): status "userAccountControl=514x"/);
    expect(adRead.unnamed!.size).toBe(4);
  });
});
