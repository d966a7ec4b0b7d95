/**
 * What NameTable and NameFingerprints share: entries in typed arrays, each with the row and slot
 * where it was first seen, found through an open-addressing index on a 32-bit hash. A subclass
 * keeps what tells two entries apart (the key's bytes, or a second hash) and says how to compare.
 */
export abstract class FirstSightings {
  protected hashes = new Uint32Array(1 << 12);
  private rows = new Uint32Array(1 << 12);
  private slots = new Uint8Array(1 << 12);
  /** Open addressing: entry index + 1, 0 = empty. */
  private buckets = new Uint32Array(1 << 13);
  private count = 0;
  private scratchBuffer = Buffer.allocUnsafe(256);

  get size(): number {
    return this.count;
  }

  rowOf(index: number): number {
    return this.rows[index]!;
  }

  /** The slot as stored (a subclass may keep flags in its top bits). */
  protected storedSlot(index: number): number {
    return this.slots[index]!;
  }

  /** The key's UTF-8 bytes in a scratch buffer, valid until the next call: [buffer, length]. */
  protected encode(key: string): [Buffer, number] {
    let length = this.scratchBuffer.write(key, 0, 'utf8');
    while (length >= this.scratchBuffer.length - 3) {
      this.scratchBuffer = Buffer.allocUnsafe(this.scratchBuffer.length * 2);
      length = this.scratchBuffer.write(key, 0, 'utf8');
    }
    return [this.scratchBuffer, length];
  }

  /** The index of the entry with this hash for which `same` holds, or -1: a look-up that adds nothing. */
  protected find(hash: number, same: (index: number) => boolean): number {
    const mask = this.buckets.length - 1;
    for (let bucket = hash & mask, entry = this.buckets[bucket]!; entry !== 0; bucket = (bucket + 1) & mask, entry = this.buckets[bucket]!) {
      if (this.hashes[entry - 1] === hash && same(entry - 1)) return entry - 1;
    }
    return -1;
  }

  /**
   * The entry with this hash for which `same` holds, or a new one made by `fill` (which stores
   * the subclass's own fields at the index it is given).
   * @returns the earlier entry's index, or -1 when the entry is new.
   */
  protected findOrAdd(hash: number, same: (index: number) => boolean, row: number, slot: number, fill: (index: number) => void): number {
    const mask = this.buckets.length - 1;
    let bucket = hash & mask;
    for (let entry = this.buckets[bucket]!; entry !== 0; entry = this.buckets[bucket]!) {
      const index = entry - 1;
      if (this.hashes[index] === hash && same(index)) return index;
      bucket = (bucket + 1) & mask;
    }
    const index = this.count++;
    if (index === this.hashes.length) this.growTo(Math.ceil(this.hashes.length * 1.5));
    this.hashes[index] = hash;
    this.rows[index] = row;
    this.slots[index] = slot;
    fill(index);
    this.buckets[bucket] = index + 1;
    if (this.count * 10 > this.buckets.length * 7) this.rehash();
    return -1;
  }

  /** Every per-entry array grown to `size` (1.5×, not 2×: the old and the new are alive together while copying). */
  protected growTo(size: number): void {
    this.hashes = grown(this.hashes, new Uint32Array(size));
    this.rows = grown(this.rows, new Uint32Array(size));
    this.slots = grown(this.slots, new Uint8Array(size));
  }

  private rehash(): void {
    const buckets = new Uint32Array(this.buckets.length * 2);
    const mask = buckets.length - 1;
    for (let index = 0; index < this.count; index++) {
      let bucket = this.hashes[index]! & mask;
      while (buckets[bucket] !== 0) bucket = (bucket + 1) & mask;
      buckets[bucket] = index + 1;
    }
    this.buckets = buckets;
  }
}

export function grown<T extends Uint32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>>(old: T, bigger: T): T {
  bigger.set(old);
  return bigger;
}

/** FNV-1a, 32 bit: fast and spreads short, similar names (u0000001, u0000002, …) well. */
export function fnv1a(bytes: Buffer, length: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < length; i++) {
    hash ^= bytes[i]!;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
