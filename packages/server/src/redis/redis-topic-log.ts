import {
  compareEventIds,
  type EventId,
  formatEventId,
  MIN_EVENT_ID,
  type ParsedEventId,
  parseEventId,
  SpoolError,
  type TopicEvent,
  type TopicLog,
  type TopicLogAppend,
  type TopicLogPage,
  type TopicLogWatcher,
  type TrimRules,
  utf8ByteLength,
} from '@spool/core';
import { assertTopicName, createTopicEvent, nextEventId } from '@spool/core/internal';
import type { Redis } from 'ioredis';
import { toSpoolError } from '../broker/redis-errors';
import { RemoteTail } from './remote-tail';
import { type TopicLogKeys, topicLogKeys } from './topic-log-keys';
import { TOPIC_LOG_LUA } from './topic-log-script';
import type { TopicNotifier } from './topic-notifier';

/** Options of {@link RedisTopicLog.open}. */
export interface RedisTopicLogOptions {
  /** Prepended to the topic's keys (`SPOOL_REDIS_PREFIX` in `spool serve`). @default '' */
  keyPrefix?: string;
  /**
   * The floor recorded if this call creates the stream (see MemoryTopicLog's option of the
   * same name): give one to place a log after a known history, e.g. a replica's.
   * @default the ID just below `<Redis time>-0`
   */
  creationFloor?: EventId;
  /**
   * Called when the stream turns out to have been created again since this log last saw
   * it: Redis lost it (a restart without persistence, an eviction, a `DEL`), so events
   * between the old and the new life are gone. The new floor sits above them, so every
   * resume from before it gets a `reset`, and a `Topic` on this log sends its live
   * subscribers back through catchup by itself (`onLost`). This callback is for the
   * application: a log line, a metric (docs/architecture.md, "Redis topic log").
   */
  onRecreated?: (info: RecreatedInfo) => void;
  /**
   * Publishes a notification with every batch of appends and, while the log is watched,
   * delivers other instances' appends to the watcher (docs/architecture.md, "Topics across
   * instances"). Without one, a watcher still gets this log's appends, and other writers'
   * events whenever an append finds them before its own.
   */
  notifier?: TopicNotifier;
  /**
   * The topic index to keep: a sorted set of topic names scored by their last append (ms,
   * Redis's clock), which `GET /v1/topics` reads on every instance. Updated at most once a
   * second per log, by a ZADD pipelined after a batch: a separate command, since the index
   * lives in another Cluster slot than the topic's keys. @default none
   */
  indexKey?: string;
  /** Where errors of background work go (a watcher's gap fills, the index). @default console.error */
  onError?: (err: unknown) => void;
}

/** What {@link RedisTopicLogOptions.onRecreated} is told. */
export interface RecreatedInfo {
  /** The creation floor of the life this log knew. */
  previousCreationFloor: EventId;
  /** The new life's creation floor: the log holds everything after it. */
  creationFloor: EventId;
  /** The last ID this log knew of before the loss. */
  lastKnownId: EventId | undefined;
}

/**
 * Most appends in one script call: a script blocks Redis while it runs, so a huge turn
 * (a bulk import) goes as several calls, in order, rather than one long stall.
 */
const MAX_BATCH = 512;

/**
 * Batches of at most this many bytes of data carry their events in the notification
 * (`CARRY` in topic-log-script.ts).
 */
const CARRY_BYTES = 8192;

/**
 * The notification's `e` for `items`, encoded here rather than by the script (which blocks
 * Redis while it runs); '' when their data is over {@link CARRY_BYTES}, and the
 * notification carries IDs only.
 */
function carriedEvents(items: readonly Pending[]): string {
  let bytes = 0;
  for (const { input } of items) bytes += input.size;
  if (bytes > CARRY_BYTES || items.length === 0) return '';
  return JSON.stringify(items.map(({ input }) => [input.event, input.json, input.messageId ?? '']));
}

/** A Redis reply entry: `[id, [field, value, ...]]`. */
type Entry = [string, string[]];
type Scalar = string | number;

/** Head of every reply of the script (topic-log-script.ts). */
type ReplyHead = [created: number, cf: string, now: number, length: number, bytes: number];
type ReadReply = [...ReplyHead, floor: string, held: number, last: string, first: string, events: Entry[]];
type WriteReply = [...ReplyHead, results: string[], dropped: Entry[], first: string, prev: string];

