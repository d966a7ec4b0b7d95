import { describe, expect, it } from '@jest/globals';
import { brief, codes, validateText } from '../../helpers/validate.js';

describe('group, phone and platform columns', () => {
  it('accepts Duo\'s groupN, phoneN and platformN names up to 100, in any case and order', async () => {
    const result = await validateText('Username,Platform1,PHONE1,group1,group100,phone100\na,iphone,+17345551234,Staff,VPN,+442079460000\n');
    expect(result.findings).toEqual([]);
  });

  it('group101 and phone101 are TOO_MANY_GROUPS and TOO_MANY_PHONES; a platform without its phone column is PLATFORM_WITHOUT_PHONE', async () => {
    const result = await validateText('username,group101,phone101,platform3\na,x,+17345551234,iphone\n');
    expect(brief(result)).toEqual([
      { code: 'TOO_MANY_GROUPS', line: 1, row: null, column: 'group101', related_lines: [] },
      { code: 'TOO_MANY_PHONES', line: 1, row: null, column: 'phone101', related_lines: [] },
      { code: 'PLATFORM_WITHOUT_PHONE', line: 1, row: null, column: 'platform3', related_lines: [] },
    ]);
  });

  it('DUPLICATE_GROUP on the later cell, case-insensitively (a warning)', async () => {
    const result = await validateText('username,group1,group2,group3\na,Staff,VPN,staff\n');
    expect(brief(result)).toEqual([{ code: 'DUPLICATE_GROUP', line: 2, row: 1, column: 'group3', related_lines: [] }]);
    expect(result.errors).toBe(0);
  });

  it('a national number needs --default-country (Duo would read it as a US number); with it, Duo\'s own CSV examples pass', async () => {
    const csv = 'username,phone1,phone2,phone3\na,734-555-1234,(734) 555-3302 x3243,+17345554322\n';
    const without = await validateText(csv);
    expect(brief(without)).toEqual([
      { code: 'PHONE_NEEDS_COUNTRY', line: 2, row: 1, column: 'phone1', related_lines: [] },
      { code: 'PHONE_NEEDS_COUNTRY', line: 2, row: 1, column: 'phone2', related_lines: [] },
    ]);
    expect(without.errors).toBe(2);
    expect((await validateText(csv, { defaultCountry: 'US' })).findings).toEqual([]);
    // A German national number read as German, not as American.
    expect((await validateText('username,phone1\na,030 1234567\n', { defaultCountry: 'DE' })).findings).toEqual([]);
  });

  it('INVALID_PHONE for text and for numbers that cannot exist; the cell keeps its value in the finding', async () => {
    const result = await validateText('username,phone1,phone2,phone3\na,ask reception,+1 555,+4912\n');
    expect(codes(result)).toEqual(['INVALID_PHONE', 'INVALID_PHONE', 'INVALID_PHONE']);
    expect(result.findings.map((f) => f.value)).toEqual(['ask reception', '+1 555', '+4912']);
  });

  it('UNKNOWN_PLATFORM for a word Duo does not know; Duo\'s CSV words and API names pass, in any case', async () => {
    const ok = await validateText('username,phone1,platform1,phone2,platform2,phone3,platform3\na,+17345550001,iPhone,+17345550002,Google Android,+17345550003,LANDLINE\n');
    expect(ok.findings).toEqual([]);
    const bad = await validateText('username,phone1,platform1\na,+17345550001,pager\n');
    expect(brief(bad)).toEqual([{ code: 'UNKNOWN_PLATFORM', line: 2, row: 1, column: 'platform1', related_lines: [] }]);
  });

  it('PLATFORM_WITHOUT_PHONE when the platform cell is filled and its phone cell is empty', async () => {
    const result = await validateText('username,phone1,platform1\na,,android\n');
    expect(brief(result)).toEqual([{ code: 'PLATFORM_WITHOUT_PHONE', line: 2, row: 1, column: 'platform1', related_lines: [] }]);
  });

  it('the same number twice on a row is DUPLICATE_PHONE; on several rows, SHARED_PHONE on each, written any way', async () => {
    const result = await validateText('username,phone1,phone2\na,+1 734 555 0001,+17345550001\nb,(734) 555-0001,\nc,+17345550002,\n', { defaultCountry: 'US' });
    expect(brief(result)).toEqual([
      { code: 'SHARED_PHONE', line: 2, row: 1, column: 'phone1', related_lines: [3] },
      { code: 'DUPLICATE_PHONE', line: 2, row: 1, column: 'phone2', related_lines: [] },
      { code: 'SHARED_PHONE', line: 3, row: 2, column: 'phone1', related_lines: [2] },
    ]);
    expect(result.errors).toBe(0);
    // An extension makes it another line of the same switchboard: not shared.
    const extensions = await validateText('username,phone1\na,+12125550000 x1\nb,+12125550000 x2\n');
    expect(extensions.findings).toEqual([]);
  });
});
