import { nameKey } from '../../names.js';
import type { DuoClient } from '../api/client.js';
import { LOOKUP_CHUNK, USER_PAGE, userPages } from '../api/users-api.js';
import { allNames, namesOf } from '../tenant/duo-names.js';

/**
 * Every name (username or alias) the tenant holds, learned by listing it once: it tells which rows
 * need a look-up at all. A row none of whose names Duo holds is planned as a create without one;
 * should one of its names appear in Duo after the listing (another admin), Duo refuses the create
 * (one namespace) and the import settles it as any refused create. Only the names are kept (about
 * 40 bytes each), never the users.
 */
export class TenantNames {
  private constructor(private readonly names: Set<string>) {}

  /**
   * Lists the tenant when that costs fewer calls than looking the rows' names up, 100 a call, in
   * each of `passes` (the preview and the run): ⌈T / 300⌉ against about `passes` × ⌈2 × rows / 100⌉.
   * Duo's first page says T (`metadata.total_objects`); when listing is dearer, that one call is all
   * it cost, and null says: look the names up.
   */
  static async listIfCheaper(client: DuoClient, rows: number, passes: number): Promise<TenantNames | null> {
    const lookups = passes * Math.ceil((2 * rows) / LOOKUP_CHUNK);
    if (lookups <= 1) return null;
    const names = new Set<string>();
    let first = true;
    for await (const page of userPages(client)) {
      if (first && (page.total === null || Math.ceil(page.total / USER_PAGE) >= lookups)) return null;
      first = false;
      for (const user of page.items) for (const name of allNames(namesOf(user))) names.add(nameKey(name));
    }
    return new TenantNames(names);
  }

  /** Whether Duo may hold this name (it did when listed, or this run may have given it to someone since). */
  mayHold(name: string): boolean {
    return this.names.has(nameKey(name));
  }

  /** Names this run may have put into Duo (its rows' names, once processed). */
  add(names: Iterable<string>): void {
    for (const name of names) if (name !== '') this.names.add(nameKey(name));
  }
}
