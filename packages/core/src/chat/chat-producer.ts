import type { StreamBroker } from '../broker/stream-broker';
import type { MessageChunk } from '../cache/message-chunk';
import type { StreamCache } from '../cache/stream-cache';
import type { StreamMeta } from '../cache/stream-meta';
import { SpoolError } from '../errors';
import type { CircuitBreaker } from '../flow/circuit-breaker';
import { type RetryOptions, retry } from '../flow/retry';
import type { OpenMessageSnapshot, OpenMessageSource } from '../log/channel-catchup';
import type { TopicRegistry } from '../log/topic-registry';
import { type Logger, silentLogger } from '../logger';
import { toMessageId } from '../protocol/message-id';
import {
  channelTopic,
  type WireEndReason,
  type WireOpenMeta,
  type WireStreamMeta,
} from '../protocol/messages';
import { COMPLETED_STREAM, completionFields, completionKey } from '../store/completion-record';
import type { MessageStore, StoredMessageInput } from '../store/message-store';
import type { Clock } from '../time/clock';
import { fromBase64, toBase64 } from './bytes';
import type { ChatAccess, ChatPrincipal } from './chat-principal';
import { EndedIds } from './ended-ids';
import { joinChunks } from './join-chunks';
import type { ClaimResult, MessageCluster } from './message-cluster';
import { messageIdGenerator } from './message-id-generator';
import { MessageRuns } from './message-runs';
import type { ProducerOps, WireChunk } from './producer-ops';

/** What a {@link ChatProducer} works with: core's parts, wired by the server (`createSpool`). */
export interface ChatProducerDeps {
  /** Holds the messages that stream now; its completion callbacks are {@link ChatProducer.onStreamComplete} and `onCompleteFailed`. */
  cache: StreamCache;
  /** The channel topics (`chan:*`) the events go to; they should pin messages until persisted (`retainUntilPersisted: 'messages'`). */
  topics: TopicRegistry;
  /** Where finished messages are saved. */
  store: MessageStore;
  /** Where the one completion record of each message goes (`spool:completed`), unless the store writes it. */
  broker: StreamBroker;
  /** Guards every store call. */
  storeBreaker: CircuitBreaker;
  /** Guards every broker call. */
  brokerBreaker: CircuitBreaker;
  /** Backoff of the save and of the completion record. */
  retry: RetryOptions;
  /** Who may produce on a channel, and the server's own principal. */
  access: ChatAccess;
  /** Where failures worked around are reported. @default silentLogger */
  logger?: Logger;
  /** Message ID generation and dead-letter times. */
  clock: Clock;
  /** Ended message IDs remembered to refuse a re-open (`MESSAGE_ENDED`) when the store cannot say. */
  endedIdWindow: number;
}

interface OpenMessage {
  topic: string;
  /** Who opened it: only they may open it again (the idempotent retry). */
  owner: ChatPrincipal;
  /** Resolves with the `msg.open` event ID once it is on the topic. */
  opened: Promise<string>;
  firstEventId: string;
  lastEventId: string;
  /**
   * Cluster mode: chunks 0..placedChunk have their deltas on the topic, the last at
   * placedEventId ('' while unknown), told to the record with the next chunk. It stops
   * moving for good once a delta lands out of chunk order, where no such prefix is sure.
   */
  placedChunk: number;
  placedEventId: string;
  /** Topic appends not settled yet: a snapshot waits for them, so it never covers a chunk whose delta is not on the topic. */
  inflight: Set<Promise<unknown>>;
}

/** A message whose persistence failed every attempt, kept for operators and for a replay. */
export interface DeadLetter {
  /** The message's ID (decimal string). */
  messageId: string;
  /** The channel topic of the message. */
  topic: string;
  /** The message's whole text. */
  text: string;
  /** The message's metadata. */
  meta: WireStreamMeta;
  /** The error of the last save attempt (its message). */
  error: string;
  /** When it was dead-lettered (ms since the epoch). */
  at: number;
  /** What the save was given: a replay saves exactly this. */
  message: StoredMessageInput;
}

