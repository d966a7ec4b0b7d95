/**
 * The key under which Duo compares usernames and aliases: trimmed, NFC, lower-cased
 * (contract §1; usernames and aliases share one namespace).
 */
export function nameKey(value: string): string {
  return value.trim().normalize('NFC').toLowerCase();
}
