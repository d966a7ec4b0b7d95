/** DNs compare case-insensitively, and without the spaces some tools put after commas. */
export function normalDn(dn: string): string {
  return dn.replace(/,\s+/g, ',').toLowerCase();
}
