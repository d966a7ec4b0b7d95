import type { DuoClient } from './client.js';

/**
 * Every item of a paged Duo listing: asks again at `metadata.next_offset` until Duo gives none
 * (Duo may answer fewer items than asked for, so the offset comes from Duo, never from counting).
 */
export async function* pagedList<T>(client: DuoClient, path: string, params: (offset: number) => Record<string, string>): AsyncGenerator<T> {
  for await (const page of pages<T>(client, path, params)) yield* page.items;
}

/** The pages of a listing, each with the total Duo says the listing holds (`metadata.total_objects`), when it says. */
export async function* pages<T>(client: DuoClient, path: string, params: (offset: number) => Record<string, string>): AsyncGenerator<{ items: T[]; total: number | null }> {
  for (let offset: number | undefined = 0; offset !== undefined; ) {
    const { response, metadata } = await client.get(path, params(offset));
    const total = metadata?.total_objects;
    yield { items: response as T[], total: typeof total === 'number' ? total : null };
    const next = metadata?.next_offset;
    offset = typeof next === 'number' || (typeof next === 'string' && next !== '') ? Number(next) : undefined;
  }
}
