/**
 * objectGUID bytes → the string AD tools print. Microsoft's layout is mixed-endian: the first three
 * groups (4, 2, 2 bytes) are little-endian, the last 8 bytes are in order (MS-DTYP §2.3.4).
 */
export function formatObjectGuid(bytes: Buffer): string {
  if (bytes.length !== 16) throw new RangeError(`an objectGUID has 16 bytes, got ${bytes.length}`);
  const hex = (from: number, to: number, reverse: boolean): string => {
    const part = [...bytes.subarray(from, to)];
    return Buffer.from(reverse ? part.reverse() : part).toString('hex');
  };
  return [hex(0, 4, true), hex(4, 6, true), hex(6, 8, true), hex(8, 10, false), hex(10, 16, false)].join('-');
}
