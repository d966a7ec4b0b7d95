/**
 * A set of names with where each was first seen, in typed arrays rather than a Map of strings.
 *
 * A Map<string, …> of 2.2 million names (1M rows with aliases) peaked at ~480 MB RSS: a V8 string
 * and a hash-table entry per name, and the whole table copied on every growth. Here a name costs
 * its UTF-8 bytes in one arena plus ~20 bytes of typed-array slots, and V8's GC never sees them.
 */
export class NameTable {
  private arena = Buffer.allocUnsafe(1 << 20);
  private arenaUsed = 0;
  private scratch = Buffer.allocUnsafe(256);
  private hashes = new Uint32Array(1 << 12);
  private starts = new Uint32Array(1 << 12);
  private keyLengths = new Uint32Array(1 << 12);
  /** Byte length of the original spelling stored after the key; 0 = same as the key. */
  private originalLengths = new Uint32Array(1 << 12);
  private rows = new Uint32Array(1 << 12);
  private slots = new Uint8Array(1 << 12);
  /** Open addressing: entry index + 1, 0 = empty. */
  private buckets = new Uint32Array(1 << 13);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /**
   * Records `key` as first seen at (row, slot) unless it is already there.
   * @returns the index of the earlier entry, or -1 when the key is new.
   */
  addIfAbsent(key: string, original: string, row: number, slot: number): number {
    const keyLength = this.encode(key);
    const hash = fnv1a(this.scratch, keyLength);
    const mask = this.buckets.length - 1;
    let bucket = hash & mask;
    for (let entry = this.buckets[bucket]!; entry !== 0; entry = this.buckets[bucket]!) {
      const index = entry - 1;
      if (this.hashes[index] === hash && this.keyEquals(index, keyLength)) return index;
      bucket = (bucket + 1) & mask;
    }
    this.insert(bucket, hash, keyLength, original === key ? '' : original, row, slot);
    return -1;
  }

  rowOf(index: number): number {
    return this.rows[index]!;
  }

  slotOf(index: number): number {
    return this.slots[index]!;
  }

  /** The spelling as first seen. */
  originalOf(index: number): string {
    const start = this.starts[index]!;
    const keyEnd = start + this.keyLengths[index]!;
    const originalLength = this.originalLengths[index]!;
    return originalLength === 0
      ? this.arena.toString('utf8', start, keyEnd)
      : this.arena.toString('utf8', keyEnd, keyEnd + originalLength);
  }

  private encode(key: string): number {
    let written = this.scratch.write(key, 0, 'utf8');
    while (written >= this.scratch.length - 3) {
      this.scratch = Buffer.allocUnsafe(this.scratch.length * 2);
      written = this.scratch.write(key, 0, 'utf8');
    }
    return written;
  }

  private keyEquals(index: number, keyLength: number): boolean {
    if (this.keyLengths[index] !== keyLength) return false;
    const start = this.starts[index]!;
    return this.scratch.compare(this.arena, start, start + keyLength, 0, keyLength) === 0;
  }

  private insert(bucket: number, hash: number, keyLength: number, original: string, row: number, slot: number): void {
    const index = this.count++;
    if (index === this.hashes.length) this.growEntries();
    const originalBytes = original === '' ? 0 : Buffer.byteLength(original);
    this.reserveArena(keyLength + originalBytes);
    const start = this.arenaUsed;
    this.scratch.copy(this.arena, start, 0, keyLength);
    if (originalBytes > 0) this.arena.write(original, start + keyLength, 'utf8');
    this.arenaUsed += keyLength + originalBytes;
    this.hashes[index] = hash;
    this.starts[index] = start;
    this.keyLengths[index] = keyLength;
    this.originalLengths[index] = originalBytes;
    this.rows[index] = row;
    this.slots[index] = slot;
    this.buckets[bucket] = index + 1;
    if (this.count * 10 > this.buckets.length * 7) this.rehash();
  }

  private reserveArena(bytes: number): void {
    if (this.arenaUsed + bytes <= this.arena.length) return;
    let size = this.arena.length * 2;
    while (size < this.arenaUsed + bytes) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.arena.copy(bigger, 0, 0, this.arenaUsed);
    this.arena = bigger;
  }

  private growEntries(): void {
    const size = this.hashes.length * 2;
    this.hashes = grown(this.hashes, new Uint32Array(size));
    this.starts = grown(this.starts, new Uint32Array(size));
    this.keyLengths = grown(this.keyLengths, new Uint32Array(size));
    this.originalLengths = grown(this.originalLengths, new Uint32Array(size));
    this.rows = grown(this.rows, new Uint32Array(size));
    this.slots = grown(this.slots, new Uint8Array(size));
  }

  private rehash(): void {
    this.buckets = reindexed(this.hashes, this.count, this.buckets.length * 2);
  }
}

/** An open-addressing index of `count` entries by their hashes, `size` buckets (a power of two): entry index + 1, 0 = empty. */
export function reindexed(hashes: Uint32Array, count: number, size: number): Uint32Array<ArrayBuffer> {
  const buckets = new Uint32Array(size);
  const mask = size - 1;
  for (let index = 0; index < count; index++) {
    let bucket = hashes[index]! & mask;
    while (buckets[bucket] !== 0) bucket = (bucket + 1) & mask;
    buckets[bucket] = index + 1;
  }
  return buckets;
}

export function grown<T extends Uint32Array | Uint8Array>(old: T, bigger: T): T {
  bigger.set(old);
  return bigger;
}

/** FNV-1a, 32 bit: fast and spreads short, similar names (u0000001, u0000002, …) well. */
function fnv1a(bytes: Buffer, length: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < length; i++) {
    hash ^= bytes[i]!;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
