import { SpoolError } from '../errors';
import { type MessageId, type MessageIdInput, toMessageId } from '../protocol/message-id';
import type { Clock } from '../time/clock';
import {
  type ResolvedStreamCacheOptions,
  resolveCacheOptions,
  type StreamCacheOptions,
} from './cache-options';
import { CompletionQueue } from './completion-queue';
import { assertEndReason, EndReason } from './end-reason';
import { CACHE_CHUNK_OVERHEAD_BYTES, CACHE_STREAM_OVERHEAD_BYTES, utf8ByteLength } from './memory-cost';
import type { MessageChunkInput } from './message-chunk';
import { LifecycleListeners, type StreamCacheEvent, type StreamCacheEventMap } from './stream-cache-events';
import type { ChannelEndResult, StreamCacheStats } from './stream-cache-results';
import { CACHE_TIME_RESOLUTION_MS, StreamDeadlines } from './stream-deadlines';
import { StreamEntry, type StreamView } from './stream-entry';
import { StreamMetaIndex } from './stream-index';
import {
  applyStreamMetaDraft,
  assertChannelType,
  assertString,
  copyStreamMeta,
  createStreamMeta,
  type StreamMeta,
  type StreamMetaDraft,
  type StreamMetaInit,
} from './stream-meta';

/**
 * Assembles streaming messages chunk by chunk: open, append, end, then hand the
 * whole message to `onStreamComplete`, which is retried and finally dead-lettered, never
 * dropped.
 *
 * - Message IDs are 64-bit: every method accepts a bigint, a decimal string or a
 *   safe-integer number, and everything the cache returns or passes to a callback carries
 *   the canonical decimal string (`toMessageId`), so `1843563473929170944` stays exact.
 * - Memory is counted as payload bytes plus {@link CACHE_CHUNK_OVERHEAD_BYTES} per chunk and
 *   {@link CACHE_STREAM_OVERHEAD_BYTES} per stream, and never exceeds `maxMemoryBytes`. An
 *   ended stream's memory is released at once, before its completion runs: the completion
 *   task holds the chunks, outside the accounting, so a slow or failing store cannot block
 *   new streams. The flip side: chunks awaiting a retry are not counted.
 * - Deadlines (`StreamDeadlines`): one timer, armed for the earliest deadline, ends a
 *   stream (reason `timeout`) when no chunk arrived for `chunkInactivityTimeoutMs`, or
 *   when it is `streamTimeoutMs` old, whichever comes first. Metadata updates do not count
 *   as activity. Appending touches no timer and does not read the clock: it is stamped with
 *   a sample at most {@link CACHE_TIME_RESOLUTION_MS} old, which is also the resolution of
 *   `updatedAt` and the most an inactivity completion can be late.
 * - Every failed call changes nothing. After `close()`, mutating calls throw `CACHE_CLOSED`.
 *
 * @example
 * const cache = new StreamCache({ onStreamComplete: (id, chunks, meta) => store.save(id, chunks, meta) });
 * cache.openStream(new StreamMetaBuilder(1843563473929170944n).channel('general', 1).from('u1').build());
 * cache.appendChunk({ messageId: '1843563473929170944', chunkId: 0, payload: 'Hel' });
 * cache.appendChunk({ messageId: '1843563473929170944', chunkId: 1, payload: 'lo' });
 * cache.endStream('1843563473929170944', EndReason.Success);
 * await cache.close();
 */
