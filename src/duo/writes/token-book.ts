import type { DuoUserRow } from '../../csv/duo-row.js';
import { tokenKey, type TokenRef } from '../../token.js';
import type { DuoClient } from '../api/client.js';
import { findToken } from '../api/tokens-api.js';
import type { KnownToken } from '../plan/decide.js';
import type { TenantToken, TenantUser } from '../tenant/tenant.js';

/**
 * The hardware tokens the rows name, as Duo has them: its id and who holds it, or null when Duo has
 * no token of that type and serial. duo-bridge attaches tokens and never creates one (that takes the
 * token's secret, which a user list does not carry). Live, each token is looked up once by type and
 * serial (`GET /admin/v1/tokens?type=&serial=`), so the cost follows the CSV, not the tenant; from a
 * snapshot, its list of the tenant's tokens answers.
 */
export class TokenBook {
  private readonly entries = new Map<string, KnownToken | null>();

  /** @param complete every token of the tenant is known: one not listed does not exist */
  private constructor(private readonly complete: boolean) {}

  static live(): TokenBook {
    return new TokenBook(false);
  }

  /** From a snapshot's tokens (null for a snapshot older than token support: nothing is checked). */
  static fromSnapshot(tokens: readonly TenantToken[] | null | undefined, users: readonly TenantUser[]): TokenBook | null {
    if (tokens == null) return null;
    const book = new TokenBook(true);
    const owners = new Map<string, string[]>();
    for (const user of users) {
      for (const t of user.tokens) {
        const holders = owners.get(t.token_id);
        if (holders === undefined) owners.set(t.token_id, [user.user_id]);
        else holders.push(user.user_id);
      }
    }
    for (const t of tokens) book.entries.set(tokenKey(t as TokenRef), { token_id: t.token_id, owners: owners.get(t.token_id) ?? [] });
    return book;
  }

  /** Asks Duo about each token of these rows it has not been asked about yet. */
  async learn(client: DuoClient, rows: readonly DuoUserRow[]): Promise<void> {
    for (const row of rows) {
      for (const token of row.tokens) {
        if (token.type === null) continue;
        const ref = { type: token.type, serial: token.serial };
        if (this.entries.has(tokenKey(ref))) continue;
        const found = await findToken(client, ref);
        this.entries.set(tokenKey(ref), found === null ? null : { token_id: found.token_id, owners: (found.users ?? []).map((u) => u.user_id) });
      }
    }
  }

  /** The token of a tokenKey: null when Duo has none, undefined when not known. */
  readonly get = (key: string): KnownToken | null | undefined => {
    const known = this.entries.get(key);
    return known !== undefined ? known : this.complete ? null : undefined;
  };

  attached(key: string, userId: string): void {
    const known = this.entries.get(key);
    if (known && !known.owners.includes(userId)) this.entries.set(key, { ...known, owners: [...known.owners, userId] });
  }
}
