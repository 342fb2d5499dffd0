import type { SpoolError } from '@spool/core';
import { eventIdJustBefore, isEventIdAfter } from '@spool/core/protocol';
import { RESET_EVENT, type SpoolEvent, type SpoolEventSource } from './spool-event';

/** Options of {@link SpoolClient.subscribe}: where the subscription starts, and its callbacks. */
export interface SubscribeOptions {
  /** Start after this event ID (`"0-0"`: everything retained). Absent: start live. */
  after?: string;
  /** Catch up with one `msg.snapshot` per message instead of every delta. @default false */
  compact?: boolean;
  /** Called for every event, in order, exactly once (snapshots included). */
  onEvent?(ev: SpoolEvent): void;
  /** Called with the data of each `msg.snapshot` event (after `onEvent`). */
  onSnapshot?(data: unknown): void;
  /**
   * The server cannot serve exactly what follows `lastEventId` (the range is gone, or the
   * position never existed there: a restart, a forged or future ID). Everything it holds
   * follows from `earliest`, which may be below the old `lastEventId`.
   */
  onReset?(earliest: string): void;
  /** The subscription failed for good (e.g. `FORBIDDEN`) and is over. */
  onError?(err: SpoolError): void;
}

/** What a subscription needs from whatever feeds it (the client, or the SSE reader). */
export interface SubscriptionLink {
  /** The subscription left: stop feeding it. */
  drop(sub: Subscription): void;
  /** The application took items off the subscription's buffer: credit may be granted. */
  consumed(sub: Subscription): void;
}

/**
 * One subscription to a topic. It delivers each event once and in order (events at or
 * before `lastEventId` are dropped), to `onEvent`, to listeners, and to its async iterator.
 * After a reconnect it resumes from `lastEventId`.
 *
 * @example
 * const sub = client.subscribe('chan:1:general', { after: '0-0' });
 * for await (const ev of sub) console.log(ev.id, ev.event, ev.data);
 */
export class Subscription implements SpoolEventSource, AsyncIterable<SpoolEvent> {
  // `declare`: set in the constructor, so no class fields are emitted for them (size budget,
  // docs/architecture.md).
  /**
   * The resume point: the ID of the last event delivered, or where the subscription
   * started (`after`, or just before the first ID the server said would follow).
   */
  declare lastEventId: string | undefined;
  /** The topic subscribed to. */
  declare readonly topic: string;
  /** The options the subscription was made with. */
  declare readonly options: SubscribeOptions;
  /** What feeds the subscription: the client, or the SSE reader. */
  declare readonly link: SubscriptionLink;
  /** Items the iterator has not pulled yet; only kept once iteration started. */
  readonly buffer: SpoolEvent[] = [];
  #listeners = new Set<(ev: SpoolEvent) => void>();
  #iterating = false;
  /** The pending `next()` of the iterator, as its resolve and reject. */
  #waiter: [(r: IteratorResult<SpoolEvent>) => void, (err: unknown) => void] | undefined;
  #error: SpoolError | undefined;
  #done = false;

  constructor(topic: string, options: SubscribeOptions, link: SubscriptionLink) {
    this.topic = topic;
    this.options = options;
    this.link = link;
    this.lastEventId = options.after;
  }

  /** False once unsubscribed, failed or closed. */
  get active(): boolean {
    return !this.#done;
  }

  /** Adds a listener for every event and reset item; returns the function that removes it. */
  listen(listener: (ev: SpoolEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Delivers `ev` unless it is at or before `lastEventId`. Returns whether it was new. */
  deliver(ev: SpoolEvent): boolean {
    if (this.#done || !isEventIdAfter(ev.id, this.lastEventId)) return false;
    this.lastEventId = ev.id;
    this.options.onEvent?.(ev);
    if (ev.event === 'msg.snapshot') this.options.onSnapshot?.(ev.data);
    this.#emit(ev);
    return true;
  }

  /**
   * Surfaces a `reset` and moves `lastEventId` to just below `earliest`: the new history
   * starts there, possibly below the old position, and none of it may be dropped as
   * "already seen" (docs/protocol.md, "The resume rule").
   */
  reset(earliest: string): void {
    if (this.#done) return;
    this.lastEventId = eventIdJustBefore(earliest);
    this.options.onReset?.(earliest);
    this.#emit({ topic: this.topic, id: earliest, event: RESET_EVENT, data: { earliest } });
  }

  #emit(ev: SpoolEvent): void {
    for (const l of this.#listeners) l(ev);
    if (!this.#iterating) return;
    if (this.#waiter) this.#settle(ev);
    else this.buffer.push(ev);
  }

  #settle(value?: SpoolEvent, err?: unknown): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    if (err) w?.[1](err);
    else w?.[0](value ? { value, done: false } : { value: undefined, done: true });
  }

  /** Ends the subscription: with `err`, the iterator throws it and `onError` hears it. */
  end(err?: SpoolError): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = err;
    if (err) this.options.onError?.(err);
    this.#settle(undefined, err);
  }

  /** Stops the subscription; a running `for await` loop finishes. */
  unsubscribe(): void {
    if (this.#done) return;
    this.end();
    this.link.drop(this);
  }

  /**
   * Iterates the subscription's events and reset items in order; the loop ends when the subscription ends,
   * and throws the error it failed with.
   */
  [Symbol.asyncIterator](): AsyncIterator<SpoolEvent> {
    this.#iterating = true;
    return {
      next: () => {
        const ev = this.buffer.shift();
        if (ev) {
          this.link.consumed(this);
          return Promise.resolve({ value: ev, done: false });
        }
        if (this.#error) return Promise.reject(this.#error);
        if (this.#done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((ok, ko) => {
          this.#waiter = [ok, ko];
        });
      },
      return: () => {
        this.unsubscribe();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
