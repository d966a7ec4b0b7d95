import { fnv1a, FirstSightings, grown } from './first-sightings.js';

/** The slot's top bit: the name was written as its key. Slots are 0 (username) to 8 (alias8). */
const AS_KEY = 0x80;

/**
 * A set of names kept as 64-bit fingerprints, with where each was first seen: 13 bytes a name in
 * typed arrays (and its share of the hash index), whatever the name's length. 3,000,000 names cost
 * ~75 MB here where their UTF-8 bytes alone would take as much again. A fingerprint match means
 * "almost surely the same name": the registry checks the names themselves, re-read from the file,
 * for the rare rows that matched (NameRegistry).
 */
export class NameFingerprints extends FirstSightings {
  private second = new Uint32Array(1 << 12);

  /**
   * Records `key` as first seen at (row, slot) unless its fingerprint is already there. `asKey`:
   * the name was written exactly as its key (lower case, trimmed: most are), so a repeat of it
   * knows its spelling without reading the file again.
   * @returns the index of the earlier entry, or -1 when the key is new.
   */
  addIfAbsent(key: string, row: number, slot: number, asKey = false): number {
    const [bytes, length] = this.encode(key);
    const check = secondHash(bytes, length);
    return this.findOrAdd(fnv1a(bytes, length), (index) => this.second[index] === check, row, slot | (asKey ? AS_KEY : 0), (index) => {
      this.second[index] = check;
    });
  }

  /** The index of the entry holding `key`, or -1; nothing is added. */
  indexOf(key: string): number {
    const [bytes, length] = this.encode(key);
    const check = secondHash(bytes, length);
    return this.find(fnv1a(bytes, length), (index) => this.second[index] === check);
  }

  slotOf(index: number): number {
    return this.storedSlot(index) & ~AS_KEY;
  }

  writtenAsKey(index: number): boolean {
    return (this.storedSlot(index) & AS_KEY) !== 0;
  }

  protected override growTo(size: number): void {
    super.growTo(size);
    this.second = grown(this.second, new Uint32Array(size));
  }
}

/** A 32-bit hash independent of FNV-1a (multiply-xorshift, another seed): with it, a 64-bit fingerprint. */
function secondHash(bytes: Buffer, length: number): number {
  let b = 0x9747b28c ^ length;
  for (let i = 0; i < length; i++) {
    b = Math.imul(b ^ bytes[i]!, 0x5bd1e995);
    b ^= b >>> 15;
  }
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  return (b ^ (b >>> 16)) >>> 0;
}
