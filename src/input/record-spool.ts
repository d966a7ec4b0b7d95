import type { CsvReadEvent } from '../csv/read-records.js';
import { LineSpool } from '../line-spool.js';

/** What the spool keeps of a record: where it is in the file, and its cells as the reader gave them. */
export type KeptRecord = Pick<Extract<CsvReadEvent, { type: 'record' }>, 'type' | 'cells' | 'line' | 'row'>;

/**
 * The records of a file, kept on disk as they pass its one read, for everything that needs them
 * afterwards (a preview, the send, the rejected rows, validation's second look at a repeated name):
 * memory holds none of them, and the user's file is not read again, so what is sent is exactly
 * what was checked and hashed. One line per record: `line \t row \t JSON of the cells` (JSON text
 * never holds a raw newline).
 */
export class RecordSpool {
  private readonly lines = new LineSpool('duo-bridge-rows-');

  /** Returns a promise only when it writes to the disk: await it before adding more. */
  add(record: KeptRecord): Promise<void> | undefined {
    return this.lines.add(`${record.line}\t${record.row}\t${JSON.stringify(record.cells)}`);
  }

  /** Every record added, in order, a batch per chunk read. Call after the last add(); as often as needed. */
  batches(): AsyncGenerator<KeptRecord[]> {
    return this.lines.batches(parseRecord);
  }

  dispose(): Promise<void> {
    return this.lines.dispose();
  }
}

function parseRecord(text: string, start: number, end: number): KeptRecord {
  const t1 = text.indexOf('\t', start);
  const t2 = text.indexOf('\t', t1 + 1);
  return { type: 'record', line: Number(text.slice(start, t1)), row: Number(text.slice(t1 + 1, t2)), cells: JSON.parse(text.slice(t2 + 1, end)) as string[] };
}