/**
 * The ioredis command name of the script. A connection shared by the logs names it in
 * `autoPipeliningIgnoredCommands`: a batch is already one call per event-loop turn, and
 * auto-pipelining would hold it for one more turn before writing it (docs/architecture.md,
 * "Topics across instances", "Latency").
 */
export const TOPIC_LOG_COMMAND = 'spoolTopicLog';

type WithScript = Redis & {
  spoolTopicLog(stream: string, meta: string, pins: string, ...argv: Scalar[]): Promise<unknown>;
};

interface Pending {
  input: TopicLogAppend;
  pin: '' | 'm' | 'e';
  resolve: (ev: TopicEvent) => void;
  reject: (err: unknown) => void;
}

interface Batch {
  rules: TrimRules | undefined;
  items: Pending[];
}

/**
 * {@link TopicLog} on one Redis stream per topic, over ioredis (Redis ≥ 7.0), so that
 * several server instances share a topic's log and a client resumes on any of them.
 *
 * - **One script.** Append, retention trim, the open-message pins and the creation floor
 *   run in one Lua script (EVALSHA, with EVAL once where Redis lacks it), atomic on the
 *   topic's keys, which share one Cluster hash slot.
 * - **Batched.** Appends made in one event-loop turn go in one script call, flushed by
 *   `setImmediate`: a producer writing a burst of chunks pays one round trip, not one per
 *   chunk (at most 512 appends per call). The call is written at once when its connection
 *   leaves {@link TOPIC_LOG_COMMAND} out of auto-pipelining, as `openRedisTopics` does.
 *   A `read` or `trim` sends the pending batch first, so it sees those appends.
 * - **Floor.** max(max-deleted-entry-id, the creation floor the script records when it
 *   creates the stream). A stream recreated after Redis lost data gets a floor above its
 *   previous life (never `0-0`), and {@link RedisTopicLogOptions.onRecreated} says so.
 * - **Pins.** `rules.isPinned` is a function of this process; Redis cannot call it. So
 *   each append asks it once and, when the event is pinned, the script adds its message
 *   (`m:<messageId>`) or the event itself (`e:<id>`) to the topic's pin set, which every
 *   instance's trim honours. This log remembers what it pinned and asks again (message
 *   pins on every call, event pins on `trim()`), removing the pins that no longer hold.
 * - **IDs and time** come from Redis's clock (`XADD *`); an event's `time` is the
 *   millisecond of its ID, which is what `maxAgeMs` counts.
 * - The getters are cached from the last reply (stats only, as TopicLog allows); pages
 *   carry the fresh floor.
 *
 * @example
 * const redis = new Redis(process.env.SPOOL_REDIS_URL, {
 *   enableAutoPipelining: true,
 *   autoPipeliningIgnoredCommands: [TOPIC_LOG_COMMAND],
 * });
 * const log = await RedisTopicLog.open(redis, 'chan:1:general', { keyPrefix: 'spool:' });
 * const topic = new Topic('chan:1:general', { log, retainUntilPersisted: 'messages' });
 */
export class RedisTopicLog implements TopicLog {
  /** The topic whose log this is. */
  readonly topic: string;
  /** The Redis keys of the topic's log. */
  readonly keys: TopicLogKeys;
  readonly #redis: WithScript;
  readonly #prefix: string;
  readonly #onRecreated: ((info: RecreatedInfo) => void) | undefined;
  readonly #notifier: TopicNotifier | undefined;
  readonly #tail: RemoteTail;
  readonly #onError: (err: unknown) => void;
  readonly #indexKey: string | undefined;
  /** When the index last heard of this topic (ms, Redis's clock). */
  #indexedAt = Number.NEGATIVE_INFINITY;
  #creationFloor: EventId = MIN_EVENT_ID;
  #floor: EventId = MIN_EVENT_ID;
  #length = 0;
  #bytes = 0;
  #firstId: EventId | undefined;
  #lastId: EventId | undefined;
  /** The ID the next generated append would probably get: only to ask `isPinned` ahead. */
  #guess: ParsedEventId | undefined;
  /** What this log pinned in Redis, with an event to ask `isPinned` about again. */
  readonly #pins = new Map<string, TopicEvent>();
  #lostListeners: Array<(floor: EventId) => void> = [];
  #batches: Batch[] = [];
  #scheduled = false;
  /** Set by the first reply (in `open`): which life of the stream this log knows. */
  #loaded = false;
  #loading: Promise<EventId> | undefined;
  /** A new watch waits for a reply to learn the stream's end. */
  #restartTail = false;
  /** The creation floor option, formatted ('' for none). */
  #givenFloor = '';

