import { finding, type Finding } from './findings.js';
import { lineList, relatedLines, type RelatedLines } from './name-registry.js';
import { NameTable } from './name-table.js';

export interface DeviceOccurrence {
  readonly row: number;
  /** The column's number: phone3 → 3, token2 → 2. */
  readonly n: number;
  readonly text: string;
}

/** The finding for one row of a device found on several rows. */
export type DeviceFinding = (occurrence: DeviceOccurrence, line: number, column: string, others: RelatedLines) => Finding;

/**
 * A device (a phone number, a hardware token) across rows: on two people's rows it would let one
 * person's device approve the other's logins. Compact like the name registry: a device seen once
 * costs one table entry.
 */
export class DeviceRegistry {
  private readonly table = new NameTable();
  private readonly repeated = new Map<number, DeviceOccurrence[]>();
  private lineOfRow = new Uint32Array(1 << 12);

  /** @param columnOf the header name of device column n, as written */
  constructor(private readonly columnOf: (n: number) => string, private readonly report: DeviceFinding) {}

  /** @param key the normalised device (phoneKey, tokenKey) */
  add(key: string, line: number, occurrence: DeviceOccurrence): void {
    if (occurrence.row >= this.lineOfRow.length) {
      const bigger = new Uint32Array(Math.max(occurrence.row + 1, this.lineOfRow.length * 2));
      bigger.set(this.lineOfRow);
      this.lineOfRow = bigger;
    }
    this.lineOfRow[occurrence.row] = line;
    const earlier = this.table.addIfAbsent(key, occurrence.text, occurrence.row, occurrence.n);
    if (earlier === -1) return;
    const t = this.table;
    const list = this.repeated.get(earlier) ?? [{ row: t.rowOf(earlier), n: t.slotOf(earlier), text: t.originalOf(earlier) }];
    list.push(occurrence);
    this.repeated.set(earlier, list);
  }

  findings(): Finding[] {
    const out: Finding[] = [];
    for (const occurrences of this.repeated.values()) {
      for (const o of occurrences) {
        out.push(this.report(o, this.lineOfRow[o.row]!, this.columnOf(o.n), relatedLines(occurrences, o, (x) => this.lineOfRow[x.row]!)));
      }
    }
    return out;
  }
}

export const sharedPhone: DeviceFinding = (o, line, column, others) => finding({
  code: 'SHARED_PHONE', line, row: o.row, column, value: o.text,
  message: `phone ${o.text} is also on ${lineList(others)}: its device could approve logins for each of these users`,
  fix: 'give each person their own phone, or import with --share-phones if this really is a shared device',
  related_lines: others.shown,
});

export const sharedToken: DeviceFinding = (o, line, column, others) => finding({
  code: 'SHARED_TOKEN', line, row: o.row, column, value: o.text,
  message: `hardware token ${o.text} is also on ${lineList(others)}: a token is one person's, and Duo attaches it to one user`,
  fix: 'keep the token on the row of the person who holds it',
  related_lines: others.shown,
});
