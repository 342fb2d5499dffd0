import {
  type CircuitBreaker,
  channelTopic,
  type MessageChunk,
  type MessageStore,
  type OpenMessageSnapshot,
  type OpenMessageSource,
  type RetryOptions,
  retry,
  SpoolError,
  type StreamBroker,
  type StreamCache,
  type StreamMeta,
  type TopicRegistry,
  toMessageId,
  type WireEndReason,
  type WireOpenMeta,
  type WireStreamMeta,
} from '@spool/core';
import type { Logger } from 'pino';
import type { AccessControl } from '../auth/access-control';
import type { Principal } from '../auth/principal';
import { messageIdGenerator } from './message-id-generator';
import { MessageRuns } from './message-runs';
import type { ProducerOps, WireChunk } from './producer-ops';

/** Where finished messages are announced for consumer groups (ARCHITECTURE step 4). */
export const COMPLETED_STREAM = 'spool:completed';

export interface ChatProducerDeps {
  cache: StreamCache;
  topics: TopicRegistry;
  store: MessageStore;
  broker: StreamBroker;
  storeBreaker: CircuitBreaker;
  brokerBreaker: CircuitBreaker;
  retry: RetryOptions;
  access: AccessControl;
  logger: Logger;
  now: () => number;
}

interface OpenMessage {
  topic: string;
  firstEventId: string;
  lastEventId: string;
  /** Topic appends not settled yet: a snapshot waits for them, so it never covers a chunk whose delta is not on the topic. */
  inflight: Set<Promise<unknown>>;
}

/** A message whose persistence failed every attempt, kept for operators. */
export interface DeadLetter {
  messageId: string;
  topic: string;
  text: string;
  meta: WireStreamMeta;
  error: string;
  at: number;
}

const MAX_DEAD_LETTERS = 1000;
const decoder = new TextDecoder();

/**
 * The life of one chat message (ARCHITECTURE): `open` registers it in the StreamCache and
 * puts `msg.open` on the channel topic; each chunk is validated by the cache and goes out
 * as `msg.delta`; on completion (end, cancel, timeout) the message is saved to the store
 * through retry + circuit breaker, then `msg.end` goes out with `persisted`, then a record
 * goes to the broker stream `spool:completed`. A message whose save finally fails still
 * gets its `msg.end` (`persisted: false`) and is kept as a dead letter.
 *
 * @example
 * const { messageId } = await chat.open({ channelId: 'general', channelType: 1 }, principal);
 * await chat.append(messageId, 0, { text: 'Hel' }, principal);
 * await chat.end(messageId, 'success', principal);
 */
export class ChatProducer implements ProducerOps, OpenMessageSource {
  readonly runs: MessageRuns;
  readonly deadLetters: DeadLetter[] = [];
  private readonly open_ = new Map<string, OpenMessage>();
  private readonly nextId: () => string;
  /** Completions in flight, so `close()` can wait for them. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly deps: ChatProducerDeps) {
    this.nextId = messageIdGenerator(deps.now);
    this.runs = new MessageRuns({
      openAsServer: async (meta) => {
        const r = await this.openMessage(meta, undefined);
        return { ...r, topic: this.open_.get(r.messageId)!.topic };
      },
      appendAsServer: (messageId, chunkId, chunk) => this.appendChunk(messageId, chunkId, chunk, undefined),
      endAsServer: (messageId, reason) => this.end(messageId, reason, undefined),
    });
    deps.cache.on('end', (meta, reason) => this.runs.ended(meta.messageId, reason));
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
    const reason = meta.endReason ?? 'force';
    const { store, storeBreaker } = this.deps;
    const save = () =>
      retry(
        () =>
          storeBreaker.execute(() =>
            store.save({
              messageId,
              channelId: meta.channelId,
              channelType: meta.channelType,
              meta: toWireMeta(meta),
              text: joinChunks(chunks),
              lastChunkId: chunks.length === 0 ? -1 : chunks[chunks.length - 1]!.chunkId,
              reason,
              firstEventId: open.firstEventId,
              lastEventId: open.lastEventId,
            }),
          ),
        this.deps.retry,
      );
    // Atomic with respect to catchup (seed 003's PersistAndClear): a resume never reads the
    // store before the save committed, and the message's events become trimmable only after.
    await this.deps.topics.getOrCreate(open.topic).persistAndClear(save, { messageId });
    await this.track(this.finish(messageId, open, meta, reason, true));
  };

  /** The cache's `onCompleteFailed`: keep the message for operators, and still send `msg.end`. */
  readonly onCompleteFailed = async (
    messageId: string,
    chunks: MessageChunk[],
    meta: StreamMeta,
    failure: { error: unknown },
  ): Promise<void> => {
    const open = this.open_.get(messageId);
    if (!open) return;
    const err = failure.error;
    this.deps.logger.error({ err, messageId }, 'persisting a finished message failed; it is dead-lettered');
    this.deadLetters.push({
      messageId,
      topic: open.topic,
      text: joinChunks(chunks),
      meta: toWireMeta(meta),
      error: err instanceof Error ? err.message : String(err),
      at: this.deps.now(),
    });
    if (this.deadLetters.length > MAX_DEAD_LETTERS) this.deadLetters.shift();
    await this.track(this.finish(messageId, open, meta, meta.endReason ?? 'force', false));
  };