/** What {@link ChatProducer.replayDeadLetters} did. */
export interface DeadLetterReplay {
  /** Dead letters saved by this replay (and removed from the list). */
  saved: string[];
  /** Dead letters still waiting (the store failed again). */
  remaining: number;
  /** The first failure of this replay, if any. */
  error?: string;
}

const MAX_DEAD_LETTERS = 1000;

/**
 * The life of one chat message (docs/architecture.md, "The life of one chat message"): `open` registers it in the StreamCache and
 * puts `msg.open` on the channel topic; each chunk is validated by the cache and goes out
 * as `msg.delta`; on completion (end, cancel, timeout) the message is saved to the store
 * through retry + circuit breaker, then `msg.end` goes out with `persisted`, then exactly
 * one record goes to the broker stream `spool:completed` (`xaddOnce`, keyed by message ID).
 * A message whose save finally fails still gets its `msg.end` (`persisted: false`) and is
 * kept as a dead letter.
 *
 * A message ID names one message (docs/protocol.md "msg.open"): opening an ended ID is
 * refused with `MESSAGE_ENDED` while the ended-ID window or the store knows it; opening an
 * open ID again is the idempotent retry for the principal that opened it, and
 * `STREAM_EXISTS` for anyone else. Every operation names its principal; `access.system`
 * (the server's own producers) is the only one not authorized.
 *
 * @example
 * const { messageId } = await chat.open({ channelId: 'general', channelType: 1 }, principal);
 * await chat.append(messageId, 0, { text: 'Hel' }, principal);
 * await chat.end(messageId, 'success', principal);
 */
export class ChatProducer implements ProducerOps, OpenMessageSource {
  /** Server-side producers (`spool.run`). */
  readonly runs: MessageRuns;
  /** Messages whose save failed every attempt, oldest first (at most 1000). */
  readonly #deadLetters: DeadLetter[] = [];
  private readonly open_ = new Map<string, OpenMessage>();
  private readonly ended: EndedIds;
  private readonly nextId: () => string;
  /** Completions in flight, so `close()` can wait for them. */
  private readonly pending = new Set<Promise<unknown>>();
  private replaying: Promise<DeadLetterReplay> | undefined;
  /** Cluster mode only (docs/architecture.md, "Messages across instances"); memory mode never sets it. */
  private cluster: MessageCluster | undefined;
  private readonly logger: Logger;
  private readonly system: ChatPrincipal;

  /** @throws SpoolError `INVALID_OPTION` (`endedIdWindow`, `access`) */
  constructor(private readonly deps: ChatProducerDeps) {
    if (typeof deps.access?.authorize !== 'function' || typeof deps.access.system !== 'object')
      throw new SpoolError(
        'INVALID_OPTION',
        '`access` must be a ChatAccess: { system, authorize(principal, action, topic) }.',
      );
    this.logger = deps.logger ?? silentLogger;
    this.system = deps.access.system;
    this.nextId = messageIdGenerator(() => deps.clock.now());
    this.ended = new EndedIds(deps.endedIdWindow);
    this.runs = new MessageRuns(
      {
        open: (meta, principal) => this.open(meta, principal),
        append: (messageId, chunkId, payload, principal) =>
          this.appendChunk(messageId, chunkId, payload, principal),
        end: (messageId, reason, principal) => this.end(messageId, reason, principal),
      },
      this.system,
      deps.clock,
    );
    deps.cache.on('end', (meta, reason) => {
      // Only messages this producer opened: a failed open is not an ended message.
      if (this.open_.has(meta.messageId)) this.ended.add(meta.messageId);
      this.runs.ended(meta.messageId, reason);
    });
  }

  /**
   * Puts the pipeline in cluster mode: owner records fence every write, and writes for
   * messages open on another instance go to their owner. Set once, before serving.
   */
  useCluster(cluster: MessageCluster): void {
    this.cluster = cluster;
  }

