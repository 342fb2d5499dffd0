import { SpoolError } from '../errors';
import {
  compareEventIds,
  type EventId,
  formatEventId,
  MIN_EVENT_ID,
  nextEventId,
  type ParsedEventId,
  parseEventId,
} from '../protocol/event-id';
import { type MessageIdInput, toMessageId } from '../protocol/message-id';
import type { TopicStatsSnapshot } from '../stats';
import { type Clock, realClock } from '../time/clock';
import { CatchupGate } from './catchup-gate';
import { logCatchup, type TopicCatchup, type TopicCatchupSource } from './catchup-plan';
import { type CatchupHost, type CatchupPage, CatchupReader } from './catchup-reader';
import { EventRateMeter } from './event-rate-meter';
import { MemoryTopicLog } from './memory-topic-log';
import { MessageLedger } from './message-ledger';
import {
  type RetainUntilPersisted,
  resolveTopicRetention,
  type TopicRetention,
  type TrimRules,
} from './retention';
import { compareEventTo, encodeTopicPayload, type TopicEvent, topicEventFrame } from './topic-event';
import type { TopicLog, TopicLogWatcher } from './topic-log';
import { assertTopicName } from './topic-name';
import { type SubscriptionHost, type TopicSubscribeOptions, TopicSubscription } from './topic-subscription';

/** Options of {@link Topic}. */
export interface TopicOptions {
  /** The storage. @default a MemoryTopicLog on `clock` */
  log?: TopicLog;
  /** See {@link TopicRetention}. @default topicRetentionDefaults */
  retention?: Partial<TopicRetention>;
  /** Fills a gap older than the retained log (later: the store). @default none: a gap gets a reset */
  catchupSource?: TopicCatchupSource;
  /**
   * The resume strategy, e.g. a {@link ChannelCatchup} on channel topics; one that names a
   * `retainUntilPersisted` needs the topic to have that policy. @default logCatchup()
   */
  catchup?: TopicCatchup;
  /** IDs, ages, rates. @default realClock */
  clock?: Clock;
  /** What retention must not trim yet (see {@link RetainUntilPersisted}). @default 'none' */
  retainUntilPersisted?: RetainUntilPersisted;
  /**
   * `retainUntilPersisted: 'messages'`: trimmed `msg.end` events, and messages squeezed out before they were
   * persisted, remembered for resumes (each kind); beyond it a resume from before them
   * gets a reset. @default 10_000
   */
  maxTombstones?: number;
  /** Events per catchup page of a subscription. @default 256 */
  catchupPageSize?: number;
  /**
   * The default log's creation floor (see {@link MemoryTopicLogOptions.creationFloor}).
   * @default the ID just below `<clock.now()>-0`
   */
  creationFloor?: EventId;
  /** Where an exception thrown by an `onAppend` listener goes. @default globalThis.reportError, else console.error */
  onError?: (err: unknown) => void;
}

/** Defaults of {@link TopicOptions} (retention: `topicRetentionDefaults`). */
export const topicDefaults = { catchupPageSize: 256, maxTombstones: 10_000 } as const;

/** What `topic.read` returns: one catchup page. */
export type TopicReadResult = CatchupPage;

/**
 * A named, append-only event log with bounded retention, fanned out to many subscribers.
 * Catchup after an ID is a binary search in the retained log, O(log n + k);
 * older IDs go to the catchup strategy (the store, on channel topics); when nothing can
 * serve them the subscriber gets a `reset`. Topics are separate from the broker.
 *
 * @example
 * const topic = new Topic('news', { retention: { maxEvents: 1000, maxBytes: 2 ** 20, maxAgeMs: 60_000 } });
 * const sub = topic.subscribe({ after: '0-0', onEvent: (ev) => console.log(ev.id, ev.data) });
 * const ev = await topic.append('message', { text: 'hello' });
 */