  async open(meta: WireOpenMeta, principal: Principal): Promise<{ messageId: string; id: string }> {
    return this.openMessage(meta, principal);
  }

  async append(messageId: string, chunkId: number, chunk: WireChunk, principal: Principal): Promise<string> {
    const payload = 'b64' in chunk ? decodeBase64(chunk.b64) : chunk.text;
    return this.appendChunk(messageId, chunkId, payload, principal);
  }

  async end(messageId: string, reason: WireEndReason, principal: Principal | undefined): Promise<void> {
    const id = toMessageId(messageId);
    const open = this.open_.get(id);
    if (!open) throw notFound(id);
    if (principal) await this.deps.access.authorize(principal, 'produce', open.topic);
    this.deps.cache.endStream(id, reason);
  }

  /** Open messages' count, for stats. */
  get openCount(): number {
    return this.open_.size;
  }

  /** Waits for completions in flight (shutdown). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private async openMessage(meta: WireOpenMeta, principal: Principal | undefined) {
    if (typeof meta !== 'object' || meta === null) {
      throw new SpoolError('INVALID_MESSAGE', '`meta` must be an object with channelId and channelType.');
    }
    if (typeof meta.channelId !== 'string' || meta.channelId === '') {
      throw new SpoolError('INVALID_STREAM_META', '`meta.channelId` must be a non-empty string.');
    }
    const messageId = meta.messageId === undefined ? this.nextId() : toMessageId(meta.messageId);
    const topic = channelTopic(meta.channelType, meta.channelId);
    if (principal) await this.deps.access.authorize(principal, 'produce', topic);
    const opened = this.deps.cache.openStream({
      messageId,
      channelId: meta.channelId,
      channelType: meta.channelType,
      fromUid: meta.fromUid ?? (principal ? principal.id : ''),
      clientMsgNo: meta.clientMsgNo,
      timestamp: meta.timestamp,
      customFields: meta.customFields,
    });
    // Registered before the await: a chunk or an end may follow before the topic answers.
    const open: OpenMessage = { topic, firstEventId: '', lastEventId: '', inflight: new Set() };
    this.open_.set(messageId, open);
    try {
      const { id } = await this.appendEvent(open, 'msg.open', { messageId, meta: toWireMeta(opened) });
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

  private async appendChunk(
    messageId: string,
    chunkId: number,
    payload: string | Uint8Array,
    principal: Principal | undefined,
  ): Promise<string> {
    const id = toMessageId(messageId);
    const open = this.open_.get(id);
    if (!open) throw notFound(id);
    if (principal) await this.deps.access.authorize(principal, 'produce', open.topic);
    this.deps.cache.appendChunk({ messageId: id, chunkId, payload });
    const data =
      typeof payload === 'string'
        ? { messageId: id, chunkId, text: payload }
        : { messageId: id, chunkId, b64: Buffer.from(payload).toString('base64') };
    const { id: eventId } = await this.appendEvent(open, 'msg.delta', data);
    open.lastEventId = eventId;
    return eventId;
  }

  private appendEvent(open: OpenMessage, event: string, data: unknown) {
    const appended = this.deps.topics.getOrCreate(open.topic).append(event, data);
    open.inflight.add(appended);
    const settle = () => open.inflight.delete(appended);
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
    return out;
  }

  private async finish(
    messageId: string,
    open: OpenMessage,
    meta: StreamMeta,
    reason: WireEndReason,
    persisted: boolean,
  ) {
    this.open_.delete(messageId);
    const { topics, broker, brokerBreaker, logger } = this.deps;
    try {
      await topics.getOrCreate(open.topic).append('msg.end', { messageId, reason, persisted });
    } catch (err) {
      logger.error({ err, messageId }, 'publishing msg.end failed');
    }
    this.runs.settled(messageId, reason);
    try {
      const fields = {
        messageId,
        channelId: meta.channelId,
        channelType: String(meta.channelType),
        reason,
        persisted: String(persisted),
      };
      await retry(() => brokerBreaker.execute(() => broker.xadd(COMPLETED_STREAM, fields)), this.deps.retry);
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

function joinChunks(chunks: MessageChunk[]): string {
  let text = '';
  let binary: Uint8Array[] | undefined;
  for (const c of chunks) {
    if (typeof c.payload === 'string') {
      if (binary) {
        text += decoder.decode(Buffer.concat(binary));
        binary = undefined;
      }
      text += c.payload;
    } else {
      binary ??= [];
      binary.push(c.payload);
    }
  }
  if (binary) text += decoder.decode(Buffer.concat(binary));
  return text;
}

function decodeBase64(b64: string): Uint8Array {
  if (typeof b64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    throw new SpoolError('INVALID_MESSAGE', '`b64` must be standard base64 (RFC 4648 §4, padded).');
  }
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

function notFound(messageId: string): SpoolError {
  return new SpoolError(
    'STREAM_NOT_FOUND',
    `No open message ${messageId}; open it with msg.open first, or it has already ended.`,
  );
}
