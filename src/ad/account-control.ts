/** userAccountControl bit 2: ACCOUNTDISABLE (MS-ADTS 2.2.16). */
const ACCOUNT_DISABLED = 0x2;

/** What an entry's userAccountControl says about the account. */
export type AccountControl =
  | { readonly kind: 'missing' }
  | { readonly kind: 'read'; readonly disabled: boolean }
  /** Not a 32-bit integer (`514x`, `99999999999999999999999`): nothing can be read from it, least of all "enabled". */
  | { readonly kind: 'unreadable'; readonly text: string };

/**
 * Reads userAccountControl as AD stores it, a 32-bit integer written in decimal (signed in LDAP's
 * INTEGER syntax, so 0x80000000 and up may be written negative). Anything else is damage, never
 * "not disabled": `Number('514x')` is NaN and `NaN & 2` is 0.
 */
export function readAccountControl(text: string | undefined): AccountControl {
  if (text === undefined || text === '') return { kind: 'missing' };
  const trimmed = text.trim();
  if (!/^-?\d{1,10}$/.test(trimmed)) return { kind: 'unreadable', text };
  const value = Number(trimmed);
  if (value < -0x80000000 || value > 0xffffffff) return { kind: 'unreadable', text };
  return { kind: 'read', disabled: (value & ACCOUNT_DISABLED) !== 0 };
}

/** The status cell export writes for an unreadable value: validate refuses it (INVALID_STATUS), sync rejects the user. */
export function unreadableStatus(text: string): `userAccountControl=${string}` {
  return `userAccountControl=${text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?').slice(0, 40)}`;
}
