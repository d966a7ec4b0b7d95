import { describe, expect, it } from '@jest/globals';
import { buildUserFilter } from '../../../src/ad/user-filter.js';
import { UsageError } from '../../../src/errors.js';

const USERS = '(objectCategory=person)(objectClass=user)';
const ENABLED = '(!(userAccountControl:1.2.840.113556.1.4.803:=2))';

describe('buildUserFilter', () => {
  it('selects enabled user objects by default', () => {
    expect(buildUserFilter({ groups: [], includeDisabled: false })).toBe(`(&${USERS}${ENABLED})`);
    expect(buildUserFilter({ groups: [], includeDisabled: true })).toBe(`(&${USERS})`);
  });

  it('selects nested members of one or more groups, escaping the DNs', () => {
    expect(buildUserFilter({ groups: ['CN=Duo (EU)*,DC=x'], includeDisabled: true })).toBe(
      `(&${USERS}(memberOf:1.2.840.113556.1.4.1941:=CN=Duo \\28EU\\29\\2a,DC=x))`);
    expect(buildUserFilter({ groups: ['CN=A', 'CN=B'], includeDisabled: true })).toBe(
      `(&${USERS}(|(memberOf:1.2.840.113556.1.4.1941:=CN=A)(memberOf:1.2.840.113556.1.4.1941:=CN=B)))`);
  });

  it('ANDs the admin filter, adding parentheses when missing', () => {
    expect(buildUserFilter({ filter: 'department=Sales', groups: [], includeDisabled: true })).toBe(`(&${USERS}(department=Sales))`);
    expect(buildUserFilter({ filter: '(|(a=1)(b=2))', groups: [], includeDisabled: true })).toBe(`(&${USERS}(|(a=1)(b=2)))`);
  });

  it('refuses a filter with unbalanced parentheses', () => {
    expect(() => buildUserFilter({ filter: '(a=1))(|(b=*)', groups: [], includeDisabled: true })).toThrow(UsageError);
  });
});