  private constructor(redis: Redis, topic: string, options: RedisTopicLogOptions) {
    assertTopicName(topic);
    this.topic = topic;
    this.#prefix = options.keyPrefix ?? '';
    if (typeof this.#prefix !== 'string')
      throw new SpoolError('INVALID_OPTION', '`keyPrefix` must be a string.');
    this.keys = topicLogKeys(this.#prefix, topic);
    this.#onRecreated = options.onRecreated;
    this.#notifier = options.notifier;
    const onError = options.onError ?? ((err: unknown) => console.error(err));
    this.#onError = onError;
    this.#indexKey = options.indexKey;
    this.#tail = new RemoteTail({
      read: (after, limit) => this.#read(after, limit, ''),
      start: () => this.#lastId ?? this.#floor,
      toEvent: (id, event, json, messageId) =>
        eventOf(id, event, json, messageId === '' ? undefined : messageId),
      onError,
    });
    const withScript = redis as WithScript;
    // EVALSHA, falling back to EVAL once per connection when Redis lacks the script.
    if (typeof withScript.spoolTopicLog !== 'function')
      redis.defineCommand(TOPIC_LOG_COMMAND, { numberOfKeys: 3, lua: TOPIC_LOG_LUA });
    this.#redis = withScript;
  }

  /**
   * Opens the log of `topic` on `redis`, creating its stream (and recording its creation
   * floor) when it does not exist, and loading its state. The connection stays the
   * caller's: share one (with `enableAutoPipelining`) between the topics of a process.
   *
   * @throws SpoolError `INVALID_TOPIC`, `INVALID_OPTION`, `INVALID_EVENT_ID`, `BROKER_UNAVAILABLE`
   */
  static async open(redis: Redis, topic: string, options: RedisTopicLogOptions = {}): Promise<RedisTopicLog> {
    const log = new RedisTopicLog(redis, topic, options);
    const floor =
      options.creationFloor === undefined ? '' : formatEventId(parseEventId(options.creationFloor));
    await log.#read(MIN_EVENT_ID, 0, floor);
    return log;
  }

  /**
   * Like {@link open}, without waiting: the log is usable at once, and loads in the
   * background (any call's reply loads it too). Until then its floor is the one a stream
   * created now would get and its last ID is unknown: a topic built on it knows nothing
   * before its own start, which only ever makes it more careful (a `reset` rather than a
   * claim). This is how a registry that builds topics synchronously uses Redis.
   *
   * @throws SpoolError `INVALID_TOPIC`, `INVALID_OPTION`, `INVALID_EVENT_ID`
   * @example const registry = new TopicRegistry({ createLog: (name) => RedisTopicLog.create(redis, name, { notifier }) });
   */
  static create(redis: Redis, topic: string, options: RedisTopicLogOptions = {}): RedisTopicLog {
    const log = new RedisTopicLog(redis, topic, options);
    const floor =
      options.creationFloor === undefined ? '' : formatEventId(parseEventId(options.creationFloor));
    log.#floor = floor === '' ? formatEventId({ ms: Date.now() - 1, seq: Number.MAX_SAFE_INTEGER }) : floor;
    log.#givenFloor = floor;
    log.ready()?.catch(() => {
      // Not loaded yet: the next call's reply (or `ready()` again) loads it, or fails with the error.
    });
    return log;
  }

  get length(): number {
    return this.#length;
  }
  get bytes(): number {
    return this.#bytes;
  }
  get firstId(): EventId | undefined {
    return this.#firstId;
  }
  get lastId(): EventId | undefined {
    return this.#lastId;
  }
  get floor(): EventId {
    return this.#floor;
  }
  get creationFloor(): EventId {
    return this.#creationFloor;
  }

