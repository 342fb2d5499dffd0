/**
 * A paged list from the HTTP API merged with the newer rows of the `$sys` snapshot, keyed
 * and sorted by `keyOf`. Live rows replace listed ones only once the list has loaded, so a
 * view shows its loading state until the full list arrives.
 *
 * @example mergeLive(query.data?.pages, stats?.topics.list, (t) => t.name, query.data !== undefined)
 */
export function mergeLive<T>(
  pages: ReadonlyArray<{ items: readonly T[] }> | undefined,
  live: readonly T[] | undefined,
  keyOf: (row: T) => string,
  loaded: boolean,
): T[] {
  const byKey = new Map<string, T>();
  for (const page of pages ?? []) for (const row of page.items) byKey.set(keyOf(row), row);
  if (loaded) for (const row of live ?? []) byKey.set(keyOf(row), row);
  return [...byKey.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
}
