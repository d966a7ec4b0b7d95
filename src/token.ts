/**
 * Duo's hardware token type codes, as its "Import Users" CSV (typeN) and its Admin API
 * (`GET /admin/v1/tokens?type=&serial=`) write them. h6/h8/t6/t8/yk are Duo's Python client's
 * (duo_client/admin.py); d1 (Duo-D100) is secondary (third-party Duo modules), listed in
 * src/simulator/assumptions.ts.
 */
export const TOKEN_TYPES = {
  h6: 'HOTP-6',
  h8: 'HOTP-8',
  t6: 'TOTP-6',
  t8: 'TOTP-8',
  yk: 'YubiKey AES',
  d1: 'Duo-D100',
} as const;

export type TokenType = keyof typeof TOKEN_TYPES;

/** A hardware token as Duo finds it: its type code and serial number (as written; Duo matches it exactly). */
export interface TokenRef {
  readonly type: TokenType;
  readonly serial: string;
}

/** A type cell (case-insensitive) as Duo's code; null when it is not one. */
export function tokenType(text: string): TokenType | null {
  const code = text.trim().toLowerCase();
  return Object.hasOwn(TOKEN_TYPES, code) ? (code as TokenType) : null;
}

/** The code a type cell that names a type in words ("HOTP-6", "yubikey") means, for the fix it gets. */
export function tokenTypeNamed(text: string): TokenType | null {
  const words = text.trim().toLowerCase().replace(/[\s_-]+/g, '');
  for (const [code, name] of Object.entries(TOKEN_TYPES)) {
    const spelled = name.toLowerCase().replace(/[\s_-]+/g, '');
    if (words === spelled || (code === 'yk' && words === 'yubikey') || (code === 'd1' && words === 'd100')) return code as TokenType;
  }
  return null;
}

export const TOKEN_TYPE_CHOICES = Object.entries(TOKEN_TYPES).map(([code, name]) => `${code} (${name})`).join(', ');

/** The key two cells of the same token share. */
export function tokenKey(token: TokenRef): string {
  return `${token.type} ${token.serial}`;
}

/** How a token is named in messages: "h6 token 101222". */
export function describeToken(token: TokenRef): string {
  return `${token.type} token ${token.serial}`;
}
