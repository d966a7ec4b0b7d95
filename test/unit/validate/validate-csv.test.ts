import { describe, expect, it } from '@jest/globals';
import { brief, codes, validateText } from '../../helpers/validate.js';

describe('header rules', () => {
  it('an empty file is MISSING_USERNAME_COLUMN on line 1', async () => {
    const result = await validateText('');
    expect(brief(result)).toEqual([{ code: 'MISSING_USERNAME_COLUMN', line: 1, row: null, column: null, related_lines: [] }]);
    expect(result.errors).toBe(1);
  });

  it('a header without username', async () => {
    const result = await validateText('email,realname\na@example.com,A\n');
    expect(codes(result)).toEqual(['MISSING_USERNAME_COLUMN']);
    expect(result.rows).toBe(1);
  });

  it('suggests --delimiter when the header is one cell holding another delimiter', async () => {
    const result = await validateText('username|email\na|b\n');
    expect(result.findings[0]).toMatchObject({ code: 'MISSING_USERNAME_COLUMN' });
    const semicolons = await validateText('"username;email"\n');
    expect(semicolons.findings[0]!.fix).toMatch(/--delimiter/);
  });

  it('matches header names case-insensitively, in any order, after a BOM', async () => {
    const result = await validateText('\ufeffEMAIL,UserName,Alias1\na@example.com,a,b\n');
    expect(result.findings).toEqual([]);
  });

  it('reports a duplicate column on the later occurrence, spelled as there', async () => {
    const result = await validateText('username,alias1,ALIAS1\na,b,c\n');
    expect(brief(result)).toEqual([{ code: 'DUPLICATE_COLUMN', line: 1, row: null, column: 'ALIAS1', related_lines: [] }]);
  });

  it('flags alias9+ columns as TOO_MANY_ALIASES and other names as UNKNOWN_COLUMN', async () => {
    const result = await validateText('username,alias9,department,,ad_guid,ad_dn\na,b,c,d,,\n');
    expect(brief(result)).toEqual([
      { code: 'TOO_MANY_ALIASES', line: 1, row: null, column: 'alias9', related_lines: [] },
      { code: 'UNKNOWN_COLUMN', line: 1, row: null, column: 'department', related_lines: [] },
      { code: 'UNKNOWN_COLUMN', line: 1, row: null, column: '', related_lines: [] },
    ]);
    expect(result.errors).toBe(1);
    expect(result.warnings).toBe(2);
  });
});

describe('row rules', () => {
  it('BLANK_USERNAME for an empty or white-space username', async () => {
    const result = await validateText('username,email\n,a@example.com\n   ,b@example.com\nc,\n');
    expect(brief(result).filter((f) => f.code === 'BLANK_USERNAME')).toEqual([
      { code: 'BLANK_USERNAME', line: 2, row: 1, column: 'username', related_lines: [] },
      { code: 'BLANK_USERNAME', line: 3, row: 2, column: 'username', related_lines: [] },
    ]);
  });

  it('a short record is fine; a long one is FIELD_COUNT with column null', async () => {
    const result = await validateText('username,email,realname\na\nb,b@example.com,B,extra\n');
    expect(brief(result)).toEqual([{ code: 'FIELD_COUNT', line: 3, row: 2, column: null, related_lines: [] }]);
  });

  it('INVALID_EMAIL and INVALID_STATUS; status is case-insensitive and empty means active', async () => {
    const result = await validateText('username,email,status\na,not-an-email,Active\nb,b@example.com,BYPASS\nc,,\nd,d@example.com,enabled\n');
    expect(brief(result)).toEqual([
      { code: 'INVALID_EMAIL', line: 2, row: 1, column: 'email', related_lines: [] },
      { code: 'INVALID_STATUS', line: 5, row: 4, column: 'status', related_lines: [] },
    ]);
  });

  it('WHITESPACE warns once per padded cell and the trimmed value is used', async () => {
    const result = await validateText('username,email\n jfoo ,jfoo@example.com\njfoo,\n');
    expect(codes(result).sort()).toEqual(['DUPLICATE_USERNAME', 'DUPLICATE_USERNAME', 'WHITESPACE']);
  });

  it('FORMULA_PREFIX on names that start with a formula character after unescaping', async () => {
    const result = await validateText("username,alias1,realname\n'=cmd,@alias,=not-a-name\n");
    expect(brief(result).map((f) => [f.code, f.column])).toEqual([
      ['FORMULA_PREFIX', 'username'],
      ['FORMULA_PREFIX', 'alias1'],
    ]);
    expect(result.findings[0]!.value).toBe('=cmd');
  });

  it('TOO_MANY_ALIASES beyond --max-aliases', async () => {
    const text = 'username,alias1,alias2,alias3,alias4,alias5\na,a1,a2,a3,a4,a5\nb,b1,,b3\n';
    expect(codes(await validateText(text))).toEqual([]);
    const result = await validateText(text, { maxAliases: 2 });
    expect(brief(result)).toEqual([
      { code: 'TOO_MANY_ALIASES', line: 2, row: 1, column: 'alias3', related_lines: [] },
    ]);
  });

  it('SCIENTIFIC_NOTATION warns on values Excel turned into 1.23E+15', async () => {
    const result = await validateText('username,notes\n1.23457E+15,x\nb,4.5e-3\nc,E+5\n');
    expect(brief(result).map((f) => [f.code, f.line])).toEqual([
      ['SCIENTIFIC_NOTATION', 2],
      ['SCIENTIFIC_NOTATION', 3],
    ]);
  });

  it('ALIAS_SPECIAL_CHARACTER warns on & = % in aliases', async () => {
    const result = await validateText('username,alias1\na,a&b\nb,b.c\n');
    expect(codes(result)).toEqual(['ALIAS_SPECIAL_CHARACTER']);
  });
});

