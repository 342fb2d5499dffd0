import type { StreamMeta } from './stream-meta';

/** The channel index key: the type first, because it never contains the separator. */
export function channelKey(channelId: string, channelType: number): string {
  return `${channelType}:${channelId}`;
}

/**
 * Custom-field values that the index holds and `getStreamsByCustomField` matches, by
 * SameValueZero (as `Map` keys). Objects and arrays have no useful equality, so they are
 * stored but never matched.
 */
export function isIndexedFieldValue(value: unknown): boolean {
  const t = typeof value;
  return t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint' || value === null;
}

function addTo<K, T>(map: Map<K, Set<T>>, key: K, item: T): void {
  const set = map.get(key);
  if (set === undefined) map.set(key, new Set([item]));
  else set.add(item);
}

function removeFrom<K, T>(map: Map<K, Set<T>>, key: K, item: T): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(item);
  // Empty sets go, so that `hasChannel` is a single `Map.has` and the maps never grow
  // with channels that once had a stream.
  if (set.size === 0) map.delete(key);
}

/**
 * The cache's secondary indexes: channel → streams, user → streams, and custom field →
 * value → streams. Kept incrementally on open, update and end, so every query is a map
 * lookup instead of a scan (a scan would touch every stream).
 *
 * @example
 * const index = new StreamMetaIndex<string>();
 * index.add(meta, meta.messageId);
 * index.hasChannel('general', 1); // true
 */
export class StreamMetaIndex<T> {
  readonly #byChannel = new Map<string, Set<T>>();
  readonly #byUser = new Map<string, Set<T>>();
  readonly #byField = new Map<string, Map<unknown, Set<T>>>();

  add(meta: StreamMeta, item: T): void {
    addTo(this.#byChannel, channelKey(meta.channelId, meta.channelType), item);
    addTo(this.#byUser, meta.fromUid, item);
    const fields = meta.customFields;
    for (const key in fields) {
      if (!Object.hasOwn(fields, key) || !isIndexedFieldValue(fields[key])) continue;
      let values = this.#byField.get(key);
      if (values === undefined) {
        values = new Map();
        this.#byField.set(key, values);
      }
      addTo(values, fields[key], item);
    }
  }

  /** Removes `item` under the keys `meta` gave it: pass the same meta that was added. */
  remove(meta: StreamMeta, item: T): void {
    removeFrom(this.#byChannel, channelKey(meta.channelId, meta.channelType), item);
    removeFrom(this.#byUser, meta.fromUid, item);
    const fields = meta.customFields;
    for (const key in fields) {
      if (!Object.hasOwn(fields, key) || !isIndexedFieldValue(fields[key])) continue;
      const values = this.#byField.get(key);
      if (values === undefined) continue;
      removeFrom(values, fields[key], item);
      if (values.size === 0) this.#byField.delete(key);
    }
  }

  channel(channelId: string, channelType: number): ReadonlySet<T> | undefined {
    return this.#byChannel.get(channelKey(channelId, channelType));
  }

  hasChannel(channelId: string, channelType: number): boolean {
    return this.#byChannel.has(channelKey(channelId, channelType));
  }

  user(fromUid: string): ReadonlySet<T> | undefined {
    return this.#byUser.get(fromUid);
  }

  field(key: string, value: unknown): ReadonlySet<T> | undefined {
    return this.#byField.get(key)?.get(value);
  }

  /** Number of distinct keys held, for tests that check nothing lingers. */
  keyCount(): number {
    return this.#byChannel.size + this.#byUser.size + this.#byField.size;
  }
}