export class StreamCache {
  readonly #o: ResolvedStreamCacheOptions;
  readonly #clock: Clock;
  readonly #maxMemory: number;
  readonly #maxChunks: number;
  readonly #streams = new Map<MessageId, StreamEntry>();
  readonly #index = new StreamMetaIndex<StreamEntry>();
  readonly #deadlines: StreamDeadlines;
  readonly #listeners = new LifecycleListeners();
  readonly #completions: CompletionQueue;
  #memory = 0;
  /** Chunks of ended streams: `#appended - #chunksEnded` is the chunks held, with one counter per append. */
  #chunksEnded = 0;
  #opened = 0;
  #appended = 0;
  #ended = 0;
  readonly #endedByReason: Record<EndReason, number> = {
    success: 0,
    timeout: 0,
    error: 0,
    cancelled: 0,
    force: 0,
  };
  #closing: Promise<void> | undefined;

  /** @throws SpoolError `INVALID_OPTION` for any invalid option, with how to fix it. */
  constructor(options?: StreamCacheOptions) {
    this.#o = resolveCacheOptions(options);
    this.#clock = this.#o.clock;
    this.#maxMemory = this.#o.maxMemoryBytes;
    this.#maxChunks = this.#o.maxChunksPerStream;
    this.#completions = new CompletionQueue({
      onStreamComplete: this.#o.onStreamComplete,
      onCompleteFailed: this.#o.onCompleteFailed,
      retry: this.#o.completionRetry,
      clock: this.#clock,
      onSettled: (meta, outcome) => {
        if (this.#listeners.has('completion'))
          this.#listeners.emit('completion', copyStreamMeta(meta), outcome);
      },
    });
    this.#deadlines = new StreamDeadlines({
      clock: this.#clock,
      chunkInactivityTimeoutMs: this.#o.chunkInactivityTimeoutMs,
      streamTimeoutMs: this.#o.streamTimeoutMs,
      cleanupIntervalMs: this.#o.cleanupIntervalMs,
      expire: (entry) => this.#end(entry, EndReason.Timeout),
      streams: () => this.#streams,
    });
  }

  /**
   * Registers the stream; required before any `appendChunk`. Returns the stored metadata.
   * @throws SpoolError `INVALID_MESSAGE_ID`, `INVALID_STREAM_META`, `STREAM_EXISTS` (open, or
   *   ended with its completion still running), `TOO_MANY_STREAMS`, `MEMORY_LIMIT_REACHED`, `CACHE_CLOSED`
   */
  openStream(init: StreamMetaInit): StreamMeta {
    this.#assertOpen();
    const now = this.#deadlines.sample();
    const meta = createStreamMeta(init, now);
    const id = meta.messageId;
    if (this.#streams.has(id) || this.#completions.has(id)) {
      const state = this.#streams.has(id) ? 'is already open' : 'has ended and is still completing';
      throw new SpoolError(
        'STREAM_EXISTS',
        `Stream ${id} ${state}; use a new message ID or wait for its completion.`,
      );
    }
    if (this.#streams.size >= this.#o.maxStreams) {
      throw new SpoolError(
        'TOO_MANY_STREAMS',
        `Cannot open stream ${id}: ${this.#streams.size} streams are open (maxStreams ${this.#o.maxStreams}). End some streams or raise \`maxStreams\`.`,
      );
    }
    this.#assertMemory(CACHE_STREAM_OVERHEAD_BYTES, `open stream ${id}`);
    const entry = new StreamEntry(meta);
    this.#streams.set(id, entry);
    this.#index.add(meta, entry);
    this.#memory += CACHE_STREAM_OVERHEAD_BYTES;
    this.#opened++;
    this.#deadlines.track(entry);
    if (this.#listeners.has('open')) this.#listeners.emit('open', copyStreamMeta(meta));
    return copyStreamMeta(meta);
  }

  /**
   * Adds one chunk. Chunks may arrive in any order; completion sorts them by chunkId.
   * A `Uint8Array` payload is kept by reference: do not reuse its buffer afterwards.
   * @throws SpoolError `INVALID_MESSAGE_ID`, `STREAM_NOT_FOUND`, `STREAM_CLOSED` (ended, completion
   *   running), `INVALID_CHUNK_ID`, `INVALID_PAYLOAD`, `DUPLICATE_CHUNK`, `TOO_MANY_CHUNKS`,
   *   `MEMORY_LIMIT_REACHED`, `CACHE_CLOSED`
   */
  appendChunk(chunk: MessageChunkInput): void {
    this.#assertOpen();
    const entry = this.#lookup(chunk.messageId);
    const chunkId = chunk.chunkId;
    const payload = chunk.payload;
    if (!Number.isSafeInteger(chunkId) || chunkId < 0) {
      throw new SpoolError(
        'INVALID_CHUNK_ID',
        `Invalid chunkId ${String(chunkId)} for stream ${entry.meta.messageId}: expected a non-negative safe integer.`,
      );
    }
    let bytes: number;
    if (typeof payload === 'string') bytes = utf8ByteLength(payload);
    else if (payload instanceof Uint8Array) bytes = payload.byteLength;
    else
      throw new SpoolError(
        'INVALID_PAYLOAD',
        `A chunk's payload must be a string or a Uint8Array, got ${typeof payload}.`,
      );
    if (chunkId <= entry.maxChunkId && this.#seen(entry, chunkId)) {
      throw new SpoolError('DUPLICATE_CHUNK', `Stream ${entry.meta.messageId} already has chunk ${chunkId}.`);
    }
    if (entry.ids.length >= this.#maxChunks) {
      throw new SpoolError(
        'TOO_MANY_CHUNKS',
        `Stream ${entry.meta.messageId} already has ${entry.ids.length} chunks (maxChunksPerStream ${this.#maxChunks}). End it, or raise \`maxChunksPerStream\`.`,
      );
    }
    const cost = bytes + CACHE_CHUNK_OVERHEAD_BYTES;
    if (this.#memory + cost > this.#maxMemory)
      this.#assertMemory(cost, `append to stream ${entry.meta.messageId}`);
    // Committed from here on: nothing below can throw.
    if (chunkId > entry.maxChunkId) entry.maxChunkId = chunkId;
    else entry.inOrder = false;
    entry.ids.push(chunkId);
    entry.payloads.push(payload);
    entry.idSet?.add(chunkId);
    entry.bytes += bytes;
    this.#memory += cost;
    this.#appended++;
    entry.lastChunkAt = this.#deadlines.now;
  }

  /**
   * Ends a stream and schedules its completion. `meta.endReason` records `reason`.
   * @throws SpoolError `INVALID_MESSAGE_ID`, `STREAM_NOT_FOUND`, `STREAM_CLOSED`, `INVALID_OPTION` (reason), `CACHE_CLOSED`
   */
  endStream(messageId: MessageIdInput, reason: EndReason = EndReason.Success): void {
    this.#assertOpen();
    assertEndReason(reason);
    this.#end(this.#lookup(messageId), reason);
  }

  /**
   * Ends every open stream of a channel (default reason `force`) and reports each one.
   * @throws SpoolError `INVALID_STREAM_META` (channel), `INVALID_OPTION` (reason), `CACHE_CLOSED`
   */
  endStreamInChannel(
    channelId: string,
    channelType: number,
    reason: EndReason = EndReason.Force,
  ): ChannelEndResult {
    this.#assertOpen();
    assertString(channelId, 'channelId');
    assertChannelType(channelType);
    assertEndReason(reason);
    const result: ChannelEndResult = { ended: [], failures: [] };
    // A snapshot: `end` listeners run inside the loop and may change the index.
    for (const entry of [...(this.#index.channel(channelId, channelType) ?? [])]) {
      const messageId = entry.meta.messageId;
      if (entry.open) {
        this.#end(entry, reason);
        result.ended.push(messageId);
      } else {
        result.failures.push({ messageId, error: this.#closedError(messageId) });
      }
    }
    return result;
  }

  /**
   * Changes a stream's metadata through `update`, which gets a mutable copy; the indexes
   * follow. Returns the new metadata. If `update` throws, nothing changes.
   * @throws SpoolError `INVALID_MESSAGE_ID`, `STREAM_NOT_FOUND`, `STREAM_CLOSED`, `INVALID_STREAM_META`, `INVALID_OPTION`, `CACHE_CLOSED`
   */
  updateStreamMeta(messageId: MessageIdInput, update: (meta: StreamMetaDraft) => void): StreamMeta {
    this.#assertOpen();
    const entry = this.#lookup(messageId);
    if (typeof update !== 'function') {
      throw new SpoolError(
        'INVALID_OPTION',
        '`update` must be a function that changes the draft it receives.',
      );
    }
    const draft: StreamMetaDraft = entry.snapshot();
    const returned: unknown = update(draft);
    if (typeof (returned as PromiseLike<unknown> | undefined)?.then === 'function') {
      throw new SpoolError(
        'INVALID_OPTION',
        '`update` must be synchronous: change the draft before returning.',
      );
    }
    if (!entry.open) throw this.#closedError(entry.meta.messageId);
    const next = applyStreamMetaDraft(entry.meta, draft, this.#deadlines.sample());
    this.#index.remove(entry.meta, entry);
    entry.meta = next;
    this.#index.add(next, entry);
    if (this.#listeners.has('update')) this.#listeners.emit('update', entry.snapshot());
    return entry.snapshot();
  }

  /** A read-only snapshot of an open stream, or undefined. @throws SpoolError `INVALID_MESSAGE_ID` */
  getStream(messageId: MessageIdInput): StreamView | undefined {
    return this.#streams.get(toMessageId(messageId))?.view();
  }

  /** Open streams, most recently updated first (at most `limit`). */
  listStreams(limit = Number.POSITIVE_INFINITY): StreamView[] {
    const entries = [...this.#streams.values()].sort((a, b) => b.updatedAt - a.updatedAt);
    return entries.slice(0, Math.max(0, limit)).map((e) => e.view());
  }

  /** Open streams of a channel, oldest first. @throws SpoolError `INVALID_STREAM_META` */
  getStreamsByChannel(channelId: string, channelType: number): StreamMeta[] {
    assertString(channelId, 'channelId');
    assertChannelType(channelType);
    return metas(this.#index.channel(channelId, channelType));
  }

  /** Open streams sent by `fromUid`, oldest first. */
  getStreamsByUser(fromUid: string): StreamMeta[] {
    assertString(fromUid, 'fromUid');
    return metas(this.#index.user(fromUid));
  }

  /**
   * Open streams whose custom field `key` equals `value` (SameValueZero; only string,
   * number, boolean, bigint and null values match).
   */
  getStreamsByCustomField(key: string, value: unknown): StreamMeta[] {
    assertString(key, 'key');
    return metas(this.#index.field(key, value));
  }

  /** Whether the channel has an open stream: one map lookup. @throws SpoolError `INVALID_STREAM_META` */
  hasStreamInChannel(channelId: string, channelType: number): boolean {
    assertString(channelId, 'channelId');
    assertChannelType(channelType);
    return this.#index.hasChannel(channelId, channelType);
  }

  /** Memory, stream and chunk counts with their limits, plus lifetime counters; a new object per call. */
  getStats(): StreamCacheStats {
    return {
      memoryBytes: this.#memory,
      maxMemoryBytes: this.#maxMemory,
      streams: this.#streams.size,
      maxStreams: this.#o.maxStreams,
      chunks: this.#appended - this.#chunksEnded,
      maxChunksPerStream: this.#maxChunks,
      ...this.#completions.counters,
      opened: this.#opened,
      appended: this.#appended,
      ended: this.#ended,
      endedByReason: { ...this.#endedByReason },
      pendingCompletions: this.#completions.size,
    };
  }

  /** Counted memory in bytes (payloads + overheads of open streams). */
  getMemoryUsage(): number {
    return this.#memory;
  }

  /** Open streams right now. */
  getStreamCount(): number {
    return this.#streams.size;
  }

  /** Whether counted memory is at least `threshold` (0 < threshold ≤ 1) of `maxMemoryBytes`. */
  isMemoryLimitReached(threshold = 1): boolean {
    if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) {
      throw new SpoolError(
        'INVALID_OPTION',
        `\`threshold\` must be a fraction in (0, 1], e.g. 0.9, got ${threshold}.`,
      );
    }
    return this.#memory >= threshold * this.#maxMemory;
  }

  /**
   * Observes the lifecycle (see {@link StreamCacheEventMap}); returns the unsubscribe function.
   * @example const off = cache.on('end', (meta, reason) => log(meta.messageId, reason));
   */
  on<E extends StreamCacheEvent>(event: E, listener: StreamCacheEventMap[E]): () => void {
    return this.#listeners.on(event, listener);
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Stops the timers, ends every open stream with reason `force`, and resolves when every
   * completion has settled, retries and dead letters included. Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    // The promise exists before the streams end, so that an `end` listener calling close()
    // gets this same promise.
    let closed!: () => void;
    this.#closing = new Promise<void>((resolve) => {
      closed = resolve;
    });
    this.#deadlines.stop();
    for (const entry of [...this.#streams.values()]) if (entry.open) this.#end(entry, EndReason.Force);
    void this.#completions.idle().then(closed);
    return this.#closing;
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) {
      throw new SpoolError(
        'CACHE_CLOSED',
        'The StreamCache is closed; create a new one to cache more streams.',
      );
    }
  }

  #assertMemory(cost: number, what: string): void {
    if (this.#memory + cost > this.#maxMemory) {
      throw new SpoolError(
        'MEMORY_LIMIT_REACHED',
        `Cannot ${what}: it needs ${cost} bytes and ${this.#memory} of ${this.#maxMemory} are in use (maxMemoryBytes). End streams or raise \`maxMemoryBytes\`.`,
      );
    }
  }

  #lookup(messageId: MessageIdInput): StreamEntry {
    // Fast path: an open stream's canonical ID; anything else is validated first.
    if (typeof messageId === 'string') {
      const entry = this.#streams.get(messageId);
      if (entry !== undefined) return entry;
    }
    const id = toMessageId(messageId);
    const entry = this.#streams.get(id);
    if (entry !== undefined) return entry;
    if (this.#completions.has(id)) throw this.#closedError(id);
    throw new SpoolError('STREAM_NOT_FOUND', `No open stream ${id}: call openStream() first.`);
  }

  #closedError(id: MessageId): SpoolError {
    return new SpoolError('STREAM_CLOSED', `Stream ${id} has ended; it accepts no more chunks or changes.`);
  }

  #seen(entry: StreamEntry, chunkId: number): boolean {
    // Built once, on the first chunk at or below the highest ID so far; kept from then on.
    entry.idSet ??= new Set(entry.ids);
    return entry.idSet.has(chunkId);
  }

  #end(entry: StreamEntry, reason: EndReason): void {
    entry.open = false;
    const meta = entry.meta;
    this.#streams.delete(meta.messageId);
    this.#index.remove(meta, entry);
    this.#deadlines.untrack(entry);
    this.#memory -= entry.memory;
    this.#chunksEnded += entry.ids.length;
    this.#ended++;
    this.#endedByReason[reason]++;
    // The entry has left the cache: its meta is the completion's own from now on.
    meta.closed = true;
    meta.endReason = reason;
    meta.updatedAt = Math.max(this.#deadlines.sample(), entry.lastChunkAt);
    this.#completions.enqueue(meta.messageId, meta, () => entry.toChunks());
    if (this.#listeners.has('end')) this.#listeners.emit('end', copyStreamMeta(meta), reason);
  }
}

function metas(set: ReadonlySet<StreamEntry> | undefined): StreamMeta[] {
  if (set === undefined) return [];
  const out: StreamMeta[] = [];
  for (const entry of set) out.push(entry.snapshot());
  return out;
}
