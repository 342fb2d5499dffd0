import {
  type BrokerStreamSnapshot,
  isSpoolError,
  SpoolError,
  type StreamBroker,
  type XgroupCreateOptions,
} from '@spool/core';

/** Options of {@link KnownStreamKeys}. */
export interface KnownStreamKeysOptions {
  /**
   * Keys remembered at most; past it the least recently written is forgotten (it may come
   * back on its next write). Bounds memory when clients invent keys.
   * @default 10000
   */
  maxKeys?: number;
}

/** Defaults of {@link KnownStreamKeysOptions}. */
export const knownStreamKeysDefaults = Object.freeze({ maxKeys: 10_000 });

/**
 * The broker streams this server knows of, for `GET /v1/streams`, `$sys` and `/metrics`.
 * The `StreamBroker` interface has no key listing (Redis would need a SCAN over the whole
 * keyspace), so Spool remembers every key written through its own broker instead (see
 * {@link trackStreamKeys}), most recently written last. `pinned` keys are never forgotten.
 *
 * @example
 * const keys = new KnownStreamKeys(['spool:completed']);
 * keys.touch('jobs');
 * keys.list(); // ['jobs', 'spool:completed']
 */
export class KnownStreamKeys {
  private readonly keys = new Set<string>();
  private readonly pinned: ReadonlySet<string>;
  private readonly maxKeys: number;

  constructor(pinned: Iterable<string> = [], options: KnownStreamKeysOptions = {}) {
    const maxKeys = options.maxKeys ?? knownStreamKeysDefaults.maxKeys;
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
      throw new SpoolError(
        'INVALID_OPTION',
        `\`maxKeys\` must be a positive integer, got ${String(maxKeys)}.`,
      );
    }
    this.maxKeys = maxKeys;
    this.pinned = new Set(pinned);
    for (const key of this.pinned) this.keys.add(key);
  }

  /** Notes a write to `key` (it becomes the most recent). */
  touch(key: string): void {
    this.keys.delete(key);
    this.keys.add(key);
    if (this.keys.size <= this.maxKeys) return;
    for (const oldest of this.keys) {
      if (this.keys.size <= this.maxKeys) break;
      if (!this.pinned.has(oldest)) this.keys.delete(oldest);
    }
  }

  /** Forgets a key (its stream is gone). Pinned keys stay. */
  forget(key: string): void {
    if (!this.pinned.has(key)) this.keys.delete(key);
  }

  /** Whether the key is known. */
  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Keys known now. */
  get size(): number {
    return this.keys.size;
  }

  /** Every key, in name order. */
  list(): string[] {
    return [...this.keys].sort();
  }

  /** The `n` most recently written keys, newest first. */
  recent(n: number): string[] {
    return [...this.keys].reverse().slice(0, Math.max(0, n));
  }
}

/**
 * Wraps a broker so that every key it writes (XADD, `xaddOnce`, XGROUP CREATE … MKSTREAM) is noted in
 * `keys`. Everything else passes straight through to `broker`, which stays the one
 * doing the work (and closing).
 *
 * @example
 * const broker = trackStreamKeys(new MemoryBroker(), keys);
 * await broker.xadd('jobs', { kind: 'email' }); // keys.has('jobs') === true
 */
export function trackStreamKeys(broker: StreamBroker, keys: KnownStreamKeys): StreamBroker {
  const overrides: Partial<StreamBroker> = {
    xadd: async (key, fields, options) => {
      const id = await broker.xadd(key, fields, options);
      if (id !== null) keys.touch(key);
      return id;
    },
    xaddOnce: async (key, onceKey, fields) => {
      const reply = await broker.xaddOnce(key, onceKey, fields);
      if (reply.added) keys.touch(key);
      return reply;
    },
    xgroupCreate: async (key: string, group: string, id: string, options?: XgroupCreateOptions) => {
      await broker.xgroupCreate(key, group, id, options);
      keys.touch(key);
    },
  };
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(broker, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof StreamBroker];
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      // Bound to the real broker, so private fields and `this` work as if called directly.
      let fn = bound.get(prop);
      if (fn === undefined) {
        fn = (value as (...args: unknown[]) => unknown).bind(target);
        bound.set(prop, fn);
      }
      return fn;
    },
  });
}

/**
 * A broker stream as the operators see it (`GET /v1/streams`, `$sys`): length, last ID, and
 * each group's consumers, pending count and lag. Undefined when the stream does not exist.
 *
 * @example const snapshot = await brokerStreamSnapshot(spool.broker, 'spool:completed');
 */
export async function brokerStreamSnapshot(
  broker: StreamBroker,
  key: string,
): Promise<BrokerStreamSnapshot | undefined> {
  try {
    const [info, groups] = await Promise.all([broker.xinfoStream(key), broker.xinfoGroups(key)]);
    return {
      key,
      length: info.length,
      lastId: info.lastGeneratedId === '0-0' ? null : info.lastGeneratedId,
      groups: groups.map((g) => ({
        name: g.name,
        consumers: g.consumers,
        pending: g.pending,
        lag: g.lag,
        lastDeliveredId: g.lastDeliveredId,
      })),
    };
  } catch (err) {
    if (isSpoolError(err, 'NO_SUCH_KEY')) return undefined;
    throw err;
  }
}