  /**
   * Watches the stream (see TopicLog.watch): this log's appends, and other instances'
   * through the notifier, in ID order, each once. The first watcher subscribes to the
   * topic's channel, then reads the log after the start position (what was appended before
   * the subscription took).
   */
  watch(watcher: TopicLogWatcher): () => void {
    const tail = this.#tail;
    const first = tail.add(watcher);
    if (first) {
      // Other instances may have appended since this log last heard: one read finds the
      // stream's end, and the watch starts there (not with a burst of what it missed).
      this.#restartTail = true;
      this.ready()?.catch(() => {
        // The next reply still moves the start; a live start that waited gets the error's fallback.
      });
    }
    if (first && this.#notifier) {
      this.#notifier
        .add(this.keys.channel, tail)
        .then(() => tail.recheck())
        .catch((err: unknown) => {
          // Not subscribed: the periodic re-check still finds other writers' events.
          this.#onError(err);
        });
    }
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      if (tail.remove(watcher)) this.#notifier?.remove(this.keys.channel, tail);
    };
  }

  /**
   * Undefined once a reply has loaded the log and no new watch waits for the stream's end;
   * else a promise of the read that settles both (see TopicLog.ready). A log built by
   * {@link open} is loaded; one built by {@link create} loads in the background.
   */
  ready(): Promise<EventId> | undefined {
    if (this.#loaded && !this.#restartTail) return undefined;
    this.#loading ??= this.#readTop(MIN_EVENT_ID, 0, this.#givenFloor).then(
      ([, top]) => {
        this.#loading = undefined;
        return top;
      },
      (err: unknown) => {
        this.#loading = undefined;
        throw err;
      },
    );
    return this.#loading;
  }

  onLost(listener: (floor: EventId) => void): () => void {
    this.#lostListeners = [...this.#lostListeners, listener];
    return () => {
      this.#lostListeners = this.#lostListeners.filter((l) => l !== listener);
    };
  }

  append(input: TopicLogAppend, rules?: TrimRules): Promise<TopicEvent> {
    let pin: Pending['pin'] = '';
    if (rules) {
      // Asked ahead, on the ID this append will most likely get: the pins of core's topics
      // depend on the message, or on whether the ID is above a watermark, which any new ID is.
      const guess = input.id ?? nextEventId(this.#guess, Date.now());
      this.#guess = guess;
      const probe = createTopicEvent(guess, input, guess.ms);
      if (rules.isPinned(probe)) pin = input.messageId === undefined ? 'e' : 'm';
    }
    return new Promise<TopicEvent>((resolve, reject) => {
      let batch = this.#batches.at(-1);
      if (!batch || batch.rules !== rules || batch.items.length >= MAX_BATCH) {
        batch = { rules, items: [] };
        this.#batches.push(batch);
      }
      batch.items.push({ input, pin, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  async read(after: EventId, limit: number): Promise<TopicLogPage> {
    parseEventId(after);
    this.#flush();
    return this.#read(after, Math.max(0, Math.floor(limit)), '');
  }

  async trim(rules: TrimRules): Promise<number> {
    this.#flush();
    return this.#write(rules, []);
  }

  async close(): Promise<void> {
    // The connection is the caller's; what is queued still goes out.
    this.#flush();
  }

  /** Sends every queued batch now, in order (one script call each). */
  #flush(): void {
    this.#scheduled = false;
    const batches = this.#batches;
    if (batches.length === 0) return;
    this.#batches = [];
    for (const batch of batches) {
      this.#write(batch.rules, batch.items).catch(() => {
        // Each append's promise got the error.
      });
    }
  }

  async #write(rules: TrimRules | undefined, items: Pending[]): Promise<number> {
    const unpins = rules ? this.#stalePins(rules, items) : [];
    const argv: Scalar[] = ['w', '', this.#knownTop()];
    if (rules) {
      argv.push(
        '1',
        rules.maxEvents,
        rules.maxBytes,
        rules.maxAgeMs === Number.POSITIVE_INFINITY ? -1 : rules.maxAgeMs,
        rules.hardMaxEvents,
        rules.hardMaxBytes,
      );
    } else argv.push('0', 0, 0, -1, 0, 0);
    const notifier = this.#notifier;
    argv.push(
      notifier ? this.keys.channel : '',
      notifier?.origin ?? '',
      notifier ? carriedEvents(items) : '',
      unpins.length,
      ...unpins,
    );
    for (const { input, pin } of items)
      argv.push(
        input.id ? formatEventId(input.id) : '*',
        input.event,
        input.json,
        input.messageId ?? '',
        pin,
        input.key === undefined ? '' : this.keys.publishKeys + input.key,
      );
    let reply: WriteReply;
    try {
      reply = (await this.#redis.spoolTopicLog(
        this.keys.stream,
        this.keys.meta,
        this.keys.pins,
        ...argv,
      )) as WriteReply;
    } catch (err) {
      const error = toSpoolError(err, this.#prefix);
      for (const item of items) item.reject(error);
      throw error;
    }
    const [created, cf, , length, bytes, results, dropped, first, prev] = reply;
    this.#observeLife(created, cf, prev);
    const wasEmpty = this.#length === 0;
    const appended: TopicEvent[] = [];
    const outcomes: Array<TopicEvent | SpoolError> = [];
    /** Appends whose idempotency key named an earlier event: nothing was appended for them. */
    const duplicates = new Set<number>();
    for (let i = 0; i < items.length; i++) {
      const { input, pin } = items[i]!;
      const result = results[i]!;
      if (result.startsWith('!')) {
        outcomes.push(this.#appendError(input, result.slice(1)));
        continue;
      }
      if (result.startsWith('=')) {
        const first = parseEventId(result.slice(1));
        outcomes.push(createTopicEvent(first, input, first.ms));
        duplicates.add(i);
        continue;
      }
      const id = parseEventId(result);
      // `time` is the ID's millisecond, as for events read back (what `maxAgeMs` counts).
      const ev = createTopicEvent(id, input, id.ms);
      appended.push(ev);
      outcomes.push(ev);
      this.#lastId = ev.id;
      this.#guess = id;
      if (pin === 'm') this.#pins.set(`m:${input.messageId}`, ev);
      else if (pin === 'e') this.#pins.set(`e:${ev.id}`, ev);
    }
    for (const key of unpins) this.#pins.delete(key);
    this.#length = length;
    this.#bytes = bytes;
    if (first !== '') this.#firstId = first;
    else if (length === 0) this.#firstId = undefined;
    else if (wasEmpty || this.#firstId === undefined) this.#firstId = appended[0]?.id ?? this.#firstId;
    const last = dropped.at(-1);
    if (last && compareEventIds(last[0], this.#floor) > 0) this.#floor = last[0];
    // The hooks see every event enter, then what the batch's trim removed, oldest first.
    // A hook that throws fails the append it ran for (the last one for a drop), as the
    // memory log's append would, and never leaves another append of the batch unsettled.
    let hookError: { error: unknown } | undefined;
    const failed = new Map<number, unknown>();
    for (let i = 0; i < outcomes.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome instanceof SpoolError || duplicates.has(i)) continue;
      try {
        rules?.onAppend?.(outcome);
      } catch (error) {
        failed.set(i, error);
      }
    }
    for (const entry of dropped) {
      const ev = this.#toEvent(entry);
      this.#pins.delete(`e:${ev.id}`);
      try {
        rules?.onDrop?.(ev);
      } catch (error) {
        hookError ??= { error };
      }
    }
    if (hookError && items.length > 0 && !failed.has(items.length - 1))
      failed.set(items.length - 1, hookError.error);
    // Watchers get the batch first, after any other writer's events before it: the appends
    // then resolve in order behind what was fanned out.
    const newest = appended.at(-1);
    if (newest && this.#indexKey !== undefined && newest.ms - this.#indexedAt >= 1000) {
      this.#indexedAt = newest.ms;
      this.#redis.zadd(this.#indexKey, newest.ms, this.topic).catch((err: unknown) => this.#onError(err));
    }
    if (items.length > 0) await this.#tail.own(prev, appended);
    for (let i = 0; i < items.length; i++) {
      const outcome = outcomes[i]!;
      if (failed.has(i)) items[i]!.reject(failed.get(i));
      else if (outcome instanceof SpoolError) items[i]!.reject(outcome);
      else items[i]!.resolve(outcome);
    }
    if (hookError && items.length === 0) throw hookError.error;
    return dropped.length;
  }

  async #read(after: EventId, limit: number, creationFloor: string): Promise<TopicLogPage> {
    return (await this.#readTop(after, limit, creationFloor))[0];
  }

  /** A read, and the stream's last ID (its creation floor when empty) as this reply saw it. */
  async #readTop(after: EventId, limit: number, creationFloor: string): Promise<[TopicLogPage, EventId]> {
    let reply: ReadReply;
    try {
      reply = (await this.#redis.spoolTopicLog(
        this.keys.stream,
        this.keys.meta,
        this.keys.pins,
        'r',
        creationFloor,
        this.#knownTop(),
        after,
        limit,
      )) as ReadReply;
    } catch (err) {
      throw toSpoolError(err, this.#prefix);
    }
    const [created, cf, , length, bytes, floor, held, last, first, entries] = reply;
    this.#observeLife(created, cf, last === '' ? cf : last);
    this.#length = length;
    this.#bytes = bytes;
    this.#firstId = first === '' ? undefined : first;
    if (last !== '' && (this.#lastId === undefined || compareEventIds(last, this.#lastId) > 0)) {
      this.#lastId = last;
      this.#guess = parseEventId(last);
    }
    if (compareEventIds(floor, this.#floor) > 0) this.#floor = floor;
    const page = { events: entries.map((e) => this.#toEvent(e)), floor: this.#floor, holdsAfter: held === 1 };
    return [page, last === '' ? cf : last];
  }

  /**
   * Notes which life of the stream a reply came from. The first reply sets it; a later
   * creation floor that differs means the stream was created again (here or by another
   * instance) after Redis lost it.
   */
  #observeLife(created: number, cf: string, top: string): void {
    if (this.#restartTail) {
      // A new watch stood at what this log last knew (a guess before the first reply, or
      // stale after a while unwatched): it starts at the stream's last ID as of this reply,
      // where live starts stand too (they waited for it: `ready`).
      this.#restartTail = false;
      this.#tail.loaded(top);
    }
    if (!this.#loaded) {
      this.#loaded = true;
      this.#start(cf);
      return;
    }
    if (cf === this.#creationFloor && created === 0) return;
    const info: RecreatedInfo = {
      previousCreationFloor: this.#creationFloor,
      creationFloor: cf,
      lastKnownId: this.#lastId,
    };
    this.#start(cf);
    this.#tail.restart(cf);
    this.#onRecreated?.(info);
    for (const listener of this.#lostListeners) listener(cf);
  }

  #start(cf: EventId): void {
    this.#creationFloor = cf;
    this.#floor = cf;
    this.#length = 0;
    this.#bytes = 0;
    this.#firstId = undefined;
    this.#pins.clear();
  }

  /** The highest ID this log knows of: a recreated stream's floor is never below it. */
  #knownTop(): string {
    const last = this.#lastId;
    return last !== undefined && compareEventIds(last, this.#floor) > 0 ? last : this.#floor;
  }

  /**
   * Pin keys that `rules` no longer holds. Message pins (`m:`, one per open message) are
   * asked again on every call, as the memory log asks `isPinned` on every trim; the
   * batch's own events decide for their messages (its last event of a message, e.g. a
   * `msg.end` saying `persisted: true`, says whether the message stays pinned). Event pins
   * (`e:`, one per event) are asked again on `trim()` only: they change when a topic's
   * persist moves its watermark, and the topic trims right after (core's Topic).
   */
  #stalePins(rules: TrimRules, items: Pending[]): string[] {
    const inBatch = new Map<string, { pinned: boolean; before: boolean }>();
    for (const { input, pin } of items) {
      if (input.messageId === undefined) continue;
      const key = `m:${input.messageId}`;
      const seen = inBatch.get(key);
      inBatch.set(key, { pinned: pin !== '', before: (seen?.before ?? false) || pin !== '' });
    }
    const stale: string[] = [];
    for (const [key, { pinned, before }] of inBatch)
      if (!pinned && (before || this.#pins.has(key))) stale.push(key);
    for (const [key, ev] of this.#pins) {
      if (inBatch.has(key) || (items.length > 0 && key.startsWith('e:'))) continue;
      if (!rules.isPinned(ev)) stale.push(key);
    }
    return stale;
  }

  #appendError(input: TopicLogAppend, message: string): SpoolError {
    if (/ID specified in XADD|greater than 0-0/.test(message) && input.id)
      return new SpoolError(
        'ID_TOO_SMALL',
        `Event ID ${formatEventId(input.id)} must be greater than the log's last ID (Redis: ${message}).`,
      );
    return new SpoolError(
      'INTERNAL',
      `Unexpected Redis error appending to topic "${this.topic}": ${message}`,
    );
  }

  #toEvent([id, fields]: Entry): TopicEvent {
    let event = 'message';
    let json = 'null';
    let messageId: string | undefined;
    for (let i = 0; i < fields.length; i += 2) {
      const value = fields[i + 1]!;
      if (fields[i] === 'e') event = value;
      else if (fields[i] === 'd') json = value;
      else if (fields[i] === 'm') messageId = value;
    }
    return eventOf(id, event, json, messageId);
  }
}

/** An event as the stream (or a notification) holds it; its `time` is its ID's millisecond. */
function eventOf(id: string, event: string, json: string, messageId: string | undefined): TopicEvent {
  const parsed = parseEventId(id);
  const data: unknown = JSON.parse(json);
  return createTopicEvent(parsed, { event, data, json, size: utf8ByteLength(json), messageId }, parsed.ms);
}
