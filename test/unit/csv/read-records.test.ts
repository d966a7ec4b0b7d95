import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { readCsvRecords, type CsvReadEvent } from '../../../src/csv/read-records.js';

async function read(content: string | Buffer, chunkSize = 0, delimiter?: string): Promise<CsvReadEvent[]> {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const chunks: Buffer[] = [];
  if (chunkSize <= 0) chunks.push(bytes);
  else for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  const events: CsvReadEvent[] = [];
  for await (const event of readCsvRecords(Readable.from(chunks), { delimiter })) events.push(event);
  return events;
}

function lines(events: CsvReadEvent[]): Array<[string, number]> {
  return events.map((e) => (e.type === 'problem' ? [e.problem.code, e.problem.line] : [e.cells.join('|'), e.line]));
}

describe('readCsvRecords line numbers', () => {
  const multiLine = 'username,notes\na,"one\ntwo"\n\nb,x\n"c","3\n4\n5"\nd,y\n';
  const expected: Array<[string, number]> = [
    ['username|notes', 1],
    ['a|one\ntwo', 2],
    ['b|x', 5],
    ['c|3\n4\n5', 6],
    ['d|y', 9],
  ];

  it('gives the line where each record starts, with LF', async () => {
    expect(lines(await read(multiLine))).toEqual(expected);
  });

  it('counts a CRLF inside quotes as one line', async () => {
    expect(lines(await read(multiLine.replace(/\n/g, '\r\n')))).toEqual(expected);
  });

  it('counts a lone CR as one line end', async () => {
    expect(lines(await read(multiLine.replace(/\n/g, '\r')))).toEqual(expected);
  });

  it('handles a CRLF file followed by LF lines (mixed line ends)', async () => {
    expect(lines(await read('username\r\na\r\nb\nc\r\n'))).toEqual([['username', 1], ['a', 2], ['b', 3], ['c', 4]]);
  });

  it.each([1, 2, 3, 7])('is independent of chunk boundaries (chunks of %i bytes)', async (size) => {
    expect(lines(await read(multiLine.replace(/\n/g, '\r\n'), size))).toEqual(expected);
  });

  it('skips rows of only empty cells without using a row number', async () => {
    const events = await read('username,email\n,\na,\n , \nb,\n');
    expect(events.filter((e) => e.type === 'record').map((e) => (e.type === 'record' ? [e.row, e.line] : []))).toEqual([
      [1, 3],
      [2, 5],
    ]);
  });
});

describe('readCsvRecords encodings and delimiters', () => {
  it('strips a UTF-8 BOM', async () => {
    const events = await read('\ufeffusername\nbjörn\n');
    expect(lines(events)).toEqual([['username', 1], ['björn', 2]]);
  });

  it('reads UTF-16LE with a BOM (Excel "Unicode Text")', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('username\temail\r\nweiß\tw@example.com\r\n', 'utf16le')]);
    expect(lines(await read(bytes, 5))).toEqual([['username|email', 1], ['weiß|w@example.com', 2]]);
  });

  it.each([
    [',', 'username,email,notes\na,b,"x;y;z"\n'],
    [';', 'username;email;notes\na;b;"x,y,z"\n'],
    ['\t', 'username\temail\tnotes\na\tb\t"x,y;z"\n'],
  ])('sniffs %j from the header line', async (delimiter, text) => {
    const [header, record] = await read(text);
    expect(header).toMatchObject({ type: 'header', delimiter, cells: ['username', 'email', 'notes'] });
    expect(record).toMatchObject({ type: 'record', cells: ['a', 'b', expect.stringMatching(/^x.y.z$/)] });
  });

  it('ignores delimiters inside quoted header names when sniffing', async () => {
    const [header] = await read('"user;name",email,notes\n');
    expect(header).toMatchObject({ delimiter: ',' });
  });

  it('lets an explicit delimiter win', async () => {
    const [header] = await read('username;email|notes\n', 0, '|');
    expect(header).toMatchObject({ cells: ['username;email', 'notes'] });
  });

  it('reports invalid UTF-8 with the first line and the number of lines', async () => {
    const bytes = Buffer.concat([Buffer.from('username\nok\nBj'), Buffer.from([0xf6]), Buffer.from('rn\nfine\nM'), Buffer.from([0xfc]), Buffer.from('ller\n')]);
    const events = await read(bytes, 4);
    const problems = events.filter((e) => e.type === 'problem');
    expect(problems).toEqual([{ type: 'problem', problem: expect.objectContaining({ code: 'INVALID_ENCODING', line: 3, fatal: false }) }]);
    expect(problems[0]!.type === 'problem' && problems[0]!.problem.message).toMatch(/line 3 and 1 more/);
    expect(events.filter((e) => e.type === 'record')).toHaveLength(4);
  });

  it('accepts multi-byte characters split across chunks', async () => {
    const events = await read('username\nGülşen Öztürk 日本\n', 1);
    expect(events.some((e) => e.type === 'problem')).toBe(false);
    expect(lines(events)[1]).toEqual(['Gülşen Öztürk 日本', 2]);
  });

  it('calls a file with NUL bytes binary and stops', async () => {
    const events = await read(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
    expect(lines(events)).toEqual([['INVALID_ENCODING', 3]]);
  });
});

describe('readCsvRecords structural damage', () => {
  it('keeps the good records before an unclosed quote and reports where the broken record starts', async () => {
    const events = await read('username,notes\na,x\n\nb,"never closed\nc,y\nd,z\n');
    expect(lines(events)).toEqual([['username|notes', 1], ['a|x', 2], ['MALFORMED_CSV', 4]]);
  });

  it('counts the blank lines before a broken record: a stray quote on physical line 5', async () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const events = await read(['username,notes', 'a,x', '', '', 'b,"x"y', 'c,z', ''].join(eol));
      expect(lines(events).at(-1)).toEqual(['MALFORMED_CSV', 5]);
    }
  });

  it('reports a stray quote inside a value', async () => {
    const events = await read('username,notes\na,x\nb,"x"y\n');
    expect(lines(events).at(-1)).toEqual(['MALFORMED_CSV', 3]);
  });

  it('stops on a huge record without line breaks', async () => {
    const events = await read('username,' + 'x'.repeat(2 * 1024 * 1024), 64 * 1024);
    expect(lines(events)).toEqual([['MALFORMED_CSV', 1]]);
  });

  it('gives nothing for an empty input', async () => {
    expect(await read('')).toEqual([]);
  });
});