describe('one namespace for usernames and aliases', () => {
  it('DUPLICATE_USERNAME flags every row of the set, case-insensitively and NFC-normalised', async () => {
    const result = await validateText('username\nJFoo\nbob\njfoo\n  JFOO\nbjo\u0308rn\nbj\u00f6rn\n');
    expect(brief(result).filter((f) => f.code === 'DUPLICATE_USERNAME')).toEqual([
      { code: 'DUPLICATE_USERNAME', line: 2, row: 1, column: 'username', related_lines: [4, 5] },
      { code: 'DUPLICATE_USERNAME', line: 4, row: 3, column: 'username', related_lines: [2, 5] },
      { code: 'DUPLICATE_USERNAME', line: 5, row: 4, column: 'username', related_lines: [2, 4] },
      { code: 'DUPLICATE_USERNAME', line: 6, row: 5, column: 'username', related_lines: [7] },
      { code: 'DUPLICATE_USERNAME', line: 7, row: 6, column: 'username', related_lines: [6] },
    ]);
    expect(result.findings[0]!.value).toBe('JFoo');
  });

  it('ALIAS_IS_USERNAME flags both the alias cell and the username cell (the email-username collision)', async () => {
    const result = await validateText('username,alias1\njfoo@example.com,\nbob,\njfoo,JFoo@Example.com\n');
    expect(brief(result)).toEqual([
      { code: 'ALIAS_IS_USERNAME', line: 2, row: 1, column: 'username', related_lines: [4] },
      { code: 'ALIAS_IS_USERNAME', line: 4, row: 3, column: 'alias1', related_lines: [2] },
    ]);
    expect(result.findings[1]!.fix).toMatch(/sAMAccountName/);
  });

  it('DUPLICATE_ALIAS across rows, in any alias columns', async () => {
    const result = await validateText('username,alias1,alias2\na,x@example.com,\nb,,X@EXAMPLE.COM\nc,y,\n');
    expect(brief(result)).toEqual([
      { code: 'DUPLICATE_ALIAS', line: 2, row: 1, column: 'alias1', related_lines: [3] },
      { code: 'DUPLICATE_ALIAS', line: 3, row: 2, column: 'alias2', related_lines: [2] },
    ]);
  });

  it('the same alias twice on one row is DUPLICATE_ALIAS on the later cell only', async () => {
    const result = await validateText('username,alias1,alias2,alias3\na,x,y,X\n');
    expect(brief(result)).toEqual([{ code: 'DUPLICATE_ALIAS', line: 2, row: 1, column: 'alias3', related_lines: [] }]);
  });

  it('an alias equal to its own username is only ALIAS_SAME_AS_USERNAME', async () => {
    const result = await validateText('username,alias1\njfoo,JFOO\n');
    expect(brief(result)).toEqual([{ code: 'ALIAS_SAME_AS_USERNAME', line: 2, row: 1, column: 'alias1', related_lines: [] }]);
    expect(result.errors).toBe(0);
  });

  it('uses the start line of multi-line records in related_lines', async () => {
    const result = await validateText('username,notes\r\na,"x\r\ny"\r\nb,\r\nA,\r\n');
    expect(brief(result).map((f) => [f.line, f.related_lines])).toEqual([
      [2, [5]],
      [5, [2]],
    ]);
  });

  it('caps related_lines for a 10,000-row duplicate set: the output stays linear in the rows', async () => {
    const text = 'username,email\n' + 'same,same@example.com\n'.repeat(10_000);
    const result = await validateText(text);
    // Measured in what is produced, not in seconds: every finding names at most 20 other lines.
    expect(result.findings.every((f) => f.related_lines.length <= 20 && f.message.length < 200)).toBe(true);
    expect(result.rows).toBe(10_000);
    expect(result.errors).toBe(10_000);
    expect(result.findings[0]).toMatchObject({ code: 'DUPLICATE_USERNAME', line: 2, related_lines: Array.from({ length: 20 }, (_, i) => i + 3) });
    expect(result.findings.at(-1)!.message).toMatch(/and 9,994 more/);
  });
});

describe('damaged files are findings, never exceptions', () => {
  it('MALFORMED_CSV stops the row checks but keeps the findings before it', async () => {
    const result = await validateText('username,email\n,a@example.com\nb,"oops\nb,\n');
    expect(brief(result).map((f) => [f.code, f.line])).toEqual([
      ['BLANK_USERNAME', 2],
      ['MALFORMED_CSV', 3],
    ]);
  });

  it('INVALID_ENCODING for a Windows-1252 file, and the rows are still checked', async () => {
    const bytes = Buffer.concat([Buffer.from('username,realname\nbjorn,Bj'), Buffer.from([0xf6]), Buffer.from('rn\nbjorn,x\n')]);
    const result = await validateText(bytes);
    expect(brief(result).map((f) => [f.code, f.line])).toEqual([
      ['INVALID_ENCODING', 2],
      ['DUPLICATE_USERNAME', 2],
      ['DUPLICATE_USERNAME', 3],
    ]);
  });

  it('a header only is valid with zero rows', async () => {
    const result = await validateText('username,email\r\n');
    expect(result).toMatchObject({ rows: 0, errors: 0, findings: [] });
  });

  it('an Excel ";" file with a BOM and CRLF validates like the comma version', async () => {
    const comma = 'username,email,alias1\njfoo,jfoo@example.com,\njfoo@example.com,,\n,x@example.com,\n';
    const excel = '\ufeff' + comma.replace(/,/g, ';').replace(/\n/g, '\r\n');
    expect(brief(await validateText(excel, {}, 3))).toEqual(brief(await validateText(comma)));
  });
});
