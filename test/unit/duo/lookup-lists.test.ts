import { describe, expect, it } from '@jest/globals';
import { LOOKUP_CHUNK, LOOKUP_URL_BYTES, lookupLists } from '../../../src/duo/api/users-api.js';
import { MAX_NAME_LENGTH } from '../../../src/name-rules.js';

describe('lookupLists: username_list look-ups a front end accepts (issue 32: HTTP 431)', () => {
  it('short names: 100 a look-up', () => {
    const names = Array.from({ length: 250 }, (_, i) => `u${i}`);
    expect(lookupLists(names).map((l) => JSON.parse(l).length)).toEqual([LOOKUP_CHUNK, LOOKUP_CHUNK, 50]);
  });

  it('names at the limit, non-ASCII: every look-up within the URL budget, every name once', () => {
    const names = Array.from({ length: 300 }, (_, i) => `${i}`.padEnd(MAX_NAME_LENGTH, 'é'));
    const lists = lookupLists(names);
    for (const list of lists) expect(encodeURIComponent(list).length).toBeLessThanOrEqual(LOOKUP_URL_BYTES);
    expect(lists.flatMap((l) => JSON.parse(l))).toEqual(names);
  });
});