export class Topic {
  /** The topic's name. */
  readonly name: string;
  /** When the topic was created (ms since the epoch, on its clock). */
  readonly createdAt: number;
  readonly #clock: Clock;
  readonly #log: TopicLog;
  readonly #retention: TopicRetention;
  readonly #rules: TrimRules;
  readonly #mode: RetainUntilPersisted;
  /** Replaced when the log reports a loss: the new one knows nothing before the new floor. */
  #ledger: MessageLedger | undefined;
  readonly #maxTombstones: number;
  readonly #offLost: (() => void) | undefined;
  /** The log is shared with other writers: fan-out comes from its `watch`, never from `append`. */
  readonly #shared: boolean;
  readonly #watcher: TopicLogWatcher;
  /** Stops the log's `watch`; set while the topic has subscribers or listeners. */
  #offWatch: (() => void) | undefined;
  readonly #catchup: TopicCatchup;
  readonly #source: TopicCatchupSource | undefined;
  readonly #pageSize: number;
  readonly #onError: (err: unknown) => void;
  readonly #gate = new CatchupGate();
  readonly #catchupHost: CatchupHost;
  readonly #subHost: SubscriptionHost;
  readonly #rate: EventRateMeter;
  #last: ParsedEventId | undefined;
  /** Fan-out lists are copied on change, so a callback may (un)subscribe mid fan-out. */
  #live: TopicSubscription[] = [];
  #listeners: ((ev: TopicEvent) => void)[] = [];
  readonly #subs = new Set<TopicSubscription>();
  /** `events`/`none` modes: everything up to here has been persisted. */
  #watermark: ParsedEventId = parseEventId(MIN_EVENT_ID);
  #inflight: ParsedEventId | undefined;
  #persistChain: Promise<unknown> = Promise.resolve();
  #lastActivity: number;
  #closed = false;

