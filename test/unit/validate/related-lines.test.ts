import { describe, expect, it } from '@jest/globals';
import { lineList, relatedLines } from '../../../src/validate/name-registry.js';

describe('relatedLines', () => {
  it('reads only the members it shows: a set of 32,000 costs each finding ~21 steps, not the whole set (linear, not quadratic)', () => {
    const members = Array.from({ length: 32_000 }, (_, i) => i);
    let reads = 0;
    const counted = new Proxy(members, { get: (target, key, receiver) => (/^\d+$/.test(String(key)) && reads++, Reflect.get(target, key, receiver)) });
    const related = relatedLines(counted, 31_999, (i) => i + 2);
    expect(related).toEqual({ shown: Array.from({ length: 20 }, (_, i) => i + 2), total: 31_999 });
    expect(reads).toBeLessThanOrEqual(21);
    expect(lineList(related)).toBe('lines 2, 3, 4, 5, 6 and 31,994 more');
    expect(lineList(relatedLines([5, 9], 5, (i) => i))).toBe('line 9');
    // A username against the aliases that repeat it: it is not one of them.
    expect(lineList(relatedLines([4], 2, (i) => i, false))).toBe('line 4');
  });
});
