import { type EventId, formatEventId, MIN_EVENT_ID, type ParsedEventId } from '../protocol/event-id';
import type { CatchupReader } from './catchup-reader';
import { compareEventTo, type TopicEvent } from './topic-event';

/** Options of `topic.subscribe`. */
export interface TopicSubscribeOptions {
  /**
   * Resume after this event ID. Leave it out to start live; give `"0-0"` for everything
   * retained.
   */
  after?: EventId | undefined;
  /** Catch up with one `msg.snapshot` per message instead of its deltas (channel topics). */
  compact?: boolean;
  /** Each event, in strictly increasing ID order, catchup first, then live. */
  onEvent(ev: TopicEvent): void;
  /** Part of the missed range is gone; `earliest` is the first ID still available. */
  onReset?(earliest: EventId): void;
  /** Catchup is over; events now arrive as they are appended. */
  onLive?(): void;
  /**
   * Catchup failed (the store is down, say): the subscription is paused and can be
   * `resume()`d. An exception from `onEvent` also lands here, and closes the subscription.
   */
  onError?(err: unknown): void;
  /** The subscription was closed (by `close()`, the signal, or its topic closing). */
  onClose?(): void;
  /** Aborting closes the subscription. */
  signal?: AbortSignal;
}

/** Where a subscription stands. */
export type TopicSubscriptionState = 'catchup' | 'live' | 'paused' | 'closed';

/** What a {@link TopicSubscription} needs from its topic. */
export interface SubscriptionHost {
  /** The last ID fanned out; undefined while the topic is empty. */
  lastParsed(): ParsedEventId | undefined;
  reader(after: EventId, compact: boolean): CatchupReader;
  addLive(sub: TopicSubscription): void;
  removeLive(sub: TopicSubscription): void;
  remove(sub: TopicSubscription): void;
  readonly pageSize: number;
}

/**
 * One subscriber of a topic: catchup, then live, in strict ID order with no gap and no
 * duplicate, including events appended while catchup was in flight. Pausing costs
 * nothing (the subscription leaves the fan-out list and keeps its place); resuming
 * catches up from its last event and goes live again. This is how a WebSocket layer
 * handles a slow consumer: pause it, and resume it from its last ID when it drains.
 *
 * @example
 * const sub = topic.subscribe({ after: lastEventId, onEvent: (ev) => send(topic.frame(ev)) });
 * // out of credit
 * sub.pause();
 * // credit again
 * sub.resume();
 */
export class TopicSubscription {
  readonly #host: SubscriptionHost;
  readonly #options: TopicSubscribeOptions;
  #state: TopicSubscriptionState;
  /** Last event consumed; live events at or before it are not delivered again. */
  #position: ParsedEventId | undefined;
  /** The last event delivered; `#startId` until there is one. */
  #delivered: TopicEvent | undefined;
  readonly #startId: EventId | undefined;
  readonly #onEvent: (ev: TopicEvent) => void;
  /** Just went live: the first live events may be ones catchup already delivered. */
  #fresh = true;
  #reader: CatchupReader | undefined;
  /** Catchup events read but not delivered yet (paused in the middle of a page). */
  #pending: TopicEvent[] = [];
  #pendingReset: EventId | undefined;
  #running = false;
  #onAbort: (() => void) | undefined;