  /** Whether the message is open in this process (its owner is here). */
  isOpenHere(messageId: string): boolean {
    return this.open_.has(messageId);
  }

  /**
   * This process no longer owns the message (taken over, or its producer moved away): its
   * local state goes without a save, a `msg.end` or a completion record, and its runs are
   * aborted with `FENCED`. The new owner ends the message.
   */
  fence(messageId: string, err?: SpoolError): void {
    const open = this.open_.get(messageId);
    if (!open) return;
    const why =
      err ??
      new SpoolError(
        'FENCED',
        `Message ${messageId} is now owned by another instance; this one stopped writing it.`,
      );
    this.logger.warn({ messageId }, 'fenced: another instance owns this message now');
    // Removed first: the cache's end below then completes nothing (no save, no msg.end).
    this.open_.delete(messageId);
    this.runs.fenced(messageId, why);
    try {
      this.deps.cache.endStream(messageId, 'error');
    } catch {
      // already ending
    }
  }

  /**
   * The cache's `onStreamComplete`: persist (retry + breaker), then `msg.end`, then the
   * broker record. A final failure throws, so the cache counts and dead-letters it and
   * calls {@link onCompleteFailed}. The cache's own retry is set to one attempt by
   * `createSpool`, as `retry` here already backs off.
   */
  readonly onStreamComplete = async (
    messageId: string,
    chunks: MessageChunk[],
    meta: StreamMeta,
  ): Promise<void> => {
    const open = this.open_.get(messageId);
    if (!open) return;
    if (this.cluster && !(await this.stillOwned(messageId, () => this.cluster!.completing(messageId))))
      return;
    const reason = meta.endReason ?? 'force';
    const { store, storeBreaker } = this.deps;
    const message = storedInput(messageId, open, chunks, meta);
    const save = () => retry(() => storeBreaker.execute(() => store.save(message)), this.deps.retry);
    // Atomic with respect to catchup: a resume never reads the
    // store before the save committed, and the message's events become trimmable only after.
    await this.deps.topics.getOrCreate(open.topic).persistAndClear(save, { messageId });
    await this.track(this.finish(messageId, open, meta, reason, true));
  };

  /** The cache's `onCompleteFailed`: keep the message for operators, and still send `msg.end`. */
  readonly onCompleteFailed = async (
    messageId: string,
    chunks: MessageChunk[],
    meta: StreamMeta,
    failure: {
      /** The error of the last save attempt (the store's, or the breaker's when it was open). */
      error: unknown;
    },
  ): Promise<void> => {
    const open = this.open_.get(messageId);
    if (!open) return;
    const err = failure.error;
    this.logger.error({ err, messageId }, 'persisting a finished message failed; it is dead-lettered');
    this.keepDeadLetter(storedInput(messageId, open, chunks, meta), open.topic, err);
    await this.track(this.finish(messageId, open, meta, meta.endReason ?? 'force', false));
  };

  /**
   * Messages whose save failed after every retry, oldest first, kept for
   * {@link replayDeadLetters} (at most 1,000: past that the oldest is dropped, and logged).
   */
  get deadLetters(): readonly DeadLetter[] {
    return this.#deadLetters;
  }

