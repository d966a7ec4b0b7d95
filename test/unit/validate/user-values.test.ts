import { describe, expect, it } from '@jest/globals';
import { userValueErrors, type UserValues } from '../../../src/validate/row-rules.js';

const user = (extra: Partial<UserValues> = {}): UserValues => ({
  username: 'jdoe', realname: 'Jane Doe', firstname: 'Jane', lastname: 'Doe', email: 'jdoe@corp.example', aliases: ['jane.doe@corp.example'], ...extra,
});

describe('userValueErrors: validate\'s row rules on one user\'s values', () => {
  it('passes what validate passes (warnings are not errors)', () => {
    expect(userValueErrors(user())).toEqual([]);
    expect(userValueErrors(user({ username: '=jdoe', aliases: ['a&b'] }))).toEqual([]);
  });

  it.each([
    ['a NUL in the username', { username: 'jd\u0000oe' }, 'username', 'CONTROL_CHARACTER', /U\+0000, NUL\) at position 3/],
    ['a line feed in the username', { username: 'jd\noe' }, 'username', 'CONTROL_CHARACTER', /U\+000A\) at position 3/],
    ['a tab in the username', { username: 'jd\toe' }, 'username', 'CONTROL_CHARACTER', /U\+0009\) at position 3/],
    ['a NUL in the email', { email: 'jdoe\u0000@corp.example' }, 'email', 'CONTROL_CHARACTER', /U\+0000, NUL/],
    ['a NUL in an alias', { aliases: ['ok', 'ja\u0000ne'] }, 'alias2', 'CONTROL_CHARACTER', /U\+0000/],
    ['a NUL in the display name', { realname: 'Jane\u0000Doe' }, 'realname', 'CONTROL_CHARACTER', /U\+0000/],
    ['a malformed email', { email: 'jdoe at corp' }, 'email', 'INVALID_EMAIL', /not a valid email address/],
  ])('refuses %s, as validate would, with its code and message', (_name, values, column, code, message) => {
    const errors = userValueErrors(user(values));
    expect(errors.map((e) => [e.column, e.code])).toContainEqual([column, code]);
    expect(errors.find((e) => e.column === column)!.message).toMatch(message);
  });
});
