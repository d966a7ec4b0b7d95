import { finding, type Finding } from './findings.js';
import { lineList, relatedLines } from './name-registry.js';
import { NameTable } from './name-table.js';

interface Occurrence {
  readonly row: number;
  /** The phone column's number: phone3 → 3. */
  readonly n: number;
  readonly text: string;
}

/**
 * Phone numbers across rows: one number on two people's rows would let one person's device approve
 * the other's logins. Compact like the name registry: a number seen once costs one table entry.
 */
export class PhoneRegistry {
  private readonly table = new NameTable();
  private readonly repeated = new Map<number, Occurrence[]>();
  private lineOfRow = new Uint32Array(1 << 12);

  /** @param columnOf the header name of phone column n, as written */
  constructor(private readonly columnOf: (n: number) => string) {}

  /** @param key the normalised number (phoneKey) */
  add(key: string, line: number, occurrence: Occurrence): void {
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
        const others = relatedLines(occurrences, o, (x) => this.lineOfRow[x.row]!);
        out.push(finding({
          code: 'SHARED_PHONE', line: this.lineOfRow[o.row]!, row: o.row, column: this.columnOf(o.n), value: o.text,
          message: `phone ${o.text} is also on ${lineList(others)}: its device could approve logins for each of these users`,
          fix: 'give each person their own phone, or import with --share-phones if this really is a shared device',
          related_lines: others.shown,
        }));
      }
    }
    return out;
  }
}
