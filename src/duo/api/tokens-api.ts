import type { TokenRef } from '../../token.js';
import type { DuoClient } from './client.js';
import { pagedList } from './paging.js';

/** The parts of Duo's hardware token object that duo-bridge reads. */
export interface DuoToken {
  readonly token_id: string;
  readonly type: string;
  readonly serial: string;
  readonly users?: readonly { readonly user_id: string; readonly username?: string }[];
}

const TOKEN_PAGE = 500;

/** The token of this type and serial, or null: Duo's `type`+`serial` lookup answers a list of 0 or 1. */
export async function findToken(client: DuoClient, token: TokenRef): Promise<DuoToken | null> {
  const { response } = await client.get('/admin/v1/tokens', { type: token.type, serial: token.serial });
  return (response as DuoToken[]).find((t) => t.serial === token.serial && t.type === token.type) ?? null;
}

/** Every hardware token of the tenant, 500 a page (what a snapshot keeps). */
export function listTokens(client: DuoClient): AsyncGenerator<DuoToken> {
  return pagedList<DuoToken>(client, '/admin/v1/tokens', (offset) => ({ limit: String(TOKEN_PAGE), offset: String(offset) }));
}

export function attachToken(client: DuoClient, userId: string, tokenId: string): Promise<unknown> {
  return client.post(`/admin/v1/users/${encodeURIComponent(userId)}/tokens`, { token_id: tokenId });
}

export function detachToken(client: DuoClient, userId: string, tokenId: string): Promise<unknown> {
  return client.delete(`/admin/v1/users/${encodeURIComponent(userId)}/tokens/${encodeURIComponent(tokenId)}`);
}
