import { describe, expect, it } from '@jest/globals';
import type { DirectoryEntry } from '../../../src/ad/directory-entry.js';
import { formatObjectGuid } from '../../../src/ad/guid.js';
import { attributesToRead, mapUser, type UserMapping } from '../../../src/ad/map-user.js';

function entry(attributes: Record<string, (string | Buffer)[]>, dn = 'CN=x,DC=example,DC=test'): DirectoryEntry {
  return { dn, attributes: new Map(Object.entries(attributes).map(([k, v]) => [k.toLowerCase(), v])) };
}
const mapping = (overrides: Partial<UserMapping> = {}): UserMapping => ({ usernameAttribute: 'sAMAccountName', aliasAttributes: [], lowercase: false, phoneAttributes: [], ...overrides });

describe('mapUser: phones', () => {
  it('one cell per phone attribute, E.164 with the extension, a repeated number once, an impossible one as written and counted', () => {
    const user = mapUser(entry({ sAMAccountName: ['a'], mobile: ['(734) 555-0100'], telephoneNumber: ['+1 734 555 0100'], homePhone: ['+44 20 7946 0000 ext. 12'], pager: ['n/a'] }),
      mapping({ phoneAttributes: ['mobile', 'telephoneNumber', 'homePhone', 'pager', 'ipPhone'], defaultCountry: 'US' }));
    expect(user.phones).toEqual(['+17345550100', '', '+442079460000 x12', 'n/a', '']);
    expect(user.unnormalisedPhones).toBe(1);
    expect(attributesToRead(mapping({ phoneAttributes: ['mobile'] }))).toContain('mobile');
  });
});

describe('formatObjectGuid', () => {
  it('prints the mixed-endian layout AD tools use', () => {
    expect(formatObjectGuid(Buffer.from('y/fclPdTREGQ7454ejxbew==', 'base64'))).toBe('94dcf7cb-53f7-4144-90ef-8e787a3c5b7b');
  });
  it('refuses anything but 16 bytes', () => {
    expect(() => formatObjectGuid(Buffer.alloc(4))).toThrow(RangeError);
  });
});

describe('mapUser', () => {
  it('maps the contract columns', () => {
    const user = mapUser(entry({
      sAMAccountName: ['JFoo'], displayName: ['Jane Foo'], givenName: ['Jane'], sn: ['Foo'], mail: ['jfoo@example.com'],
      userAccountControl: ['512'], objectGUID: [Buffer.from('y/fclPdTREGQ7454ejxbew==', 'base64')],
    }), mapping({ aliasAttributes: ['mail'] }));
    expect(user).toEqual({
      username: 'JFoo', realname: 'Jane Foo', firstname: 'Jane', lastname: 'Foo', email: 'jfoo@example.com',
      aliases: ['jfoo@example.com'], status: '', statusKnown: true, adGuid: '94dcf7cb-53f7-4144-90ef-8e787a3c5b7b', adDn: 'CN=x,DC=example,DC=test', droppedAliases: 0,
      phones: [], unnormalisedPhones: 0,
    });
  });

  it('keeps a user without the username attribute, with an empty username', () => {
    expect(mapUser(entry({ sAMAccountName: ['kim'] }), mapping({ usernameAttribute: 'mail' })).username).toBe('');
  });

  it('realname falls back to "givenName sn"; disabled from userAccountControl bit 2', () => {
    const user = mapUser(entry({ givenName: ['Kim'], sn: ['Lee'], userAccountControl: ['514'] }), mapping());
    expect([user.realname, user.status]).toEqual(['Kim Lee', 'disabled']);
  });

  it('takes only SMTP proxyAddresses, primary first, without the prefix', () => {
    const user = mapUser(entry({
      sAMAccountName: ['jfoo'],
      proxyAddresses: ['smtp:old@example.com', 'X500:/o=Org/cn=jfoo', 'SIP:jfoo@example.com', 'SMTP:Jane.Foo@example.com', 'smtp:'],
    }), mapping({ aliasAttributes: ['proxyAddresses'] }));
    expect(user.aliases).toEqual(['Jane.Foo@example.com', 'old@example.com']);
  });

  it('drops aliases equal to the username or each other (case-insensitively), and --lowercase folds both', () => {
    const user = mapUser(entry({ sAMAccountName: ['JFoo'], userPrincipalName: ['JFOO'], mail: ['Jane@Example.com'], otherMailbox: ['jane@example.com'] }),
      mapping({ aliasAttributes: ['userPrincipalName', 'mail', 'otherMailbox'], lowercase: true }));
    expect([user.username, user.aliases]).toEqual(['jfoo', ['jane@example.com']]);
  });

  it('compares names as validate does: NFC, then lower case ("José" typed composed and decomposed is one name)', () => {
    const user = mapUser(entry({ sAMAccountName: ['jos\u00e9'], mail: ['JOSE\u0301'], otherMailbox: ['m\u00fcller@x', 'mu\u0308ller@x'] }),
      mapping({ aliasAttributes: ['mail', 'otherMailbox'] }));
    expect(user.aliases).toEqual(['m\u00fcller@x']);
  });

  it('keeps 8 aliases and counts the rest', () => {
    const many = Array.from({ length: 11 }, (_, i) => `smtp:a${i}@example.com`);
    const user = mapUser(entry({ sAMAccountName: ['a'], proxyAddresses: many }), mapping({ aliasAttributes: ['proxyAddresses'] }));
    expect([user.aliases.length, user.aliases[7], user.droppedAliases]).toEqual([8, 'a7@example.com', 3]);
  });

  it('reads each attribute once, objectGUID included', () => {
    expect(attributesToRead(mapping({ usernameAttribute: 'mail', aliasAttributes: ['Mail', 'proxyAddresses'] }))).toEqual(
      ['displayName', 'givenName', 'sn', 'mail', 'userAccountControl', 'objectGUID', 'proxyAddresses']);
  });
});
