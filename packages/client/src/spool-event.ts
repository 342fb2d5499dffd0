/**
 * One event of a topic, as a subscription delivers it.
 *
 * @example
 * sub.listen((ev: SpoolEvent) => console.log(ev.topic, ev.id, ev.event, ev.data));
 */
export interface SpoolEvent<T = unknown> {
  /** The topic the event belongs to. */
  topic: string;
  /** Event ID `<ms>-<seq>`; for a {@link RESET_EVENT} item, the earliest ID still available. */
  id: string;
  /**
   * The event's type, as the producer published it (`msg.delta`, or {@link RESET_EVENT} for a reset item).
   */
  event: string;
  /** The event's payload, as parsed from JSON; for a reset item, `{ earliest }`. */
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
  /** The topic whose events are delivered. */
  readonly topic: string;
  /** Adds a listener for every event (and reset item); returns a function that removes it. */
  listen(listener: (ev: SpoolEvent) => void): () => void;
}

/**
 * The store shape React's `useSyncExternalStore` takes: `getSnapshot()` returns the same
 * object until something changes, and a new one after.
 */
export interface ExternalStore<T> {
  /** Adds a listener called after each change; returns a function that removes it. */
  subscribe(listener: () => void): () => void;
  /** The current value: the same object until something changes. */
  getSnapshot(): T;
}