  /** @internal Created by `topic.subscribe`. */
  constructor(host: SubscriptionHost, options: TopicSubscribeOptions) {
    this.#host = host;
    this.#options = options;
    this.#startId = options.after;
    this.#onEvent = options.onEvent;
    if (options.after === undefined) {
      this.#position = host.lastParsed();
      this.#state = 'live';
      host.addLive(this);
    } else {
      this.#reader = host.reader(options.after, options.compact === true);
      this.#state = 'catchup';
      void this.#run();
    }
    if (options.signal) {
      if (options.signal.aborted) this.close();
      else {
        this.#onAbort = () => this.close();
        options.signal.addEventListener('abort', this.#onAbort, { once: true });
      }
    }
  }

  get state(): TopicSubscriptionState {
    return this.#state;
  }

  /** The ID of the last event delivered (or the `after` it started from): where a resume continues. */
  get lastId(): EventId | undefined {
    return this.#delivered?.id ?? this.#startId;
  }

  /** Stops delivery at once and keeps the place. No-op unless catching up or live. */
  pause(): void {
    if (this.#state === 'live') {
      this.#host.removeLive(this);
      this.#reader = undefined;
      if (!this.#fresh && this.#delivered) this.#position = this.#delivered;
    } else if (this.#state !== 'catchup') return;
    this.#state = 'paused';
  }

  /** Catches up from the last event, then goes live. No-op unless paused. */
  resume(): void {
    if (this.#state !== 'paused') return;
    this.#reader ??= this.#host.reader(
      this.#position ? formatEventId(this.#position) : MIN_EVENT_ID,
      this.#options.compact === true,
    );
    this.#state = 'catchup';
    void this.#run();
  }

  /** Ends the subscription for good. */
  close(): void {
    if (this.#state === 'closed') return;
    const wasLive = this.#state === 'live';
    this.#state = 'closed';
    if (wasLive) this.#host.removeLive(this);
    this.#host.remove(this);
    this.#reader = undefined;
    this.#pending = [];
    if (this.#onAbort) this.#options.signal?.removeEventListener('abort', this.#onAbort);
    this.#options.onClose?.();
  }

  /** @internal The topic's fan-out. */
  deliverLive(ev: TopicEvent): void {
    if (this.#state !== 'live') return;
    if (this.#fresh) {
      // Fan-out is in ID order, so only the first events after going live need the check.
      const at = this.#position;
      if (at !== undefined && (ev.ms < at.ms || (ev.ms === at.ms && ev.seq <= at.seq))) return;
      this.#fresh = false;
    }
    // Live, the place is the last delivered event (`#position` catches up on pause).
    this.#delivered = ev;
    try {
      this.#onEvent(ev);
    } catch (err) {
      this.#failed(err, true);
    }
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#state === 'catchup') {
        if (!this.#deliverPending()) return;
        const reader = this.#reader!;
        const page = await reader.next(this.#host.pageSize);
        this.#pendingReset = page.reset;
        this.#pending = page.events;
        if (!this.#deliverPending()) return;
        const last = this.#host.lastParsed();
        // Synchronously with the check, so no append can slip between catchup and live.
        if (page.done && (last === undefined || compareEventTo(reader.position, last) >= 0)) {
          this.#position = this.#max(reader.position);
          this.#reader = undefined;
          this.#fresh = true;
          this.#state = 'live';
          this.#host.addLive(this);
          this.#options.onLive?.();
          return;
        }
      }
    } catch (err) {
      this.#failed(err, false);
    } finally {
      this.#running = false;
    }
  }

  /** Delivers what a page left; false when paused or closed on the way. */
  #deliverPending(): boolean {
    if (this.#state !== 'catchup') return false;
    if (this.#pendingReset !== undefined) {
      const earliest = this.#pendingReset;
      this.#pendingReset = undefined;
      this.#options.onReset?.(earliest);
    }
    const events = this.#pending;
    for (let i = 0; i < events.length; i++) {
      if (this.#state !== 'catchup') {
        this.#pending = events.slice(i);
        return false;
      }
      const ev = events[i]!;
      this.#position = ev;
      this.#delivered = ev;
      try {
        this.#onEvent(ev);
      } catch (err) {
        this.#pending = [];
        this.#failed(err, true);
        return false;
      }
    }
    this.#pending = [];
    return this.#state === 'catchup';
  }

  #max(id: ParsedEventId): ParsedEventId {
    const at = this.#position;
    return at === undefined || compareEventTo(id, at) > 0 ? { ms: id.ms, seq: id.seq } : at;
  }

  #failed(err: unknown, fatal: boolean): void {
    if (fatal) this.close();
    else if (this.#state === 'catchup') this.#state = 'paused';
    this.#options.onError?.(err);
  }
}
