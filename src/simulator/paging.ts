import { Refusal } from './engine-state.js';
import type { Answer, Params } from './route.js';

export interface Paging {
  readonly limit: number;
  readonly offset: number;
}

/** limit and offset as Duo documents them: whole numbers, limit 1..max; anything else is refused, never looped on. */
export function paging(params: Params, fallback: number, max: number): Paging {
  const whole = (name: string, value: string | undefined, least: number): number | undefined => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value.trim()) || Number(value) < least) throw new Refusal(400, 40002, 'Invalid request parameters', name);
    return Number(value);
  };
  return { limit: Math.min(whole('limit', params.limit, 1) ?? fallback, max), offset: whole('offset', params.offset, 0) ?? 0 };
}

/** One page of a listing, with Duo's paging metadata. */
export function pageOf<T>(all: T[], { limit, offset }: Paging, view: (item: T) => unknown): Required<Answer> {
  const next = offset + limit < all.length ? offset + limit : undefined;
  return {
    response: all.slice(offset, offset + limit).map(view),
    metadata: { total_objects: all.length, ...(next === undefined ? {} : { next_offset: next }), prev_offset: Math.max(0, offset - limit) },
  };
}

/** The page the request's limit and offset name (100 a page when it names no limit). */
export function page<T>(all: T[], params: Params, max: number, view: (item: T) => unknown): Required<Answer> {
  return pageOf(all, paging(params, 100, max), view);
}
