import { describe, expect, it } from '@jest/globals';
import { invisibleCharacter, lengthOver, lookalikeKey, MAX_NAME_LENGTH } from '../../../src/name-rules.js';
import { lookalikePairs } from '../../../src/validate/lookalike-names.js';
import { userValueErrors } from '../../../src/validate/row-rules.js';
import { brief, validateText } from '../../helpers/validate.js';

// Issue 32: invisible characters, names too long for Duo and our snapshots, names that look alike.

describe('invisibleCharacter: what no name may hold', () => {
  it.each([
    ['zero-width space', 'j\u200bsmith', 'U+200B', 2],
    ['right-to-left override', '\u202eevil', 'U+202E', 1],
    ['replacement character (a broken byte)', 'bad\ufffd', 'U+FFFD', 4],
    ['first strong isolate', 'a\u2068b', 'U+2068', 2],
    ['left-to-right isolate', '\u2066x', 'U+2066', 1],
    ['pop directional isolate', 'x\u2069', 'U+2069', 2],
    ['line separator', 'a\u2028b', 'U+2028', 2],
    ['paragraph separator', 'a\u2029b', 'U+2029', 2],
    ['soft hyphen', 'soft\u00adhy', 'U+00AD', 5],
    ['byte order mark inside', 'a\ufeffb', 'U+FEFF', 2],
    ['variation selector', 'a\ufe0fb', 'U+FE0F', 2],
    ['Hangul filler', 'a\u3164b', 'U+3164', 2],
    ['after an astral character (position in characters)', '😀\u200bx', 'U+200B', 2],
  ])('%s', (_name, value, codePoint, position) => {
    expect(invisibleCharacter(value)).toEqual({ codePoint, position });
  });

  it('passes plain and accented names, Cyrillic, CJK', () => {
    for (const value of ['jsmith', 'José.Núñez', 'сергей', '山田', 'o\'brien', 'a b']) expect(invisibleCharacter(value)).toBeNull();
  });
});

describe('lengthOver', () => {
  it('counts characters (code points), not UTF-16 units', () => {
    expect(lengthOver('a'.repeat(MAX_NAME_LENGTH), MAX_NAME_LENGTH)).toBeNull();
    expect(lengthOver('a'.repeat(MAX_NAME_LENGTH + 1), MAX_NAME_LENGTH)).toBe(MAX_NAME_LENGTH + 1);
    expect(lengthOver('😀'.repeat(MAX_NAME_LENGTH), MAX_NAME_LENGTH)).toBeNull();
  });
});

describe('lookalikeKey: UTS #39 skeletons of names as Duo shows them', () => {
  it.each([
    ['Cyrillic е', 'us\u0435r1', 'user1'],
    ['full-width', '\uff55\uff53\uff45\uff52\uff11', 'user1'],
    ['upper case', 'USER1', 'user1'],
    ['m and rn', 'smith', 'srnith'],
    ['Greek omicron', 'j\u03bfhn', 'john'],
  ])('%s', (_name, a, b) => {
    expect(lookalikeKey(a)).toBe(lookalikeKey(b));
  });

  it('keeps names that look different apart', () => {
    expect(lookalikeKey('john')).not.toBe(lookalikeKey('joan'));
    expect(lookalikeKey('j0hn')).not.toBe(lookalikeKey('john'));
  });

  it('is its own key for a plain lower-case name without confusable letters', () => {
    expect(lookalikeKey('jsmith'.replace('m', 'n'))).toBe('jsnith');
    // rn and O are written as m and 0 (neither is a prototype): an m or a 0 leaves a name its own key.
    expect(lookalikeKey('mary.moore@example.com')).toBe('mary.moore@example.com');
    expect(lookalikeKey('u000200')).toBe('u000200');
    expect(lookalikeKey('rnary')).toBe('mary');
    expect(lookalikeKey('j\u03bfhn')).toBe(lookalikeKey('john'));
    expect(lookalikeKey('JOHN')).toBe('john');
  });
});

describe('lookalikePairs', () => {
  it('stays linear when thousands of names share one skeleton', () => {
    const members = Array.from({ length: 20000 }, (_, i) => ({ row: i + 1, slot: 0, value: i === 19999 ? 'us\u0435r1' : 'user1' }));
    const pairs = lookalikePairs(members, 20);
    expect(pairs).toHaveLength(20000);
    expect(pairs[0]!.others.map((o) => o.row)).toEqual([20000]);
    expect(pairs[19999]!.others).toHaveLength(20);
  });
});

