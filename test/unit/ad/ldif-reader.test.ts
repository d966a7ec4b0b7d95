import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { readLdifEntries, type LdifStats } from '../../../src/ad/ldif-reader.js';
import { DataError } from '../../../src/errors.js';

async function entries(text: string | Buffer, chunk = 0, stats?: LdifStats) {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const chunks = chunk === 0 ? [bytes] : Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk));
  const out = [];
  for await (const entry of readLdifEntries(Readable.from(chunks), 'dump.ldif', stats)) out.push(entry);
  return out;
}

const SAMPLE = [
  'version: 1',
  '# refldap://example.test/CN=Configuration,DC=example,DC=test',
  '',
  'dn: CN=u1,OU=People,DC=example,DC=test',
  'objectClass: top',
  'objectClass: user',
  'sAMAccountName: u1',
  'displayName:: QmrDtnJuIE3DvGxsZXI=',
  'description: a long value that ldapsearch folded at seventy-eight columns so it',
  '  continues here',
  'objectGUID:: y/fclPdTREGQ',
  ' 7454ejxbew==',
  '# a comment inside a record',
  '',
  '',
  'dn:: Q049QmrDtnJuLE9VPVBlb3BsZSxEQz1leGFtcGxlLERDPXRlc3Q=',
  'sAMAccountName: bjorn',
  '',
].join('\n');

describe('readLdifEntries', () => {
  it('reads records, base64 values, folded lines and comments', async () => {
    const [first, second, ...rest] = await entries(SAMPLE);
    expect(rest).toEqual([]);
    expect(first!.dn).toBe('CN=u1,OU=People,DC=example,DC=test');
    expect(first!.attributes.get('objectclass')).toEqual(['top', 'user']);
    expect(first!.attributes.get('displayname')).toEqual(['Björn Müller']);
    expect(first!.attributes.get('description')).toEqual(['a long value that ldapsearch folded at seventy-eight columns so it continues here']);
    expect((first!.attributes.get('objectguid')![0] as Buffer).toString('hex')).toBe('cbf7dc94f753444190ef8e787a3c5b7b');
    expect(second!.dn).toBe('CN=Björn,OU=People,DC=example,DC=test');
  });

  it.each([1, 3, 7])('is independent of chunk boundaries (%i-byte chunks), with CRLF and a BOM', async (size) => {
    const crlf = Buffer.from('\ufeff' + SAMPLE.replace(/\n/g, '\r\n'));
    expect(await entries(crlf, size)).toEqual(await entries(SAMPLE));
  });

  it('unfolds a line split inside a UTF-8 character', async () => {
    const bytes = Buffer.from('dn: CN=x\ndescription: Gül', 'utf8');
    const split = Buffer.concat([bytes, Buffer.from([0xc5]), Buffer.from('\n '), Buffer.from([0x9f]), Buffer.from('en\n')]);
    const [entry] = await entries(split);
    expect(entry!.attributes.get('description')).toEqual(['Gülşen']);
  });

  it('reads UTF-16LE (ldifde -u)', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('dn: CN=a\r\nsn: Weiß\r\n', 'utf16le')]);
    const [entry] = await entries(utf16, 5);
    expect(entry!.attributes.get('sn')).toEqual(['Weiß']);
  });

  it('skips change records and counts them; changetype add is an entry', async () => {
    const stats: LdifStats = { changeRecords: 0, searchResult: null };
    const result = await entries('dn: CN=a\nchangetype: add\nsn: A\n\ndn: CN=b\nchangetype: modify\nreplace: sn\nsn: B\n-\n', 0, stats);
    expect(result.map((e) => e.dn)).toEqual(['CN=a']);
    expect(stats.changeRecords).toBe(1);
  });

  it('groups attribute options under the base name (member;range=0-1499)', async () => {
    const [entry] = await entries('dn: CN=g\nmember;range=0-1: CN=a\nmember;range=0-1: CN=b\n');
    expect(entry!.attributes.get('member')).toEqual(['CN=a', 'CN=b']);
  });

  it.each([
    ['a record that does not start with dn:', 'sn: x\n', /dump\.ldif:1: a record must start with "dn:"/],
    ['a line without a colon', 'dn: CN=a\nnonsense\n', /dump\.ldif:2: expected "attribute: value"/],
    ['a URL value', 'dn: CN=a\njpegPhoto:< file:///etc/passwd\n', /dump\.ldif:2: values read from a URL/],
  ])('rejects %s with file:line', async (_name, text, message) => {
    const failure = entries(text);
    await expect(failure).rejects.toBeInstanceOf(DataError);
    await expect(entries(text)).rejects.toThrow(message);
  });
});

