/**
 * The key under which Duo compares usernames and aliases: trimmed, NFC, lower-cased
 * (usernames and aliases share one namespace).
 */
export function nameKey(value: string): string {
  return value.trim().normalize('NFC').toLowerCase();
}
