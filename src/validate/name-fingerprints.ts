import { grown, reindexed } from './name-table.js';

/**
 * A set of names kept as 64-bit fingerprints, with where each was first seen: 13 bytes a name in
 * typed arrays (and its share of the hash index), whatever the name's length. 3,000,000 names cost
 * ~75 MB here where their UTF-8 bytes alone would take as much again. A fingerprint match means
 * "almost surely the same name": the registry checks the names themselves, re-read from the file,
 * for the rare rows that matched (NameRegistry).
 */
export class NameFingerprints {
  private scratch = Buffer.allocUnsafe(256);
  private first = new Uint32Array(1 << 12);
  private second = new Uint32Array(1 << 12);
  private rows = new Uint32Array(1 << 12);
  private slots = new Uint8Array(1 << 12);
  /** Open addressing: entry index + 1, 0 = empty. */
  private buckets = new Uint32Array(1 << 13);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /**
   * Records `key` as first seen at (row, slot) unless its fingerprint is already there. `asKey`:
   * the name was written exactly as its key (lower case, trimmed: most are), so a repeat of it
   * knows its spelling without reading the file again.
   * @returns the index of the earlier entry, or -1 when the key is new.
   */
  addIfAbsent(key: string, row: number, slot: number, asKey = false): number {
    let length = this.scratch.write(key, 0, 'utf8');
    while (length >= this.scratch.length - 3) {
      this.scratch = Buffer.allocUnsafe(this.scratch.length * 2);
      length = this.scratch.write(key, 0, 'utf8');
    }
    const [h1, h2] = fingerprint(this.scratch, length);
    const mask = this.buckets.length - 1;
    let bucket = h1 & mask;
    for (let entry = this.buckets[bucket]!; entry !== 0; entry = this.buckets[bucket]!) {
      const index = entry - 1;
      if (this.first[index] === h1 && this.second[index] === h2) return index;
      bucket = (bucket + 1) & mask;
    }
    const index = this.count++;
    if (index === this.first.length) this.grow();
    this.first[index] = h1;
    this.second[index] = h2;
    this.rows[index] = row;
    this.slots[index] = slot | (asKey ? AS_KEY : 0);
    this.buckets[bucket] = index + 1;
    if (this.count * 10 > this.buckets.length * 7) this.rehash();
    return -1;
  }

  rowOf(index: number): number {
    return this.rows[index]!;
  }

  slotOf(index: number): number {
    return this.slots[index]! & ~AS_KEY;
  }

  writtenAsKey(index: number): boolean {
    return (this.slots[index]! & AS_KEY) !== 0;
  }

  private grow(): void {
    // 1.5×, not 2×: the old and the new arrays are alive together while copying.
    const size = Math.ceil(this.first.length * 1.5);
    this.first = grown(this.first, new Uint32Array(size));
    this.second = grown(this.second, new Uint32Array(size));
    this.rows = grown(this.rows, new Uint32Array(size));
    this.slots = grown(this.slots, new Uint8Array(size));
  }

  private rehash(): void {
    this.buckets = reindexed(this.first, this.count, this.buckets.length * 2);
  }
}

/** The slot's top bit: the name was written as its key. Slots are 0 (username) to 8 (alias8). */
const AS_KEY = 0x80;

/** Two independent 32-bit hashes of the bytes: FNV-1a, and a multiply-xorshift with another seed. */
function fingerprint(bytes: Buffer, length: number): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ length;
  for (let i = 0; i < length; i++) {
    const byte = bytes[i]!;
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul(b ^ byte, 0x5bd1e995);
    b ^= b >>> 15;
  }
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  return [a >>> 0, (b ^ (b >>> 16)) >>> 0];
}
