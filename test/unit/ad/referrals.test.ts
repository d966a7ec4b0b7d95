import { describe, expect, it } from '@jest/globals';
import { mayReferToUsers } from '../../../src/ad/ldap-source.js';

describe('search references', () => {
  it('the DNS, configuration and schema partitions AD always refers a domain search to hold no users; any other may', () => {
    expect(mayReferToUsers('ldap://DomainDnsZones.corp.example/DC=DomainDnsZones,DC=corp,DC=example')).toBe(false);
    expect(mayReferToUsers('ldap://ForestDnsZones.corp.example/DC=ForestDnsZones,DC=corp,DC=example')).toBe(false);
    expect(mayReferToUsers('ldap://corp.example/CN=Configuration,DC=corp,DC=example')).toBe(false);
    expect(mayReferToUsers('ldap://corp.example/CN%3DConfiguration,DC=corp,DC=example')).toBe(false);
    expect(mayReferToUsers('ldap://emea.corp.example/DC=emea,DC=corp,DC=example')).toBe(true);
    expect(mayReferToUsers('ldap://other.example/OU=People,DC=other,DC=example')).toBe(true);
  });
});