  /**
   * Keeps `message`, whose save failed with `err`, for a replay: the message's own
   * completion, or a takeover's ending of another instance's message. Past 1,000 the
   * oldest letter is dropped, with an error logged, so memory stays bounded while the
   * store is down.
   */
  keepDeadLetter(message: StoredMessageInput, topic: string, err: unknown): void {
    this.#deadLetters.push({
      messageId: message.messageId,
      topic,
      text: message.text,
      meta: message.meta as WireStreamMeta,
      error: saveError(err),
      at: this.deps.clock.now(),
      message,
    });
    if (this.#deadLetters.length > MAX_DEAD_LETTERS) {
      const dropped = this.#deadLetters.shift()!;
      this.logger.error(
        { messageId: dropped.messageId, max: MAX_DEAD_LETTERS },
        'the dead-letter list is full: its oldest message is no longer kept for a replay',
      );
    }
  }

  /**
   * Forgets the latest dead letter of `messageId`, for a message that goes on elsewhere (its
   * producer moved it to another instance): replayed, it would save a partial text over the
   * message's final save. Returns whether there was one.
   */
  dropDeadLetter(messageId: string): boolean {
    const at = this.#deadLetters.findLastIndex((l) => l.messageId === messageId);
    if (at >= 0) this.#deadLetters.splice(at, 1);
    return at >= 0;
  }

  /**
   * Saves the dead letters again, oldest first, through the store's breaker (no retry: the
   * next replay is the retry). Each one saved leaves the list; with a store that records
   * completions, its save also writes its one `spool:completed` record (it got none when
   * it ended). Stops at the first failure, as the store is likely still down. Concurrent
   * calls share one run.
   *
   * @example const { saved, remaining } = await spool.messages.replayDeadLetters();
   */
  replayDeadLetters(): Promise<DeadLetterReplay> {
    this.replaying ??= this.replay().finally(() => {
      this.replaying = undefined;
    });
    return this.replaying;
  }

  private async replay(): Promise<DeadLetterReplay> {
    const { store, storeBreaker, topics } = this.deps;
    const logger = this.logger;
    const saved: string[] = [];
    let error: string | undefined;
    for (const letter of [...this.#deadLetters]) {
      const save = () => storeBreaker.execute(() => store.save(letter.message));
      try {
        // As at completion: catchup waits for the save, and the message's events, kept in
        // the channel log while it was unsaved, become trimmable once it is saved.
        await topics.getOrCreate(letter.topic).persistAndClear(save, { messageId: letter.messageId });
      } catch (err) {
        error = saveError(err);
        break;
      }
      const at = this.#deadLetters.indexOf(letter);
      if (at >= 0) this.#deadLetters.splice(at, 1);
      saved.push(letter.messageId);
    }
    if (saved.length > 0) logger.info({ saved: saved.length }, 'dead-lettered messages saved by a replay');
    return { saved, remaining: this.#deadLetters.length, ...(error === undefined ? {} : { error }) };
  }

  /**
   * Opens a message. Opening an open ID again is the idempotent retry for its principal
   * (the same IDs come back), `STREAM_EXISTS` for any other; an ended ID is `MESSAGE_ENDED`.
   * @throws SpoolError `UNAUTHENTICATED` (no principal), `FORBIDDEN`, `MESSAGE_ENDED`,
   *   `STREAM_EXISTS`, and the StreamCache's codes
   */
  async open(
    meta: WireOpenMeta,
    principal: ChatPrincipal,
  ): Promise<{
    /** The message's ID (decimal string): `meta.messageId`, or one assigned when it is absent. */
    messageId: string;
    /** Event ID of its `msg.open` on the channel topic. */
    id: string;
  }> {
    assertPrincipal(principal);
    if (typeof meta !== 'object' || meta === null) {
      throw new SpoolError('INVALID_MESSAGE', '`meta` must be an object with channelId and channelType.');
    }
    if (typeof meta.channelId !== 'string' || meta.channelId === '') {
      throw new SpoolError('INVALID_STREAM_META', '`meta.channelId` must be a non-empty string.');
    }
    const given = meta.messageId !== undefined;
    const messageId = given ? toMessageId(meta.messageId!) : this.nextId();
    const topic = channelTopic(meta.channelType, meta.channelId);
    await this.authorize(principal, topic);
    if (this.cluster && !given) return this.openClustered(meta, messageId, topic, principal);
    // Only a caller-chosen ID can name an old message; the generator's IDs are new.
    if (given && !this.open_.has(messageId)) await this.assertNotEnded(messageId);
    // Also after the await, and for a message that ended but is still completing (still in `open_`).
    if (this.ended.has(messageId)) throw messageEnded(messageId);
    const existing = this.open_.get(messageId);
    if (existing) {
      if (existing.topic !== topic || !sameOwner(existing.owner, principal, this.system)) {
        throw new SpoolError(
          'STREAM_EXISTS',
          `Message ${messageId} is already open by another producer or in another channel; choose a new message ID.`,
        );
      }
      return { messageId, id: await existing.opened };
    }
    if (this.cluster) return this.openClustered(meta, messageId, topic, principal);
    return this.openHere(meta, messageId, topic, principal);
  }

  /**
   * Cluster mode: the owner record first (it refuses an ended or foreign ID on every
   * instance), then the local open; a message whose producer reconnected here moves here.
   * Generated IDs are only unique per process: one taken elsewhere is replaced by the next.
   */
  private async openClustered(
    meta: WireOpenMeta,
    messageId: string,
    topic: string,
    principal: ChatPrincipal,
  ): Promise<{ messageId: string; id: string }> {
    const cluster = this.cluster!;
    const given = meta.messageId !== undefined;
    let draft: WireStreamMeta;
    for (let attempt = 0; ; attempt++) {
      // A draft for the record: the cache's own meta replaces it once opened.
      draft = {
        ...meta,
        messageId,
        fromUid: meta.fromUid ?? (principal === this.system ? '' : principal.id),
        closed: false,
      };
      try {
        const claimed = await cluster.claim(messageId, topic, draft, principal);
        if (claimed.kind === 'moved') {
          try {
            return this.adopt(messageId, topic, principal, claimed);
          } catch (err) {
            // The record names this process now and the old owner let go: end it, never orphan it.
            await cluster.orphaned(messageId).catch(() => {});
            throw err;
          }
        }
        if (claimed.kind === 'here') {
          // A concurrent open of the same ID in this process claimed it first.
          const existing = this.open_.get(messageId);
          if (!existing)
            throw new SpoolError('STREAM_EXISTS', `Message ${messageId} is being opened; retry.`);
          return { messageId, id: await existing.opened };
        }
        break;
      } catch (err) {
        if (given || attempt >= 16 || !(err instanceof SpoolError) || err.code !== 'STREAM_EXISTS') throw err;
        messageId = this.nextId();
      }
    }
    try {
      const opened = await this.openHere(meta, messageId, topic, principal);
      const view = this.deps.cache.getStream(messageId);
      await cluster.opened(messageId, opened.id, view ? toWireMeta(view.meta) : draft);
      return opened;
    } catch (err) {
      await cluster.abandon(messageId).catch(() => {});
      throw err;
    }
  }

  /** A producer moved here: the message continues from the record's chunks, with no second `msg.open`. */
  private adopt(
    messageId: string,
    topic: string,
    principal: ChatPrincipal,
    moved: Extract<ClaimResult, { kind: 'moved' }>,
  ): { messageId: string; id: string } {
    const m = moved.meta;
    this.deps.cache.openStream({
      messageId,
      channelId: m.channelId,
      channelType: m.channelType,
      fromUid: m.fromUid,
      clientMsgNo: m.clientMsgNo,
      timestamp: m.timestamp,
      customFields: m.customFields,
    });
    try {
      for (const c of moved.chunks)
        this.deps.cache.appendChunk({ messageId, chunkId: c.chunkId, payload: c.payload });
    } catch (err) {
      // Not in `open_`: this end completes nothing; the caller ends the message.
      this.deps.cache.endStream(messageId, 'error');
      throw err;
    }
    this.open_.set(messageId, {
      topic,
      owner: principal,
      opened: Promise.resolve(moved.firstEventId),
      firstEventId: moved.firstEventId,
      lastEventId: moved.firstEventId,
      // The record keeps the old owner's placing; this one goes on after the recorded chunks.
      placedChunk: moved.chunks.length - 1,
      placedEventId: '',
      inflight: new Set(),
    });
    return { messageId, id: moved.firstEventId };
  }

  private async openHere(
    meta: WireOpenMeta,
    messageId: string,
    topic: string,
    principal: ChatPrincipal,
  ): Promise<{ messageId: string; id: string }> {
    const opened = this.deps.cache.openStream({
      messageId,
      channelId: meta.channelId,
      channelType: meta.channelType,
      fromUid: meta.fromUid ?? (principal === this.system ? '' : principal.id),
      clientMsgNo: meta.clientMsgNo,
      timestamp: meta.timestamp,
      customFields: meta.customFields,
    });
    // Registered before the await: a chunk, an end or a retried open may follow before the topic answers.
    const inflight = new Set<Promise<unknown>>();
    const appended = this.appendEvent(topic, inflight, 'msg.open', { messageId, meta: toWireMeta(opened) });
    const open: OpenMessage = {
      topic,
      owner: principal,
      opened: appended.then((r) => r.id),
      firstEventId: '',
      lastEventId: '',
      placedChunk: -1,
      placedEventId: '',
      inflight,
    };
    open.opened.catch(() => {}); // awaited only by a retried open, if any
    this.open_.set(messageId, open);
    try {
      const { id } = await appended;
      open.firstEventId = id;
      open.lastEventId = id;
      return { messageId, id };
    } catch (err) {
      this.open_.delete(messageId);
      try {
        this.deps.cache.endStream(messageId, 'error');
      } catch {
        // already ended
      }
      throw err;
    }
  }

  /** Appends a chunk; resolves with the `msg.delta` event ID. */
  async append(
    messageId: string,
    chunkId: number,
    chunk: WireChunk,
    principal: ChatPrincipal,
  ): Promise<string> {
    assertPrincipal(principal);
    if (this.cluster && !this.open_.has(toMessageId(messageId))) {
      return this.cluster.forwardAppend(toMessageId(messageId), chunkId, chunk, principal);
    }
    const payload = 'b64' in chunk ? decodeBase64(chunk.b64) : chunk.text;
    return this.appendChunk(messageId, chunkId, payload, principal);
  }

  /** Ends a message with `reason` (`cancelled` for a cancel); its completion follows. */
  async end(messageId: string, reason: WireEndReason, principal: ChatPrincipal): Promise<void> {
    assertPrincipal(principal);
    const id = toMessageId(messageId);
    const open = this.open_.get(id);
    if (!open && this.cluster) return this.cluster.forwardEnd(id, reason, principal);
    if (!open) throw notFound(id);
    await this.authorize(principal, open.topic);
    this.deps.cache.endStream(id, reason);
  }

  /**
   * Runs a fenced cluster write; on `FENCED` the message's local state goes ({@link fence}).
   * Returns false when fenced, or rethrows when `rethrow`.
   */
  private async stillOwned(messageId: string, write: () => Promise<void>, rethrow = false): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (err) {
      if (!(err instanceof SpoolError) || err.code !== 'FENCED') throw err;
      this.fence(messageId, err);
      if (rethrow) throw err;
      return false;
    }
  }

  /** Open messages' count, for stats. */
  get openCount(): number {
    return this.open_.size;
  }

  /** Waits for completions in flight (shutdown). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** `produce` on the topic; the server itself (`access.system`) needs no permission. */
  private async authorize(principal: ChatPrincipal, topic: string): Promise<void> {
    if (principal !== this.system) await this.deps.access.authorize(principal, 'produce', topic);
  }

  /**
   * Refuses an ID that has ended: the window first, then the store. A store that cannot
   * answer (down, breaker open) leaves the decision to the window.
   */
  private async assertNotEnded(messageId: string): Promise<void> {
    if (this.ended.has(messageId)) throw messageEnded(messageId);
    const { store, storeBreaker } = this.deps;
    const logger = this.logger;
    let stored: unknown;
    try {
      stored = await storeBreaker.execute(() => store.get(messageId));
    } catch (err) {
      logger.warn(
        { err, messageId },
        'the store could not tell whether a message ended; the ended-ID window decides',
      );
      return;
    }
    if (stored) throw messageEnded(messageId);
  }

  private async appendChunk(
    messageId: string,
    chunkId: number,
    payload: string | Uint8Array,
    principal: ChatPrincipal,
  ): Promise<string> {
    assertPrincipal(principal);
    const id = toMessageId(messageId);
    const open = this.open_.get(id);
    if (!open) throw notFound(id);
    await this.authorize(principal, open.topic);
    this.deps.cache.appendChunk({ messageId: id, chunkId, payload });
    // Fenced before the delta goes out: a stale owner's late chunk never reaches a subscriber.
    if (this.cluster) {
      const cluster = this.cluster;
      const placed =
        open.placedEventId === '' || !Number.isFinite(open.placedChunk)
          ? undefined
          : { chunkId: open.placedChunk, eventId: open.placedEventId };
      await this.stillOwned(id, () => cluster.append(id, chunkId, payload, placed), true);
    }
    const data =
      typeof payload === 'string'
        ? { messageId: id, chunkId, text: payload }
        : { messageId: id, chunkId, b64: toBase64(payload) };
    const { id: eventId } = await this.appendEvent(open.topic, open.inflight, 'msg.delta', data);
    open.lastEventId = eventId;
    if (chunkId === open.placedChunk + 1) {
      open.placedChunk = chunkId;
      open.placedEventId = eventId;
      this.cluster?.placed?.(id, { chunkId, eventId });
    } else open.placedChunk = Number.POSITIVE_INFINITY;
    return eventId;
  }

  private appendEvent(topic: string, inflight: Set<Promise<unknown>>, event: string, data: unknown) {
    const appended = this.deps.topics.getOrCreate(topic).append(event, data);
    inflight.add(appended);
    const settle = () => inflight.delete(appended);
    appended.then(settle, settle);
    return appended;
  }

  /**
   * {@link OpenMessageSource} over the StreamCache, for core's channel catchup: a
   * `msg.snapshot` of each message still streaming in the channel, with the event IDs
   * that place it. A message with a gap in its chunk IDs gets none (its text would not be
   * "exactly chunks 0..lastChunkId"); catchup then serves its deltas from the log.
   */
  async openMessages(topicName: string): Promise<readonly OpenMessageSnapshot[]> {
    const out: OpenMessageSnapshot[] = [];
    // Cluster mode: messages open on other instances, from their shared records.
    // Without them (Redis failing) a compact catchup gives those messages' own events instead.
    const elsewhere = this.cluster
      ?.openSnapshots(topicName, (id) => this.open_.has(toMessageId(id)))
      .catch((err: unknown) => {
        this.logger.warn({ err, topic: topicName }, 'reading open messages of other instances failed');
        return [];
      });
    for (const [messageId, open] of this.open_) {
      if (open.topic !== topicName) continue;
      while (open.inflight.size > 0) await Promise.allSettled([...open.inflight]);
      const view = this.deps.cache.getStream(messageId);
      if (!view || open.firstEventId === '') continue;
      const lastChunkId = view.lastChunkId ?? -1;
      if (view.chunkCount !== lastChunkId + 1) continue;
      out.push({
        snapshot: {
          messageId,
          meta: toWireMeta(view.meta),
          text: view.text(),
          lastChunkId,
          status: 'streaming',
        },
        firstEventId: open.firstEventId,
        lastEventId: open.lastEventId,
      });
    }
    if (elsewhere) out.push(...(await elsewhere));
    return out;
  }

  private async finish(
    messageId: string,
    open: OpenMessage,
    meta: StreamMeta,
    reason: WireEndReason,
    persisted: boolean,
  ) {
    const cluster = this.cluster;
    if (cluster) {
      // A fenced writer stops here: the new owner sends the `msg.end` and the completion record.
      const owned = await this.stillOwned(messageId, () => cluster.finished(messageId, reason)).catch(
        (err: unknown) => {
          this.logger.error({ err, messageId }, 'ending the owner record failed; msg.end still goes out');
          return true;
        },
      );
      if (!owned) return;
    }
    this.open_.delete(messageId);
    const { topics, broker, brokerBreaker } = this.deps;
    const logger = this.logger;
    try {
      await topics.getOrCreate(open.topic).append('msg.end', { messageId, reason, persisted });
    } catch (err) {
      logger.error({ err, messageId }, 'publishing msg.end failed');
    }
    this.runs.settled(messageId, reason);
    // The store writes the record in the save's transaction (its outbox): saved now, or
    // saved by a later replay of the dead letter, the message gets exactly one record.
    if (this.deps.store.recordsCompletions === true) return;
    try {
      const fields = completionFields(
        { messageId, channelId: meta.channelId, channelType: meta.channelType, reason },
        persisted,
      );
      // Keyed by message ID: a retry after a lost reply finds the first record, so consumer
      // groups see each message once.
      await retry(
        () =>
          brokerBreaker.execute(() => broker.xaddOnce(COMPLETED_STREAM, completionKey(messageId), fields)),
        this.deps.retry,
      );
    } catch (err) {
      logger.error({ err, messageId }, `adding the completion record to ${COMPLETED_STREAM} failed`);
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p;
  }
}

/** A cache `StreamMeta` as it travels on the wire (bigint custom fields as decimal strings). */
export function toWireMeta(meta: StreamMeta): WireStreamMeta {
  const wire: WireStreamMeta = {
    messageId: meta.messageId,
    channelId: meta.channelId,
    channelType: meta.channelType,
    fromUid: meta.fromUid,
    clientMsgNo: meta.clientMsgNo,
    timestamp: meta.timestamp,
    createdAt: meta.createdAt,
    updatedAt: meta.updatedAt,
    closed: meta.closed,
    customFields: JSON.parse(
      JSON.stringify(meta.customFields, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    ) as Record<string, unknown>,
  };
  if (meta.endReason !== undefined) wire.endReason = meta.endReason;
  return wire;
}

function storedInput(
  messageId: string,
  open: OpenMessage,
  chunks: MessageChunk[],
  meta: StreamMeta,
): StoredMessageInput {
  return {
    messageId,
    channelId: meta.channelId,
    channelType: meta.channelType,
    meta: toWireMeta(meta),
    text: joinChunks(chunks),
    lastChunkId: chunks.length === 0 ? -1 : chunks[chunks.length - 1]!.chunkId,
    reason: meta.endReason ?? 'force',
    firstEventId: open.firstEventId,
    lastEventId: open.lastEventId,
  };
}

function decodeBase64(b64: string): Uint8Array {
  if (typeof b64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    throw new SpoolError('INVALID_MESSAGE', '`b64` must be standard base64 (RFC 4648 §4, padded).');
  }
  return fromBase64(b64);
}

/** What an operator reads of a failed save: the store's own error, which PERSIST_FAILED wraps. */
function saveError(err: unknown): string {
  const cause =
    err instanceof SpoolError && err.code === 'PERSIST_FAILED' && err.cause !== undefined ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}

function sameOwner(a: ChatPrincipal, b: ChatPrincipal, system: ChatPrincipal): boolean {
  // The system principal only matches itself, never a principal that merely shares its id.
  return a === b || (a !== system && b !== system && a.id === b.id);
}

/**
 * A principal is required on every producer operation: nothing may reach one unauthorized
 * by leaving it out (the server itself passes `access.system`).
 */
function assertPrincipal(principal: unknown): asserts principal is ChatPrincipal {
  const p = principal as Partial<ChatPrincipal> | null | undefined;
  if (typeof p !== 'object' || p === null || typeof p.id !== 'string' || p.id === '') {
    throw new SpoolError(
      'UNAUTHENTICATED',
      "A producer operation needs the caller's principal (SYSTEM for the server itself).",
    );
  }
}

function messageEnded(messageId: string): SpoolError {
  return new SpoolError(
    'MESSAGE_ENDED',
    `Message ${messageId} has already ended; a message ID names one message, so open a new one.`,
  );
}

function notFound(messageId: string): SpoolError {
  return new SpoolError(
    'STREAM_NOT_FOUND',
    `No open message ${messageId}; open it with msg.open first, or it has already ended.`,
  );
}
