import { intParam } from './request-input';

/** A page of a list route: `{ items, next }`, `next` being the cursor of the following page (docs/http-api.md). */
export interface ListPage<T> {
  /** The items of this page. */
  items: T[];
  /** The cursor of the following page; `null` on the last page. */
  next: string | null;
}

/** Bounds of the `limit` query parameter of every list route. */
export const listPageDefaults = Object.freeze({ limit: 100, maxLimit: 1000 });

/**
 * One page of `items`, ordered by `keyOf` under `compare`: the first `limit` items whose
 * key comes after `cursor`. The cursor is the last key of the previous page, so a page
 * never repeats or skips an item that stayed in the list while the caller paged, even if
 * others came and went meanwhile (a keyset cursor, not an offset).
 *
 * @example
 * const page = listPage(topics, (t) => t.name, (a, b) => (a < b ? -1 : a > b ? 1 : 0), ctx.url);
 */
export function listPage<T>(
  items: Iterable<T>,
  keyOf: (item: T) => string,
  compare: (a: string, b: string) => number,
  url: URL,
): ListPage<T> {
  const limit = intParam(url, 'limit', { min: 1, max: listPageDefaults.maxLimit }, listPageDefaults.limit);
  const cursor = url.searchParams.get('cursor') || undefined;
  const sorted = [...items].sort((a, b) => compare(keyOf(a), keyOf(b)));
  const after = cursor === undefined ? sorted : sorted.filter((item) => compare(keyOf(item), cursor) > 0);
  const page = after.slice(0, limit);
  return { items: page, next: after.length > limit ? keyOf(page[page.length - 1]!) : null };
}

/** Plain string order (UTF-16 code units), for names. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Decimal message IDs in numeric order (they are 64-bit: compared by length, then text). */
export function compareDecimal(a: string, b: string): number {
  return a.length - b.length || compareText(a, b);
}
