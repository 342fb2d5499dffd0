/**
 * One event of a topic, as a subscription delivers it.
 *
 * @example
 * sub.listen((ev: SpoolEvent) => console.log(ev.topic, ev.id, ev.event, ev.data));
 */
export interface SpoolEvent<T = unknown> {
  topic: string;
  /** Event ID `<ms>-<seq>`; for a {@link RESET_EVENT} item, the earliest ID still available. */
  id: string;
  event: string;
  data: T;
}

/**
 * The `event` of the item a subscription yields (to its iterator and listeners) when the
 * server sent `reset`: the range after the subscription's last event ID is gone, and the
 * stream continues from `data.earliest`. Loss is surfaced, never silent. It is not an
 * event of the topic, so it does not move `lastEventId`.
 *
 * @example
 * for await (const ev of sub) if (ev.event === RESET_EVENT) reloadFromScratch();
 */
export const RESET_EVENT = 'spool.reset';

/** Anything that delivers a topic's events to listeners: WebSocket and SSE subscriptions. */
export interface SpoolEventSource {
  readonly topic: string;
  /** Adds a listener for every event (and reset item); returns a function that removes it. */
  listen(listener: (ev: SpoolEvent) => void): () => void;
}

/**
 * The store shape React's `useSyncExternalStore` takes: `getSnapshot()` returns the same
 * object until something changes, and a new one after.
 */
export interface ExternalStore<T> {
  subscribe(listener: () => void): () => void;
  getSnapshot(): T;
}

const parts = (id: string) => id.split('-').map(Number) as [number, number];

/**
 * True when event ID `a` comes strictly after `b` (an absent `b` is before everything),
 * comparing `<ms>-<seq>` as a pair of integers. Core's `compareEventIds` also validates,
 * which costs bundle bytes; IDs here come from the server or the caller's resume point.
 */
export function isAfter(a: string, b: string | undefined): boolean {
  if (!b) return true;
  const [am, as] = parts(a);
  const [bm, bs] = parts(b);
  return am > bm || (am === bm && as > bs);
}

/**
 * The resume point just before `from` (the first ID that will follow, from `subok`), so
 * that `after: eventIdBefore(from)` misses nothing. Sequence numbers stay within
 * `Number.MAX_SAFE_INTEGER` (see core's event-id.ts), so that is the largest seq.
 */
export function eventIdBefore(from: string): string {
  const [ms, seq] = parts(from);
  return seq ? `${ms}-${seq - 1}` : ms ? `${ms - 1}-${Number.MAX_SAFE_INTEGER}` : from;
}
