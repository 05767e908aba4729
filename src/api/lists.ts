/** List envelopes (`{object:'list', data, has_more, url}`) and the shared list params. */
import type { ListOptions, Page, StoredObject } from '../storage/objects.ts';

export interface ListEnvelope<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

export function listEnvelope<T>(url: string, data: T[], hasMore: boolean): ListEnvelope<T> {
  return { object: 'list', data, has_more: hasMore, url };
}

/** Wraps a page of stored objects, mapping each through `serialize` (default: its API shape). */
export function pageEnvelope<T, U = T>(
  url: string,
  page: Page<T>,
  serialize: (o: StoredObject<T>) => U = (o) => o.data as unknown as U,
): ListEnvelope<U> {
  return listEnvelope(url, page.data.map(serialize), page.has_more);
}

/** Picks the pagination options out of parsed list params. */
export function pagination(params: { limit?: number; starting_after?: string; ending_before?: string }): ListOptions {
  return {
    ...(params.limit !== undefined ? { limit: params.limit } : {}),
    ...(params.starting_after !== undefined ? { starting_after: params.starting_after } : {}),
    ...(params.ending_before !== undefined ? { ending_before: params.ending_before } : {}),
  };
}
