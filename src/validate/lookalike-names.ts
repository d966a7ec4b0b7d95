import { nameKey } from '../names.js';
import { lookalikeKey } from '../name-rules.js';
import { NameFingerprints } from './name-fingerprints.js';
import { grown } from './first-sightings.js';

/** Where a name was seen. slot 0 = username, n = alias n. */
export interface NameOccurrence {
  readonly row: number;
  readonly slot: number;
  /** As written; null for a first sighting not re-read yet (only its fingerprint was kept). */
  value: string | null;
}

/** The main registry's table of name keys, as this class asks it. */
export interface KeyTable {
  indexOf(key: string): number;
  rowOf(index: number): number;
  slotOf(index: number): number;
  writtenAsKey(index: number): boolean;
}

/**
 * Names that differ but look alike (UTS #39 skeletons: Cyrillic "usеr1", full-width "ｕｓｅｒ１"
 * and "user1"), found in one pass beside the registry of name keys. Only a name that is not its own
 * skeleton is kept here, as a fingerprint; a name that is, is found in the key table. So two names
 * with one skeleton always meet: at least one of them is not its own skeleton (else their keys
 * would be equal), and whichever comes second looks in the table holding the first.
 */
export class LookalikeNames {
  private readonly skeletons = new NameFingerprints();
  /** Per skeleton entry: the key-table index of the name first seen with it. */
  private keyIndex = new Uint32Array(1 << 12);
  /** Skeleton → its names in file order (only skeletons two different names share). */
  private readonly sets = new Map<string, { members: NameOccurrence[]; seen: Set<number> }>();

  /**
   * @param keyAt the key-table index of this name (its own entry, or the earlier one of the same key).
   */
  add(key: string, value: string, row: number, slot: number, keyAt: number, keys: KeyTable): void {
    const skeleton = lookalikeKey(value);
    const current = { row, slot, value };
    if (skeleton !== key) {
      const earlier = this.skeletons.addIfAbsent(skeleton, row, slot);
      if (earlier === -1) {
        const index = this.skeletons.size - 1;
        if (index >= this.keyIndex.length) this.keyIndex = grown(this.keyIndex, new Uint32Array(Math.ceil(this.keyIndex.length * 1.5) + 1));
        this.keyIndex[index] = keyAt;
      } else if (this.keyIndex[earlier] !== keyAt) {
        this.meet(skeleton, { row: this.skeletons.rowOf(earlier), slot: this.skeletons.slotOf(earlier), value: null }, current);
      }
      const named = keys.indexOf(skeleton);
      if (named !== -1 && named !== keyAt) {
        this.meet(skeleton, { row: keys.rowOf(named), slot: keys.slotOf(named), value: keys.writtenAsKey(named) ? skeleton : null }, current);
      }
    } else {
      const earlier = this.skeletons.indexOf(skeleton);
      if (earlier !== -1 && this.keyIndex[earlier] !== keyAt) {
        this.meet(skeleton, { row: this.skeletons.rowOf(earlier), slot: this.skeletons.slotOf(earlier), value: null }, current);
      }
    }
  }

  /** Every name that looked like another, by skeleton; first sightings not re-read have value null. */
  groups(): Iterable<readonly NameOccurrence[]> {
    return [...this.sets.values()].map((set) => set.members);
  }

  private meet(skeleton: string, earlier: NameOccurrence, current: NameOccurrence): void {
    let set = this.sets.get(skeleton);
    if (set === undefined) this.sets.set(skeleton, (set = { members: [], seen: new Set() }));
    for (const o of [earlier, current]) {
      const id = o.row * 16 + o.slot;
      if (set.seen.has(id)) continue;
      set.seen.add(id);
      set.members.push(o);
    }
  }
}

/**
 * Of a group of look-alike names, the members that look like a different name on another row,
 * each with some of those others (at most `most`, ascending by row) and how many there are. A
 * member whose value is unknown (not re-read) counts as a name of its own. Linear in the group
 * times `most`, whatever the group's size (2^17 names can share one skeleton: m and rn).
 */
export function lookalikePairs(members: readonly NameOccurrence[], most: number): { member: NameOccurrence; others: NameOccurrence[]; total: number }[] {
  const byKey = new Map<string, NameOccurrence[]>();
  let unknown = 0;
  for (const o of [...members].sort((a, b) => a.row - b.row || a.slot - b.slot)) {
    const key = o.value === null ? `\u0000${unknown++}` : nameKey(o.value);
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [o]);
    else list.push(o);
  }
  const groups = [...byKey.values()];
  if (groups.length < 2) return [];
  const out: { member: NameOccurrence; others: NameOccurrence[]; total: number }[] = [];
  for (const own of groups) {
    for (const member of own) {
      const others: NameOccurrence[] = [];
      for (const group of groups) {
        if (group === own) continue;
        for (const o of group) {
          if (others.length === most) break;
          if (o.row !== member.row) others.push(o);
        }
        if (others.length === most) break;
      }
      if (others.length > 0) out.push({ member, others: others.sort((a, b) => a.row - b.row), total: Math.max(others.length, members.length - own.length) });
    }
  }
  return out;
}
