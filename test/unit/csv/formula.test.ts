import { describe, expect, it } from '@jest/globals';
import { escapeFormula, unescapeFormula, startsWithFormulaTrigger } from '../../../src/csv/formula.js';
import { cleanCell } from '../../../src/csv/duo-row.js';

describe('formula escaping', () => {
  it.each(['=1+1', '+1', '-5', '@SUM(A1)', '\tx', '\rx', '＝1', '＋1', '－1', '＠x'])('escapes and restores %j', (value) => {
    expect(escapeFormula(value)).toBe(`'${value}`);
    expect(unescapeFormula(escapeFormula(value))).toBe(value);
  });

  it.each(['jfoo', "O'Brien", "'quoted'", '', 'a=b'])('leaves %j alone', (value) => {
    expect(escapeFormula(value)).toBe(value);
    expect(unescapeFormula(value)).toBe(value);
  });

  it('strips exactly one quote', () => {
    expect(unescapeFormula("''=x")).toBe("''=x");
    expect(unescapeFormula("'=x")).toBe('=x');
  });

  it('flags names that start with a trigger', () => {
    expect(startsWithFormulaTrigger('=cmd')).toBe(true);
    expect(startsWithFormulaTrigger('-jdoe')).toBe(true);
    expect(startsWithFormulaTrigger('jdoe')).toBe(false);
  });
});

describe('cleanCell', () => {
  it.each([
    ['  jfoo ', 'jfoo', true],
    ['jfoo', 'jfoo', false],
    ["'=x", '=x', false],
    [" '-x ", '-x', true],
    ["'\tpadded", 'padded', true],
    ['', '', false],
  ])('%j → %j (trimmed %s)', (raw, value, trimmed) => {
    expect(cleanCell(raw)).toEqual({ value, trimmed });
  });
});
