import { finding, MAX_RELATED_LINES, type Finding } from './findings.js';
import { NameTable } from './name-table.js';

/** Where a name was seen. slot 0 = username, n = alias n. */
interface Occurrence {
  readonly row: number;
  readonly slot: number;
  readonly value: string;
}

/**
 * Duo's single namespace of usernames and aliases, checked in one pass.
 * A name seen once costs one NameTable entry; only names seen twice get a list of occurrences.
 */
export class NameRegistry {
  private readonly table = new NameTable();
  private readonly repeated = new Map<number, Occurrence[]>();
  private lineOfRow = new Uint32Array(1 << 12);

  /** @param slotColumns header name of each slot as written in the file (0 = username column). */
  constructor(private readonly slotColumns: readonly string[]) {}

  startRow(row: number, line: number): void {
    if (row >= this.lineOfRow.length) {
      const bigger = new Uint32Array(Math.max(row + 1, this.lineOfRow.length * 2));
      bigger.set(this.lineOfRow);
      this.lineOfRow = bigger;
    }
    this.lineOfRow[row] = line;
  }

  add(key: string, value: string, row: number, slot: number): void {
    const earlier = this.table.addIfAbsent(key, value, row, slot);
    if (earlier === -1) return;
    const occurrence = { row, slot, value };
    const list = this.repeated.get(earlier);
    if (list !== undefined) list.push(occurrence);
    else {
      const t = this.table;
      this.repeated.set(earlier, [{ row: t.rowOf(earlier), slot: t.slotOf(earlier), value: t.originalOf(earlier) }, occurrence]);
    }
  }

  findings(): Finding[] {
    const out: Finding[] = [];
    for (const occurrences of this.repeated.values()) {
      const usernames = occurrences.filter((o) => o.slot === 0);
      const aliases = occurrences.filter((o) => o.slot !== 0);
      if (usernames.length > 1) {
        for (const o of usernames) {
          const others = this.linesOf(usernames, o);
          out.push(this.flag('DUPLICATE_USERNAME', o, others, `username "${o.value}" is also the username on ${lineList(others)}`,
            'keep one row per person: Duo usernames must be unique'));
        }
      }
      if (usernames.length > 0 && aliases.length > 0) {
        for (const o of aliases) {
          const others = this.linesOf(usernames, o);
          out.push(this.flag('ALIAS_IS_USERNAME', o, others, `alias "${o.value}" is the username on ${lineList(others)}`,
            'usernames and aliases share one namespace in Duo: if it is the same person, merge the rows ' +
              '(use the sAMAccountName as username and keep the email as alias); otherwise remove this alias'));
        }
        for (const o of usernames) {
          const others = this.linesOf(aliases, o);
          out.push(this.flag('ALIAS_IS_USERNAME', o, others, `username "${o.value}" is also an alias on ${lineList(others)}`,
            'usernames and aliases share one namespace in Duo: a name can belong to one user only'));
        }
      }
      if (aliases.length > 1) {
        for (const o of aliases) {
          const others = this.linesOf(aliases, o);
          out.push(this.flag('DUPLICATE_ALIAS', o, others, `alias "${o.value}" is also an alias on ${lineList(others)}`,
            'an alias can belong to one user only: remove it from all rows but one'));
        }
      }
    }
    return out;
  }

  private linesOf(occurrences: readonly Occurrence[], except: Occurrence): number[] {
    const lines: number[] = [];
    for (const o of occurrences) if (o !== except) lines.push(this.lineOfRow[o.row]!);
    return lines.sort((a, b) => a - b);
  }

  private flag(code: Finding['code'], o: Occurrence, others: number[], message: string, fix: string): Finding {
    return finding({
      code,
      line: this.lineOfRow[o.row]!,
      row: o.row,
      column: this.slotColumns[o.slot] ?? null,
      value: o.value,
      message,
      fix,
      related_lines: others.slice(0, MAX_RELATED_LINES),
    });
  }
}

/** "line 3", "lines 3, 9", "lines 3, 9, … and 9,980 more" */
export function lineList(lines: readonly number[]): string {
  if (lines.length === 1) return `line ${lines[0]}`;
  const shown = lines.slice(0, 5).join(', ');
  const more = lines.length - 5;
  return more > 0 ? `lines ${shown} and ${more.toLocaleString('en-US')} more` : `lines ${shown}`;
}
