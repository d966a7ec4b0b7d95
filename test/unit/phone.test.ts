import { describe, expect, it } from '@jest/globals';
import { parseCountry, parsePhone, phoneKind } from '../../src/phone.js';

describe('parsePhone', () => {
  it.each([
    ['+17345554322', undefined, '+17345554322', ''],
    ['(734) 555-3302 x3243', 'US', '+17345553302', '3243'],
    ['734-555-1234', 'US', '+17345551234', ''],
    ['+44 20 7946 0000 ext. 12', undefined, '+442079460000', '12'],
    ['030 1234567', 'DE', '+49301234567', ''],
    // An international number is read as written, whatever the default country.
    ['+4915123456789', 'US', '+4915123456789', ''],
  ] as const)('%s (%s) → %s x%s', (text, country, number, extension) => {
    expect(parsePhone(text, country)).toEqual({ ok: true, phone: { number, extension } });
  });

  it('a national number without a country is refused, never guessed', () => {
    expect(parsePhone('734-555-1234')).toMatchObject({ ok: false, reason: 'needs-country' });
  });

  it.each(['+1 555', 'ask reception', '+', '12'])('%s is not a phone number', (text) => {
    expect(parsePhone(text, 'US')).toMatchObject({ ok: false, reason: 'invalid' });
  });
});

describe('phoneKind', () => {
  it('maps Duo\'s CSV words to the phone object\'s type and platform', () => {
    expect(phoneKind('iPhone')).toEqual({ type: 'mobile', platform: 'apple ios' });
    expect(phoneKind('android')).toEqual({ type: 'mobile', platform: 'google android' });
    expect(phoneKind('landline')).toEqual({ type: 'landline', platform: 'unknown' });
    expect(phoneKind('')).toEqual({ type: 'mobile', platform: 'unknown' });
    expect(phoneKind('windows  phone 7')).toEqual({ type: 'mobile', platform: 'windows phone 7' });
    expect(phoneKind('pager')).toBeNull();
  });
});

describe('parseCountry', () => {
  it('takes a two-letter code in any case and refuses anything else', () => {
    expect(parseCountry('us')).toBe('US');
    expect(parseCountry(undefined)).toBeUndefined();
    expect(() => parseCountry('USA')).toThrow(/not a two-letter country code/);
  });
});
