import { fnv1a, FirstSightings, grown } from './first-sightings.js';

/**
 * A set of names with where each was first seen, in typed arrays rather than a Map of strings.
 *
 * A Map<string, …> of 2.2 million names (1M rows with aliases) peaked at ~480 MB RSS: a V8 string
 * and a hash-table entry per name, and the whole table copied on every growth. Here a name costs
 * its UTF-8 bytes in one arena plus ~20 bytes of typed-array slots, and V8's GC never sees them.
 * (The phone registry keeps its numbers here; validate's names are fingerprints: NameFingerprints.)
 */
export class NameTable extends FirstSightings {
  private arena = Buffer.allocUnsafe(1 << 20);
  private arenaUsed = 0;
  private starts = new Uint32Array(1 << 12);
  private keyLengths = new Uint32Array(1 << 12);
  /** Byte length of the original spelling stored after the key; 0 = same as the key. */
  private originalLengths = new Uint32Array(1 << 12);

  /**
   * Records `key` as first seen at (row, slot) unless it is already there.
   * @returns the index of the earlier entry, or -1 when the key is new.
   */
  addIfAbsent(key: string, original: string, row: number, slot: number): number {
    const [bytes, keyLength] = this.encode(key);
    const same = (index: number): boolean => {
      if (this.keyLengths[index] !== keyLength) return false;
      const start = this.starts[index]!;
      return bytes.compare(this.arena, start, start + keyLength, 0, keyLength) === 0;
    };
    return this.findOrAdd(fnv1a(bytes, keyLength), same, row, slot, (index) => {
      const originalBytes = original === key ? 0 : Buffer.byteLength(original);
      this.reserveArena(keyLength + originalBytes);
      const start = this.arenaUsed;
      bytes.copy(this.arena, start, 0, keyLength);
      if (originalBytes > 0) this.arena.write(original, start + keyLength, 'utf8');
      this.arenaUsed += keyLength + originalBytes;
      this.starts[index] = start;
      this.keyLengths[index] = keyLength;
      this.originalLengths[index] = originalBytes;
    });
  }

  slotOf(index: number): number {
    return this.storedSlot(index);
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

  protected override growTo(size: number): void {
    super.growTo(size);
    this.starts = grown(this.starts, new Uint32Array(size));
    this.keyLengths = grown(this.keyLengths, new Uint32Array(size));
    this.originalLengths = grown(this.originalLengths, new Uint32Array(size));
  }

  private reserveArena(bytes: number): void {
    if (this.arenaUsed + bytes <= this.arena.length) return;
    let size = this.arena.length * 2;
    while (size < this.arenaUsed + bytes) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.arena.copy(bigger, 0, 0, this.arenaUsed);
    this.arena = bigger;
  }
}