describe('validate: hostile names', () => {
  it.each([
    ['U+200B', 'j\u200bsmith'], ['U+202E', '\u202eevil'], ['U+FFFD', 'bad\ufffd'], ['U+2066', '\u2066x'], ['U+2069', 'x\u2069'],
    ['U+2028', 'a\u2028b'], ['U+00AD', 'soft\u00adhy'],
  ])('%s in a username or alias is INVISIBLE_CHARACTER', async (_name, value) => {
    const result = await validateText(`username,alias1,realname\n${value},ok,x\nplain,${value},x\n`);
    expect(brief(result).filter((f) => f.code === 'INVISIBLE_CHARACTER').map((f) => [f.line, f.column])).toEqual([[2, 'username'], [3, 'alias1']]);
    expect(result.errors).toBeGreaterThanOrEqual(2);
  });

  it('a soft hyphen in a display name is no error (only identifiers are held to it)', async () => {
    const result = await validateText('username,realname\njdoe,Jo\u00adhn\n');
    expect(result.errors).toBe(0);
  });

  it('a 5,000-character username and a 101-character alias are VALUE_TOO_LONG; 100 is fine', async () => {
    const result = await validateText(`username,alias1,notes\n${'a'.repeat(5000)},,\n${'b'.repeat(100)},${'c'.repeat(101)},\nok,,${'n'.repeat(4097)}\n`);
    expect(brief(result).map((f) => [f.code, f.line, f.column])).toEqual([['VALUE_TOO_LONG', 2, 'username'], ['VALUE_TOO_LONG', 3, 'alias1'], ['VALUE_TOO_LONG', 4, 'notes']]);
    expect(result.findings[0]!.value!.length).toBeLessThan(50);
  });

  it('Cyrillic usеr1 and full-width ｕｓｅｒ１ beside user1: CONFUSABLE_NAME on every row, each naming the others', async () => {
    const result = await validateText('username,alias1\nuser1,\nus\u0435r1,\n\uff55\uff53\uff45\uff52\uff11,\nother,\n');
    expect(brief(result).map((f) => [f.code, f.line, f.related_lines])).toEqual([
      ['CONFUSABLE_NAME', 2, [3, 4]], ['CONFUSABLE_NAME', 3, [2, 4]], ['CONFUSABLE_NAME', 4, [2, 3]],
    ]);
    expect(result.findings[1]!.message).toContain('"user1"');
    expect(result.findings[1]!.message).toContain('U+0435 at position 3');
  });

  it('finds a look-alike whichever comes first, across usernames and aliases', async () => {
    const result = await validateText('username,alias1\nx,us\u0435r1\nuser1,\n');
    expect(brief(result).map((f) => [f.code, f.line, f.column])).toEqual([['CONFUSABLE_NAME', 2, 'alias1'], ['CONFUSABLE_NAME', 3, 'username']]);
  });

  it('the same name twice is a duplicate, not a look-alike; a row\'s own names are never look-alikes of each other', async () => {
    const result = await validateText('username,alias1\nuser1,userl\nUSER1,\n');
    // userl (row 2's alias) does look like row 3's USER1: that pair is flagged; USER1 and user1 are only a duplicate.
    expect(brief(result).map((f) => [f.code, f.line, f.column, f.related_lines])).toEqual([
      ['DUPLICATE_USERNAME', 2, 'username', [3]], ['CONFUSABLE_NAME', 2, 'alias1', [3]], ['DUPLICATE_USERNAME', 3, 'username', [2]], ['CONFUSABLE_NAME', 3, 'username', [2]],
    ]);
    expect((await validateText('username,alias1\nuser1,userl\nother,\n')).findings).toEqual([]);
  });

  it('without a re-read, the first sighting is named by its line', async () => {
    const { Readable } = await import('node:stream');
    const { validateCsv } = await import('../../../src/validate/validate-csv.js');
    const result = await validateCsv(Readable.from([Buffer.from('username\nUser1\nus\u0435r1\n')]));
    const codes: string[] = [];
    for await (const f of result.findings()) codes.push(`${f.code}:${f.line}:${f.related_lines.join(',')}`);
    await result.dispose();
    expect(codes).toEqual(['CONFUSABLE_NAME:2:3', 'CONFUSABLE_NAME:3:2']);
  });
});

describe('sync and import refuse what validate refuses (userValueErrors, the one rule)', () => {
  const user = { username: 'jdoe', realname: 'J', firstname: '', lastname: '', email: '', aliases: [] as string[] };
  it.each([
    [{ username: 'j\u200bdoe' }, 'INVISIBLE_CHARACTER'],
    [{ aliases: ['\u202eeod'] }, 'INVISIBLE_CHARACTER'],
    [{ username: 'x'.repeat(300000) }, 'VALUE_TOO_LONG'],
    [{ status: 'userAccountControl=514x' }, 'INVALID_STATUS'],
  ])('%j → %s', (values, code) => {
    expect(userValueErrors({ ...user, ...values }).map((e) => e.code)).toContain(code);
  });
});