describe('readLdifEntries: a dump that says it is incomplete', () => {
  const user = 'dn: CN=u1,OU=People,DC=corp,DC=example\nsAMAccountName: u1\n';
  const read = async (text: string): Promise<LdifStats> => {
    const stats: LdifStats = { changeRecords: 0, searchResult: null };
    await entries(text, 0, stats);
    return stats;
  };

  it('counts a search reference as ldapsearch -LLL writes it (# refldap://…), and whether it may lead to users', async () => {
    const stats = await read(`${user}\n# refldap://emea.corp.example/DC=emea,DC=corp,DC=example\n\n# refldap://corp.example/CN=Configuration,DC=corp,DC=example\n`);
    expect([stats.referrals, stats.userReferrals]).toEqual([2, 1]);
  });

  it('counts one as -L and -LL write it ("# search reference", then "# refldap://…"), folded or not', async () => {
    const folded = '# refldap://emea.corp.example/OU=People,DC=emea,DC=corp,DC=example?base?one-level\n ?long\n';
    const stats = await read(`version: 1\n\n# search reference\n${folded}\n${user}`);
    expect([stats.referrals, stats.userReferrals]).toEqual([1, 1]);
  });

  it('counts the "ref:" record of plain ldapsearch output (no -L) instead of refusing it', async () => {
    const stats = await read(`${user}\n# search reference\nref: ldap://emea.corp.example/DC=emea,DC=corp,DC=example\n\n# search result\nsearch: 2\nresult: 0 Success\n`);
    expect([stats.referrals, stats.userReferrals]).toEqual([1, 1]);
  });

  it('ordinary comments stay comments: one that mentions a referral is none', async () => {
    const stats = await read(`# extended LDIF\n# requesting: ALL\n# search reference follows? no\n# refs are listed below\n# ref http://example.test\n${user}\nsearch: 2\nresult: 0 Success\n`);
    expect(stats.referrals ?? 0).toBe(0);
  });

  it('plain ldapsearch output ("# extended LDIF") cut short before its result trailer is incomplete', async () => {
    await expect(entries(`# extended LDIF\n#\n# LDAPv3\n${user}`)).rejects.toThrow(/^dump\.ldif:1: the dump is incomplete: it is plain ldapsearch output \("# extended LDIF"\) without its "result:" trailer/);
    // -LLL output has neither header nor trailer: complete as it is.
    await expect(entries(user)).resolves.toHaveLength(1);
  });

  it.each([['result: banana'], ['result:'], ['result: 0x0 Success'], ['result: Success 0']])('a trailer "%s" is no success: the dump is incomplete, naming file and line', async (trailer) => {
    const text = `${user}\n# search result\nsearch: 2\n${trailer}\n`;
    await expect(entries(text)).rejects.toBeInstanceOf(DataError);
    await expect(entries(text)).rejects.toThrow(/^dump\.ldif:6: the dump is incomplete: its trailer says "result:.*", not "result: 0 Success"/);
  });

  it('"result: 0 Success" and "result: 0" are complete; a failure before a later success still counts', async () => {
    await expect(read(`${user}\nsearch: 2\nresult: 0 Success\n`)).resolves.toMatchObject({ searchResult: { code: 0 } });
    await expect(read(`${user}\nsearch: 2\nresult: 0\n`)).resolves.toMatchObject({ searchResult: { code: 0 } });
    await expect(entries(`${user}\nsearch: 2\nresult: 4 Size limit exceeded\n\nsearch: 3\nresult: 0 Success\n`)).rejects.toThrow(/dump\.ldif:5: the dump is incomplete: ldapsearch ended with "result: 4 Size limit exceeded"/);
  });
});
