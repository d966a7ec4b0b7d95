import { describe, expect, it } from '@jest/globals';
import { NameTable } from '../../../src/validate/name-table.js';
import { NameFingerprints } from '../../../src/validate/name-fingerprints.js';

describe('NameTable', () => {
  it('finds the first sighting of a key across growth and rehashing', () => {
    const table = new NameTable();
    for (let i = 0; i < 50_000; i++) expect(table.addIfAbsent(`user${i}@example.com`, `User${i}@Example.com`, i + 1, i % 9)).toBe(-1);
    expect(table.size).toBe(50_000);
    for (const i of [0, 1, 4095, 4096, 49_999]) {
      const index = table.addIfAbsent(`user${i}@example.com`, 'x', 99, 0);
      expect(index).toBeGreaterThanOrEqual(0);
      expect([table.rowOf(index), table.slotOf(index), table.originalOf(index)]).toEqual([i + 1, i % 9, `User${i}@Example.com`]);
    }
    expect(table.size).toBe(50_000);
  });

  it('keeps keys of different byte lengths and non-ASCII apart', () => {
    const table = new NameTable();
    const keys = ['björn', 'bjorn', 'weiß', 'weiss', '日本', '', 'a'.repeat(5000), 'a'.repeat(4999)];
    keys.forEach((key, i) => expect(table.addIfAbsent(key, key, i, 0)).toBe(-1));
    keys.forEach((key, i) => {
      const index = table.addIfAbsent(key, key, 100, 0);
      expect(table.rowOf(index)).toBe(i);
      expect(table.originalOf(index)).toBe(key);
    });
  });
});

describe('NameFingerprints', () => {
  it('finds the first sighting of a name across growth and rehashing, and keeps near names apart', () => {
    const table = new NameFingerprints();
    for (let i = 0; i < 60_000; i++) expect(table.addIfAbsent(`u${String(i).padStart(7, '0')}@corp.example.com`, i + 1, i % 9)).toBe(-1);
    for (const key of ['björn', 'bjorn', 'weiß', 'weiss', '日本', '', 'a'.repeat(5000), 'a'.repeat(4999)]) expect(table.addIfAbsent(key, 7, 0)).toBe(-1);
    expect(table.size).toBe(60_008);
    for (const i of [0, 1, 4095, 4096, 59_999]) {
      const index = table.addIfAbsent(`u${String(i).padStart(7, '0')}@corp.example.com`, 99, 0);
      expect([table.rowOf(index), table.slotOf(index)]).toEqual([i + 1, i % 9]);
    }
    expect(table.size).toBe(60_008);
  });
});
