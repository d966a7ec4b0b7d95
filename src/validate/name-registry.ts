import { nameKey } from '../names.js';
import { finding, MAX_RELATED_LINES, type Finding } from './findings.js';
import { NameFingerprints } from './name-fingerprints.js';

/** Where a name was seen. slot 0 = username, n = alias n. */
interface Occurrence {
  readonly row: number;
  readonly slot: number;
  /** As written; null for a first sighting not re-read yet (only its fingerprint was kept). */
  value: string | null;
}

/**
 * Duo's single namespace of usernames and aliases, checked in one pass.
 * A name seen once costs one fingerprint; only names seen twice get a list of occurrences. The
 * first sighting of a repeated name is known by its row and slot, and by its spelling only when it
 * was written as its key: for the others `wanted()` names the cells, which the caller re-reads from
 * the file before `findings()`. A pair whose names then differ (a fingerprint collision, about
 * one chance in 10^7 for a file of 3,000,000 names) is not reported.
 */
export class NameRegistry {
  private readonly table = new NameFingerprints();
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
    const earlier = this.table.addIfAbsent(key, row, slot, value === key);
    if (earlier === -1) return;
    const occurrence = { row, slot, value };
    const list = this.repeated.get(earlier);
    if (list !== undefined) list.push(occurrence);
    else {
      const t = this.table;
      this.repeated.set(earlier, [{ row: t.rowOf(earlier), slot: t.slotOf(earlier), value: t.writtenAsKey(earlier) ? key : null }, occurrence]);
    }
  }

  /** The cells to re-read: row → slot → the first sighting whose value was not kept. */
  wanted(): Map<number, Map<number, Occurrence>> {
    const cells = new Map<number, Map<number, Occurrence>>();
    for (const [first] of this.repeated.values()) {
      if (first!.value !== null) continue;
      const slots = cells.get(first!.row) ?? new Map<number, Occurrence>();
      slots.set(first!.slot, first!);
      cells.set(first!.row, slots);
    }
    return cells;
  }

  findings(): Finding[] {
    const out: Finding[] = [];
    for (const all of this.repeated.values()) {
      // A first sighting that could not be re-read reads as the name that repeated it.
      const first = all[0]!;
      first.value ??= all[1]!.value;
      const key = nameKey(first.value!);
      const occurrences = all.filter((o) => nameKey(o.value!) === key);
      if (occurrences.length < 2) continue;
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

  /**
   * The lines of `occurrences` other than `except`: the first few for the finding, and how many in
   * all. Occurrences are kept in file order, so this is linear in what it shows, never in the set:
   * 32,000 rows sharing a name cost 32,000 short lists, not 32,000 sorted copies of the set.
   */
  private linesOf(occurrences: readonly Occurrence[], except: Occurrence): RelatedLines {
    // The lists are all usernames or all aliases: `except` is one of them when it is of their kind.
    const contains = (except.slot === 0) === (occurrences[0]!.slot === 0);
    return relatedLines(occurrences, except, (o) => this.lineOfRow[o.row]!, contains);
  }

  private flag(code: Finding['code'], o: Occurrence, others: RelatedLines, message: string, fix: string): Finding {
    return finding({
      code,
      line: this.lineOfRow[o.row]!,
      row: o.row,
      column: this.slotColumns[o.slot] ?? null,
      value: o.value,
      message,
      fix,
      related_lines: others.shown,
    });
  }
}

/** Some of the other lines of a set (ascending, at most MAX_RELATED_LINES) and how many there are. */
export interface RelatedLines {
  readonly shown: readonly number[];
  readonly total: number;
}

/**
 * The lines of a set's members other than `except`, the set kept in file order (so their lines
 * ascend). `contains`: whether `except` is one of `members` (it is not when a username is listed
 * against the aliases that repeat it).
 */
export function relatedLines<T>(members: readonly T[], except: T, lineOf: (member: T) => number, contains = true): RelatedLines {
  const shown: number[] = [];
  for (const member of members) {
    if (shown.length === MAX_RELATED_LINES) break;
    if (member !== except) shown.push(lineOf(member));
  }
  return { shown, total: members.length - (contains ? 1 : 0) };
}

/** "line 3", "lines 3, 9", "lines 3, 9, … and 9,980 more" */
export function lineList({ shown, total }: RelatedLines): string {
  if (total === 1) return `line ${shown[0]}`;
  const more = total - Math.min(shown.length, 5);
  const listed = shown.slice(0, 5).join(', ');
  return more > 0 ? `lines ${listed} and ${more.toLocaleString('en-US')} more` : `lines ${listed}`;
}
