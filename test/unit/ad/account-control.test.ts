import { describe, expect, it } from '@jest/globals';
import { readAccountControl } from '../../../src/ad/account-control.js';

describe('readAccountControl (issue 32: a damaged value is never "not disabled")', () => {
  it.each([
    ['512', { kind: 'read', disabled: false }],
    ['514', { kind: 'read', disabled: true }],
    [' 66050 ', { kind: 'read', disabled: true }],
    ['4294967295', { kind: 'read', disabled: true }],
    ['-2147483646', { kind: 'read', disabled: true }],
    [undefined, { kind: 'missing' }],
    ['', { kind: 'missing' }],
  ])('%j', (text, read) => {
    expect(readAccountControl(text)).toEqual(read);
  });

  it.each(['514x', '99999999999999999999999', '4294967296', '0x202', '5.14e2', 'abc', '-', '1e3', '-2147483649'])('%j is unreadable', (text) => {
    expect(readAccountControl(text)).toEqual({ kind: 'unreadable', text });
  });
});
