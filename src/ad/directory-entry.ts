/** One directory object as both sources deliver it: attribute names lower-cased, every value in a list. */
export interface DirectoryEntry {
  readonly dn: string;
  readonly attributes: ReadonlyMap<string, readonly (string | Buffer)[]>;
}

/** Attributes that are binary in AD and must stay bytes (ldapts matches these names case-sensitively). */
export const BINARY_ATTRIBUTES = ['objectGUID', 'objectSid'] as const;
export const BINARY_ATTRIBUTE_KEYS = new Set(BINARY_ATTRIBUTES.map((name) => name.toLowerCase()));

export function textValues(entry: DirectoryEntry, attribute: string): string[] {
  const values = entry.attributes.get(attribute.toLowerCase()) ?? [];
  return values.map((value) => (typeof value === 'string' ? value : value.toString('utf8')));
}

export function firstText(entry: DirectoryEntry, attribute: string): string {
  return (textValues(entry, attribute)[0] ?? '').trim();
}

export function firstBytes(entry: DirectoryEntry, attribute: string): Buffer | null {
  const value = entry.attributes.get(attribute.toLowerCase())?.[0];
  return value === undefined ? null : typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
}