  constructor(name: string, options: TopicOptions = {}) {
    assertTopicName(name);
    this.name = name;
    this.#clock = options.clock ?? realClock;
    this.#retention = resolveTopicRetention(options.retention);
    this.#log =
      options.log ??
      new MemoryTopicLog({
        clock: this.#clock,
        ...(options.creationFloor === undefined ? {} : { creationFloor: options.creationFloor }),
      });
    this.#mode = options.retainUntilPersisted ?? 'none';
    if (!['none', 'events', 'messages'].includes(this.#mode))
      throw new SpoolError(
        'INVALID_OPTION',
        `\`retainUntilPersisted\` must be 'none', 'events' or 'messages', got ${JSON.stringify(this.#mode)}.`,
      );
    // A catchup strategy may rely on a policy's bookkeeping (ChannelCatchup on the message
    // ledger): refused here, rather than resumes quietly falling back to the log alone.
    const needs = options.catchup?.retainUntilPersisted;
    if (needs !== undefined && needs !== this.#mode)
      throw new SpoolError(
        'INVALID_OPTION',
        `Topic "${name}": its \`catchup\` works only with \`retainUntilPersisted: '${needs}'\`, got '${this.#mode}'. Pass both together (e.g. in one TopicRegistry pattern).`,
      );
    const maxTombstones = options.maxTombstones ?? topicDefaults.maxTombstones;
    this.#pageSize = options.catchupPageSize ?? topicDefaults.catchupPageSize;
    for (const [key, value] of [
      ['maxTombstones', maxTombstones],
      ['catchupPageSize', this.#pageSize],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 1)
        throw new SpoolError(
          'INVALID_OPTION',
          `\`${key}\` must be a positive integer, got ${String(value)}.`,
        );
    }
    // The ledger learns of trims from now on: what the log had already lost (its floor now)
    // is before its knowledge, so a resume from there is never taken for fully covered.
    this.#maxTombstones = maxTombstones;
    this.#ledger =
      this.#mode === 'messages' ? new MessageLedger(maxTombstones, parseEventId(this.#log.floor)) : undefined;
    this.#catchup = options.catchup ?? logCatchup();
    this.#source = options.catchupSource;
    this.#onError = options.onError ?? defaultReport;
    const last = this.#log.lastId;
    this.#last = last === undefined ? undefined : parseEventId(last);
    this.#shared = typeof this.#log.watch === 'function';
    this.#watcher = { events: (evs) => this.#fanOut(evs), gap: () => this.#rewindLive() };
    this.#rules = {
      ...this.#retention,
      isPinned: (ev) => this.#isPinned(ev),
      ...(this.#ledger
        ? { onAppend: (ev) => this.#ledger!.onAppend(ev), onDrop: (ev) => this.#ledger!.onDrop(ev) }
        : {}),
    };
    this.#rate = new EventRateMeter(this.#clock);
    this.createdAt = this.#clock.now();
    this.#lastActivity = this.createdAt;
    this.#catchupHost = {
      plan: async (after, fromStart, compact, due) => {
        // One empty read gives the floor (fresh even on a remote log, whose getter may lag)
        // and whether the log holds `after` itself: the two facts the resume rule needs.
        const { floor, holdsAfter } = await this.#log.read(after, 0);
        // The resume rule (docs/protocol.md): a position above the floor that the log does
        // not hold never existed here (a restart, a failover, a forged or future ID). It
        // gets a reset, then everything this topic holds, planned as a resume from `0-0`
        // that claims nothing was seen, so every tier rebuilds what it can.
        const rewind = !fromStart && !holdsAfter && compareEventIds(after, floor) > 0;
        const plan = await this.#catchup.plan({
          topic: this.name,
          after: rewind ? MIN_EVENT_ID : after,
          fromStart,
          compact,
          floor,
          ledger: this.#ledger,
          shared: this.#shared,
          source: this.#source,
          due,
          now: this.#clock.now(),
        });
        if (!rewind) return { ...plan, floor };
        return { ...plan, reset: true, rewind: true, from: plan.from ?? MIN_EVENT_ID, floor };
      },
      readLog: (after, limit) => this.#log.read(after, limit),
      acquire: () => this.#gate.acquire('catchup'),
      pageSize: this.#pageSize,
    };
    this.#subHost = {
      lastParsed: () => this.#last,
      position: () => this.#last ?? parseEventId(this.#log.floor),
      // Not adopted as `#last`: the watcher may not have handed out everything up to it yet,
      // and the subscription catches up from there on its own.
      settling: () => this.#log.ready?.()?.then((at) => parseEventId(at)),
      reader: (after, compact) => this.catchup(after, { compact }),
      addLive: (sub) => {
        this.#live = [...this.#live, sub];
      },
      removeLive: (sub) => {
        this.#live = this.#live.filter((s) => s !== sub);
      },
      remove: (sub) => {
        this.#subs.delete(sub);
        this.#lastActivity = this.#clock.now();
        this.#unwatchIfIdle();
      },
      pageSize: this.#pageSize,
    };
    this.#offLost = this.#log.onLost?.((floor) => this.#lost(floor));
  }

  /** The last ID appended; undefined while the topic is empty. */
  get lastId(): EventId | undefined {
    return this.#last && formatEventId(this.#last);
  }
  /** True once the topic is closed: it takes no more appends or subscriptions. */
  get closed(): boolean {
    return this.#closed;
  }
  /** The topic's retention limits, defaults applied. */
  get retention(): Readonly<TopicRetention> {
    return this.#retention;
  }
  /** Open subscriptions plus `onAppend` listeners. */
  get subscriberCount(): number {
    return this.#subs.size + this.#listeners.length;
  }
  /** Last append, subscribe or unsubscribe, on the topic's clock: what idle cleanup looks at. */
  get lastActivityAt(): number {
    return this.#lastActivity;
  }

  /**
   * Appends an event and fans it out; resolves to it (with its ID) once the log holds it.
   * Give `id` to append with an explicit ID (replication); it must exceed the last.
   * Give `key` (a publish idempotency key, scoped by its publisher) to have a shared log apply
   * it once across instances (TopicLogAppend.key); a log in one process ignores it.
   *
   * @throws SpoolError `TOPIC_CLOSED`, `INVALID_EVENT`, `INVALID_EVENT_ID`, `ID_TOO_SMALL`,
   *   `PAYLOAD_TOO_LARGE` (bigger than `retention.hardMaxBytes`)
   * @example const { id } = await topic.append('msg.delta', { messageId, chunkId: 3, text: 'lo' });
   */
  async append(
    event: string,
    data: unknown,
    options: {
      /** An explicit ID (replication); it must exceed the last. */
      id?: EventId;
      /** A publish idempotency key: a shared log applies it once across instances. */
      key?: string;
    } = {},
  ): Promise<TopicEvent> {
    this.#assertOpen();
    const payload = encodeTopicPayload(event, data);
    if (payload.size > this.#retention.hardMaxBytes)
      throw new SpoolError(
        'PAYLOAD_TOO_LARGE',
        `Event data is ${payload.size} bytes, over this topic's \`retention.hardMaxBytes\` (${this.#retention.hardMaxBytes}): it could never be retained. Split it or raise the limit.`,
      );
    const id = options.id === undefined ? undefined : parseEventId(options.id);
    // Written out, not `{ ...payload, id, key }`: on Node 20 an object spread followed by
    // more properties takes V8's slow path, about 1.2 µs, which was half of every append
    // (docs/benchmarks.md, "Topic append").
    const ev = await this.#log.append(
      {
        event: payload.event,
        data: payload.data,
        json: payload.json,
        size: payload.size,
        messageId: payload.messageId,
        id,
        key: options.key,
      },
      this.#rules,
    );
    this.#lastActivity = this.#clock.now();
    if (this.#shared) {
      // A shared log's watcher already fanned this event out, in order with other writers'
      // events (docs/architecture.md, "Topics across instances"); unwatched, nobody listens.
      if (this.#offWatch === undefined) this.#rate.record();
      if (this.#last === undefined || compareEventTo(ev, this.#last) > 0)
        this.#last = { ms: ev.ms, seq: ev.seq };
      return ev;
    }
    this.#last = { ms: ev.ms, seq: ev.seq };
    this.#rate.record();
    if (this.#closed) return ev;
    this.#deliver(ev);
    return ev;
  }

  #deliver(ev: TopicEvent): void {
    const live = this.#live;
    for (let i = 0; i < live.length; i++) live[i]!.deliverLive(ev);
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!(ev);
      } catch (err) {
        this.#onError(err);
      }
    }
  }

  /** A shared log's watcher: every event, whoever appended it, in ID order. */
  #fanOut(events: readonly TopicEvent[]): void {
    for (const ev of events) {
      if (this.#closed) return;
      if (this.#last !== undefined && compareEventTo(ev, this.#last) <= 0) continue;
      this.#last = { ms: ev.ms, seq: ev.seq };
      this.#rate.record();
      this.#deliver(ev);
    }
  }

  /** Follows the shared log's other writers while someone listens (before the subscriber reads `#last`). */
  #watch(): void {
    if (!this.#shared || this.#offWatch !== undefined || this.#closed) return;
    this.#offWatch = this.#log.watch!(this.#watcher);
    // The watcher starts after the log's last ID: live starts stand there too.
    const last = this.#log.lastId;
    if (
      last !== undefined &&
      (this.#last === undefined || compareEventTo(parseEventId(last), this.#last) > 0)
    )
      this.#last = parseEventId(last);
  }

  #unwatchIfIdle(): void {
    if (this.#offWatch === undefined || this.#subs.size + this.#listeners.length > 0) return;
    this.#offWatch();
    this.#offWatch = undefined;
  }

  /**
   * Subscribes: catchup after `after` (none when it is left out), then live. See
   * {@link TopicSubscription}.
   *
   * @throws SpoolError `TOPIC_CLOSED`, `INVALID_EVENT_ID`, `INVALID_OPTION`
   * @example topic.subscribe({ after: req.headers['last-event-id'], onEvent, onReset });
   */
  subscribe(options: TopicSubscribeOptions): TopicSubscription {
    this.#assertOpen();
    if (typeof options?.onEvent !== 'function')
      throw new SpoolError('INVALID_OPTION', '`onEvent` must be a function that receives each TopicEvent.');
    if (options.after !== undefined) parseEventId(options.after);
    this.#lastActivity = this.#clock.now();
    this.#watch();
    const sub = new TopicSubscription(this.#subHost, options);
    if (sub.state !== 'closed') this.#subs.add(sub);
    else this.#unwatchIfIdle();
    return sub;
  }

  /**
   * A catchup reader after `after`, for pull-style delivery (a WebSocket layer with
   * credits): call `next(limit)` until a page says `done`, then go live via `onAppend`,
   * skipping events at or before the reader's last ID.
   *
   * @throws SpoolError `INVALID_EVENT_ID`
   * @example const reader = topic.catchup(lastId, { compact: true });
   */
  catchup(
    after: EventId,
    options: {
      /** One `msg.snapshot` per message instead of its deltas. */
      compact?: boolean;
    } = {},
  ): CatchupReader {
    return new CatchupReader(this.#catchupHost, after, options.compact === true);
  }

  /**
   * One catchup page after `afterId`. Each call plans afresh, so to page through a resume
   * that began with snapshots keep a {@link catchup} reader instead.
   *
   * @throws SpoolError `INVALID_EVENT_ID`, `INVALID_OPTION`
   * @example const { events, reset, done } = await topic.read('0-0', 100);
   */
  async read(
    afterId: EventId,
    limit: number,
    options: {
      /** One `msg.snapshot` per message instead of its deltas. */
      compact?: boolean;
    } = {},
  ): Promise<TopicReadResult> {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new SpoolError('INVALID_OPTION', `\`limit\` must be a positive integer, got ${String(limit)}.`);
    return this.catchup(afterId, options).next(limit);
  }

  /**
   * Calls `listener` with every appended event, synchronously, in ID order; returns the
   * function that removes it. The hook for a fan-out layer of its own.
   *
   * @example const off = topic.onAppend((ev) => broadcast(topic.frame(ev)));
   */
  onAppend(listener: (ev: TopicEvent) => void): () => void {
    this.#assertOpen();
    this.#watch();
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
      this.#unwatchIfIdle();
    };
  }

  /**
   * Persists, then lets retention clear what was persisted. Catchup on this topic waits
   * while `fn` runs; what `fn` persisted becomes trimmable only once it resolves; if it
   * rejects, everything is kept and the error comes back as `PERSIST_FAILED` (its
   * `cause`). Under `retainUntilPersisted: 'messages'` it applies to one message (`messageId`) and never to
   * another's events; elsewhere `fn` gets the events since the last successful call.
   *
   * @throws SpoolError `PERSIST_FAILED`, `TOPIC_CLOSED`, `INVALID_OPTION`, `INVALID_MESSAGE_ID`
   * @example await topic.persistAndClear((events) => store.save(toStored(events)), { messageId });
   */
  async persistAndClear<T>(
    fn: (events: readonly TopicEvent[]) => T | Promise<T>,
    options: {
      /** On a channel topic: the one message whose events `fn` gets. */
      messageId?: MessageIdInput;
    } = {},
  ): Promise<T> {
    this.#assertOpen();
    if (this.#ledger) {
      if (options.messageId === undefined)
        throw new SpoolError(
          'INVALID_OPTION',
          `Topic "${this.name}" keeps events per message: call persistAndClear(fn, { messageId }).`,
        );
      const ledger = this.#ledger;
      const messageId = toMessageId(options.messageId);
      const release = await this.#gate.acquire('persist');
      try {
        const result = await this.#persist(fn, ledger.entry(messageId)?.events ?? []);
        ledger.markPersisted(messageId);
        await this.trim();
        return result;
      } finally {
        release();
      }
    }
    // One at a time: each call gets what the previous ones did not persist.
    const run = this.#persistChain.then(async () => {
      const release = await this.#gate.acquire('persist');
      try {
        const { events } = await this.#log.read(formatEventId(this.#watermark), Number.MAX_SAFE_INTEGER);
        const last = events.at(-1);
        this.#inflight = last;
        let result: T;
        try {
          result = await this.#persist(fn, events);
        } finally {
          this.#inflight = undefined;
        }
        if (last) this.#watermark = { ms: last.ms, seq: last.seq };
        await this.trim();
        return result;
      } finally {
        release();
      }
    });
    this.#persistChain = run.catch(() => undefined);
    return run;
  }

  /** Applies retention now (age limits have no timer of their own); resolves to the number dropped. */
  async trim(): Promise<number> {
    return this.#log.trim(this.#rules);
  }

  /** The WebSocket `ev` frame of `ev` on this topic (built on each call; see {@link topicEventFrame}). */
  frame(ev: TopicEvent): string {
    return topicEventFrame(this.name, ev);
  }

  /** The ID the next append would get now, on the topic's clock. */
  nextIdHint(): EventId {
    return formatEventId(nextEventId(this.#last ?? parseEventId(this.#log.floor), this.#clock.now()));
  }

  /** The operators' view of this topic. `retention.maxAgeMs` may be Infinity (null in JSON). */
  stats(): TopicStatsSnapshot {
    const { maxEvents, maxBytes, maxAgeMs } = this.#retention;
    return {
      name: this.name,
      retainedEvents: this.#log.length,
      retainedBytes: this.#log.bytes,
      firstId: this.#log.firstId ?? null,
      lastId: this.lastId ?? null,
      subscribers: this.subscriberCount,
      eventsPerSec: this.#rate.perSecond(),
      retention: { maxEvents, maxBytes, maxAgeMs },
    };
  }

  /** Closes every subscription and the log; later calls fail with `TOPIC_CLOSED`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const sub of [...this.#subs]) sub.close();
    this.#listeners = [];
    this.#live = [];
    this.#offLost?.();
    this.#offWatch?.();
    this.#offWatch = undefined;
    await this.#log.close?.();
  }

  async #persist<T>(
    fn: (events: readonly TopicEvent[]) => T | Promise<T>,
    events: readonly TopicEvent[],
  ): Promise<T> {
    try {
      return await fn(events);
    } catch (cause) {
      throw new SpoolError(
        'PERSIST_FAILED',
        `persistAndClear on topic "${this.name}" failed; nothing was cleared. Retry once the store is back.`,
        { cause },
      );
    }
  }

  /**
   * The log lost events it held (a Redis restarted empty): everything up to `floor` is
   * gone. The ledger starts over from there, so no resume from before it is taken for
   * covered, and every live or paused subscription goes back to catchup from its last ID:
   * below the new floor, the resume rule gives it a `reset` (then the store's snapshots
   * where it covers the channel). A subscription catching up re-plans on its own, since
   * the log's floor overtook it. Loss is never silent (docs/protocol.md, "The resume rule").
   */
  #lost(floor: EventId): void {
    if (this.#closed) return;
    if (this.#ledger) this.#ledger = new MessageLedger(this.#maxTombstones, parseEventId(floor));
    this.#rewindLive();
  }

  /**
   * Sends every live subscription back through catchup from its last ID: a shared log's
   * watcher could not hand out some events (they were trimmed before it read them), and the
   * resume rule decides what each subscriber gets instead (a `reset` below the floor).
   */
  #rewindLive(): void {
    if (this.#closed) return;
    for (const sub of [...this.#subs]) {
      if (sub.state !== 'live') continue;
      sub.pause();
      sub.resume();
    }
  }

  #isPinned(ev: TopicEvent): boolean {
    if (this.#ledger) return this.#ledger.isPinned(ev);
    const w = this.#watermark;
    const after = ev.ms > w.ms || (ev.ms === w.ms && ev.seq > w.seq);
    if (this.#mode === 'events') return after;
    const f = this.#inflight;
    return after && f !== undefined && (ev.ms < f.ms || (ev.ms === f.ms && ev.seq <= f.seq));
  }

  #assertOpen(): void {
    if (this.#closed) throw new SpoolError('TOPIC_CLOSED', `Topic "${this.name}" is closed.`);
  }
}

function defaultReport(err: unknown): void {
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (typeof report === 'function') report(err);
  else console.error(err);
}
