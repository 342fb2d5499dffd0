import {
  type EventId,
  formatEventId,
  idAfter,
  idBefore,
  type ParsedEventId,
  parseEventId,
} from '../protocol/event-id';
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
  /** Each event, in strictly increasing ID order, catchup first, then live (a reset may restart the order). */
  onEvent(ev: TopicEvent): void;
  /**
   * Called once, before anything else is delivered, with the first ID that can follow (a
   * WebSocket `subok.from`): on a live start, the ID right after the topic's position; on
   * a resume, the ID right after `after`, or `earliest` when the resume starts with a
   * reset. On a resume it waits for the first catchup page, which decides that.
   */
  onReady?(from: EventId): void;
  /**
   * Part of the missed range is gone, or the position never existed in this log;
   * `earliest` is the first ID still available. Events from `earliest` on follow, even
   * ones below the old position: the subscription's position is now just below it.
   */
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
  /** Where a live start stands: the last ID fanned out, else the log's floor. */
  position(): ParsedEventId;
  /**
   * Where a live start stands once it is known (a shared log reading its end), or
   * undefined when `position()` can be trusted now.
   */
  settling(): Promise<ParsedEventId> | undefined;
  /** A reader of the topic's history after `after`, compacted to snapshots when `compact`. */
  reader(after: EventId, compact: boolean): CatchupReader;
  /** The subscription caught up: the topic fans new events out to it. */
  addLive(sub: TopicSubscription): void;
  /** The subscription leaves the live fan-out (paused, or closing). */
  removeLive(sub: TopicSubscription): void;
  /** The subscription closed: the topic forgets it. */
  remove(sub: TopicSubscription): void;
  /** Events read per page of catch-up. */
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
  /** Where delivery started: `after`, a live start's position, or just below a reset's `earliest`. */
  #startId: EventId | undefined;
  /** `onReady` is still due. */
  #unready = true;
  readonly #onEvent: (ev: TopicEvent) => void;
  /** Just went live: the first live events may be ones catchup already delivered. */
  #fresh = true;
  #reader: CatchupReader | undefined;
  /** Catchup events read but not delivered yet (paused in the middle of a page). */
  #pending: TopicEvent[] = [];
  #pendingReset: EventId | undefined;
  #running = false;
  /** A live start waiting for its topic's position (a remote log still loading). */
  #deferred = false;
  #onAbort: (() => void) | undefined;

  /** @internal Created by `topic.subscribe`. */
  constructor(host: SubscriptionHost, options: TopicSubscribeOptions) {
    this.#host = host;
    this.#options = options;
    this.#startId = options.after;
    this.#onEvent = options.onEvent;
    const settling = options.after === undefined ? host.settling() : undefined;
    if (settling) {
      // Nothing is delivered before the position is known; a failed load starts at the guess.
      this.#deferred = true;
      this.#state = 'catchup';
      settling.then(
        (at) => this.#startAt(at),
        () => this.#startAt(undefined),
      );
    } else if (options.after === undefined) {
      this.#state = 'live';
      this.#startLive();
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

  /** Where the subscription stands: catching up, live, paused, or closed. */
  get state(): TopicSubscriptionState {
    return this.#state;
  }

  // A getter, so TypeScript does not narrow `#state` across the awaits that may close it.
  get #closed(): boolean {
    return this.#state === 'closed';
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
    if (this.#deferred) {
      this.#state = 'catchup';
      return;
    }
    this.#reader ??= this.#host.reader(
      this.#position ? formatEventId(this.#position) : this.#startId!,
      this.#options.compact === true,
    );
    this.#state = 'catchup';
    void this.#run();
  }

  /** A live start: at the topic's position, announced with `onReady`. */
  #startLive(): void {
    const at = this.#host.position();
    this.#position = at;
    this.#startId = formatEventId(at);
    this.#host.addLive(this);
    this.#ready(formatEventId(idAfter(at)));
  }

  /**
   * A live start whose position came late (`settling`): a resume from there, so that what
   * was appended while it waited comes through catchup (`onReady` with its first page).
   * Without a position (the read failed), it starts at the topic's.
   */
  #startAt(at: ParsedEventId | undefined): void {
    this.#deferred = false;
    if (this.#state === 'closed') return;
    this.#startId = formatEventId(at ?? this.#host.position());
    this.#reader = this.#host.reader(this.#startId, this.#options.compact === true);
    if (this.#state === 'catchup') void this.#run();
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
        if (this.#closed) return;
        this.#pendingReset = page.reset;
        this.#pending = page.events;
        if (this.#unready) {
          this.#ready(page.reset ?? formatEventId(idAfter(parseEventId(this.#startId!))));
          if (this.#closed) return;
        }
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
      // Delivery starts over just below `earliest`, which may lie below the old position
      // (the reader moved back for a position the log never held).
      this.#position = undefined;
      this.#delivered = undefined;
      this.#startId = formatEventId(idBefore(parseEventId(earliest)));
      this.#options.onReset?.(earliest);
      if (this.#state !== 'catchup') return false;
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

  #ready(from: EventId): void {
    this.#unready = false;
    try {
      this.#options.onReady?.(from);
    } catch (err) {
      this.#failed(err, true);
    }
  }

  #max(id: ParsedEventId): ParsedEventId {
    const at = this.#position;
    return at === undefined || compareEventTo(id, at) > 0 ? { ms: id.ms, seq: id.seq } : at;
  }

  /** Reports `err` first, then closes (fatal) or pauses: a subscription never ends silently. */
  #failed(err: unknown, fatal: boolean): void {
    if (!fatal && this.#state === 'catchup') this.#state = 'paused';
    this.#options.onError?.(err);
    if (fatal) this.close();
  }
}
