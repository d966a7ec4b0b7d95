import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { readDuoUserRows, type DuoUserRow } from '../../../src/csv/duo-row.js';

async function rows(text: string): Promise<DuoUserRow[]> {
  const out: DuoUserRow[] = [];
  for await (const row of readDuoUserRows(Readable.from([Buffer.from(text)]))) out.push(row);
  return out;
}

describe('DuoUserRow: what is sent to Duo', () => {
  it('values are NFC-normalised: a decomposed "é" becomes the composed one Duo compares', async () => {
    const [row] = await rows('username,realname,alias1\nJose\u0301,Mu\u0308ller,jose\u0301@x\n');
    expect([row!.username, row!.realname, row!.aliases]).toEqual(['Jos\u00e9', 'M\u00fcller', [[1, 'jos\u00e9@x']]]);
  });

  it('an alias equal to the row\'s own username is dropped and remembered; the other aliases keep their slots', async () => {
    const [row] = await rows('username,alias1,alias2,alias3\njdoe,JDOE,jdoe@x,Jdoe\u200b\n');
    expect(row!.aliases).toEqual([[2, 'jdoe@x'], [3, 'Jdoe\u200b']]);
    expect(row!.droppedAliases).toEqual([[1, 'JDOE']]);
  });
});
