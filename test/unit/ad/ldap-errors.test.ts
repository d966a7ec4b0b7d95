import { describe, expect, it } from '@jest/globals';
import { InvalidCredentialsError, NoSuchObjectError, StrongAuthRequiredError } from 'ldapts';
import { translateLdapError } from '../../../src/ad/ldap-errors.js';
import { LdapError } from '../../../src/errors.js';

const ctx = { url: 'ldaps://dc1', stage: 'bind' as const, bindDn: 'svc@corp.example', base: 'DC=corp' };
const errno = (code: string, message = code): Error => Object.assign(new Error(message), { code });

describe('translateLdapError', () => {
  it.each([
    ['52e', 'wrong password'], ['775', 'account locked out'], ['532', 'password expired'], ['533', 'account disabled'],
  ])('explains AD bind data %s', (data, meaning) => {
    const error = new InvalidCredentialsError(`80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data ${data}, v1db1`);
    const translated = translateLdapError(error, ctx);
    expect(translated).toBeInstanceOf(LdapError);
    expect(translated.exitCode).toBe(3);
    expect(translated.message).toBe(`ldaps://dc1: bind as svc@corp.example refused: ${meaning} (AD data ${data})`);
  });

  it.each<[string, Error, RegExp]>([
    ['strong auth', new StrongAuthRequiredError('x'), /use ldaps:\/\/ or --starttls/],
    ['no such base', new NoSuchObjectError('x'), /base DN "DC=corp" does not exist/],
    ['untrusted certificate', errno('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), /--ca FILE/],
    ['host name mismatch', errno('ERR_TLS_CERT_ALTNAME_INVALID'), /host name that the certificate names/],
    ['refused', errno('ECONNREFUSED'), /cannot connect \(ECONNREFUSED\)/],
    ['connect timeout', new Error('Connection timeout'), /cannot connect/],
  ])('%s', (_name, error, message) => {
    expect(translateLdapError(error, ctx).message).toMatch(message);
  });

  it('says how far a search got before the connection died, on one line', () => {
    const error = errno('ECONNRESET', 'Socket error.\nread ECONNRESET');
    expect(translateLdapError(error, { ...ctx, stage: 'search', entries: 1500 }).message).toBe(
      'ldaps://dc1: the connection to the DC was lost during the search after 1500 entries (Socket error. read ECONNRESET); nothing was written');
  });
});
