import { nameKey } from '../names.js';
import { finding, MAX_RELATED_LINES, type Finding } from './findings.js';
import { NameFingerprints } from './name-fingerprints.js';
import { LookalikeNames, lookalikePairs, type NameOccurrence as Occurrence } from './lookalike-names.js';

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
  private readonly lookalikes = new LookalikeNames();
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
    this.lookalikes.add(key, value, row, slot, earlier === -1 ? this.table.size - 1 : earlier, this.table);
    if (earlier === -1) return;
    const occurrence = { row, slot, value };
    const list = this.repeated.get(earlier);
    if (list !== undefined) list.push(occurrence);
    else {
      const t = this.table;
      this.repeated.set(earlier, [{ row: t.rowOf(earlier), slot: t.slotOf(earlier), value: t.writtenAsKey(earlier) ? key : null }, occurrence]);
    }
  }

  /** The cells to re-read: row → slot → the first sightings whose value was not kept. */
  wanted(): Map<number, Map<number, Occurrence[]>> {
    const cells = new Map<number, Map<number, Occurrence[]>>();
    const want = (o: Occurrence): void => {
      if (o.value !== null) return;
      const slots = cells.get(o.row) ?? new Map<number, Occurrence[]>();
      slots.set(o.slot, [...(slots.get(o.slot) ?? []), o]);
      cells.set(o.row, slots);
    };
    for (const [first] of this.repeated.values()) want(first!);
    for (const group of this.lookalikes.groups()) for (const o of group) want(o);
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
    for (const group of this.lookalikes.groups()) {
      for (const { member, others, total } of lookalikePairs(group, MAX_RELATED_LINES)) {
        const lines = { shown: others.map((o) => this.lineOfRow[o.row]!), total };
        const first = others[0]!;
        const like = first.value === null ? `the ${this.kind(first)} on ${lineList(lines)}` : `"${first.value}" (the ${this.kind(first)} on line ${this.lineOfRow[first.row]}${total > 1 ? `, and ${total - 1} more` : ''})`;
        const odd = member.value === null ? null : unusualCharacter(member.value);
        out.push(this.flag('CONFUSABLE_NAME', member, lines,
          `${this.kind(member)} ${member.value === null ? '' : `"${member.value}" `}looks like ${like}${odd ? `: it holds ${odd}` : ''}`,
          'two names that look the same are a spoofing risk: retype the name in plain letters, or keep it only if both people are real and distinct'));
      }
    }
    return out;
  }

  private kind(o: Occurrence): string {
    return o.slot === 0 ? 'username' : 'alias';
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

/** The first character outside ASCII, as "U+0435 at position 3"; null for plain ASCII. */
function unusualCharacter(value: string): string | null {
  let position = 0;
  for (const c of value) {
    position++;
    if (c.codePointAt(0)! > 0x7f) return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} at position ${position}`;
  }
  return null;
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
