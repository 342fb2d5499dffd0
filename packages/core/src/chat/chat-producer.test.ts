import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../broker/memory-broker';
import { StreamCache } from '../cache/stream-cache';
import { isSpoolError, SpoolError } from '../errors';
import { CircuitBreaker } from '../flow/circuit-breaker';
import type { TopicEvent } from '../log/topic-event';
import { TopicRegistry } from '../log/topic-registry';
import type { Logger } from '../logger';
import { COMPLETED_STREAM, completionKey } from '../store/completion-record';
import { MemoryMessageStore } from '../store/memory-message-store';
import type { MessageStore, StoredMessageInput } from '../store/message-store';
import { createManualClock } from '../time/clock';
import type { ChatPrincipal } from './chat-principal';
import { ChatProducer } from './chat-producer';

const TOPIC = 'chan:1:general';
const META = { channelId: 'general', channelType: 1 };
const alice: ChatPrincipal = { id: 'alice' };
const mallory: ChatPrincipal = { id: 'mallory' };

/** A store that fails every save while `down` is set, as a database outage does. */
class FlakyStore extends MemoryMessageStore {
  down = false;
  override async save(...args: Parameters<MemoryMessageStore['save']>) {
    if (this.down) throw new Error('store is down');
    return super.save(...args);
  }
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** The chat pipeline on core's in-memory parts, wired the way the server wires it. */
function pipeline(options: { store?: MessageStore; endedIdWindow?: number } = {}) {
  const clock = createManualClock(1_700_000_000_000);
  const store = options.store ?? new MemoryMessageStore();
  const broker = new MemoryBroker();
  const topics = new TopicRegistry({
    clock,
    cleanupIntervalMs: 0,
    patterns: [
      {
        match: 'chan:*',
        options: { retainUntilPersisted: 'messages', retention: { maxEvents: 1, hardMaxEvents: 1_000 } },
      },
    ],
  });
  const system: ChatPrincipal = Object.freeze({ id: '$system' });
  const asked: [string, string, string][] = [];
  const logged: string[] = [];
  const logger: Logger = {
    info: (_f, m) => logged.push(`info ${m}`),
    warn: (_f, m) => logged.push(`warn ${m}`),
    error: (_f, m) => logged.push(`error ${m}`),
  };
  let producer: ChatProducer | undefined;
  const cache = new StreamCache({
    clock,
    completionRetry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
    onStreamComplete: (id, chunks, meta) => producer!.onStreamComplete(id, chunks, meta),
    onCompleteFailed: (id, chunks, meta, failure) => producer!.onCompleteFailed(id, chunks, meta, failure),
  });
  producer = new ChatProducer({
    cache,
    topics,
    store,
    broker,
    storeBreaker: new CircuitBreaker({ name: 'store', clock }),
    brokerBreaker: new CircuitBreaker({ name: 'broker', clock }),
    retry: { maxAttempts: 1, clock },
    access: {
      system,
      authorize: async (principal, action, topic) => {
        asked.push([principal.id, action, topic]);
        if (principal.id === mallory.id)
          throw new SpoolError('FORBIDDEN', `${principal.id} may not ${action}.`);
      },
    },
    logger,
    clock,
    endedIdWindow: options.endedIdWindow ?? 100,
  });
  closers.push(async () => {
    await producer!.drain();
    await cache.close();
    await topics.close();
  });
  const topic = topics.getOrCreate(TOPIC);
  const events: TopicEvent[] = [];
  topic.onAppend((ev) => events.push(ev));
  /** Resolves once `msg.end` of `messageId` is on the topic. */
  const ended = (messageId: string) =>
    new Promise<TopicEvent>((resolve) => {
      const find = () => events.find((e) => e.event === 'msg.end' && dataOf(e).messageId === messageId);
      const found = find();
      if (found) return resolve(found);
      const off = topic.onAppend(() => {
        const ev = find();
        if (!ev) return;
        off();
        resolve(ev);
      });
    });
  return { producer, cache, store, broker, topic, topics, events, ended, system, asked, logged };
}

const dataOf = (ev: TopicEvent) => ev.data as Record<string, unknown>;
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: unknown) => (isSpoolError(e) ? e.code : e),
  );

describe('ChatProducer: the life of one message', () => {
  it('opens, appends and ends: msg.open, msg.delta per chunk, the save, then msg.end persisted', async () => {
    const p = pipeline();
    const { messageId, id } = await p.producer.open(META, alice);
    const d0 = await p.producer.append(messageId, 0, { text: 'Hel' }, alice);
    const d1 = await p.producer.append(messageId, 1, { text: 'lo' }, alice);
    expect(p.producer.openCount).toBe(1);
    await p.producer.end(messageId, 'success', alice);
    const end = await p.ended(messageId);

    expect(p.events.map((e) => [e.event, e.id])).toEqual([
      ['msg.open', id],
      ['msg.delta', d0],
      ['msg.delta', d1],
      ['msg.end', end.id],
    ]);
    expect(dataOf(p.events[0]!)).toMatchObject({ messageId, meta: { ...META, fromUid: 'alice' } });
    expect(dataOf(p.events[1]!)).toEqual({ messageId, chunkId: 0, text: 'Hel' });
    expect(dataOf(end)).toEqual({ messageId, reason: 'success', persisted: true });
    const stored = await p.store.get(messageId);
    expect(stored).toMatchObject({ text: 'Hello', lastChunkId: 1, firstEventId: id, lastEventId: d1 });
    // Persisted, so retention (maxEvents 1) may trim the message's events now.
    expect(p.topic.stats().retainedEvents).toBe(1);
    expect(p.producer.openCount).toBe(0);
    expect(p.asked).toEqual(Array(4).fill(['alice', 'produce', TOPIC]));
  });

  it('keeps an unpersisted message in the channel log past the soft limits', async () => {
    const p = pipeline();
    const { messageId } = await p.producer.open(META, alice);
    for (let i = 0; i < 5; i++) await p.producer.append(messageId, i, { text: `${i}` }, alice);
    expect(p.topic.stats().retainedEvents).toBe(6);
  });

  it('joins binary chunks whose UTF-8 character spans two of them, with no Buffer', async () => {
    const p = pipeline();
    const bytes = new TextEncoder().encode('né€');
    const b64 = (part: Uint8Array) => btoa(String.fromCharCode(...part));
    const { messageId } = await p.producer.open(META, alice);
    await p.producer.append(messageId, 0, { b64: b64(bytes.subarray(0, 2)) }, alice);
    await p.producer.append(messageId, 1, { b64: b64(bytes.subarray(2)) }, alice);
    expect(dataOf(p.events[1]!)).toEqual({ messageId, chunkId: 0, b64: b64(bytes.subarray(0, 2)) });
    expect(await codeOf(p.producer.append(messageId, 2, { b64: 'not base64!' }, alice))).toBe(
      'INVALID_MESSAGE',
    );
    await p.producer.end(messageId, 'success', alice);
    await p.ended(messageId);
    expect((await p.store.get(messageId))?.text).toBe('né€');
  });
});

describe('ChatProducer: one message per ID', () => {
  it('refuses a chunk ID it already has (DUPLICATE_CHUNK), with no second delta', async () => {
    const p = pipeline();
    const { messageId } = await p.producer.open(META, alice);
    await p.producer.append(messageId, 0, { text: 'a' }, alice);
    expect(await codeOf(p.producer.append(messageId, 0, { text: 'a' }, alice))).toBe('DUPLICATE_CHUNK');
    expect(p.events.filter((e) => e.event === 'msg.delta')).toHaveLength(1);
  });

  it('answers a retried open with the same IDs, and STREAM_EXISTS to another principal', async () => {
    const p = pipeline();
    const first = await p.producer.open({ ...META, messageId: '42' }, alice);
    expect(await p.producer.open({ ...META, messageId: '42' }, { id: 'alice' })).toEqual(first);
    expect(await codeOf(p.producer.open({ ...META, messageId: '42' }, { id: 'bob' }))).toBe('STREAM_EXISTS');
    expect(p.events.filter((e) => e.event === 'msg.open')).toHaveLength(1);
  });

  it('refuses to open an ended ID (MESSAGE_ENDED): from the ended-ID window, then from the store', async () => {
    const store = new MemoryMessageStore();
    const p = pipeline({ store });
    await p.producer.open({ ...META, messageId: '7' }, alice);
    await p.producer.end('7', 'success', alice);
    await p.ended('7');
    expect(await codeOf(p.producer.open({ ...META, messageId: '7' }, alice))).toBe('MESSAGE_ENDED');
    // A fresh pipeline knows nothing in its window: the store says the ID has ended.
    const later = pipeline({ store });
    expect(await codeOf(later.producer.open({ ...META, messageId: '7' }, alice))).toBe('MESSAGE_ENDED');
    expect(later.events).toEqual([]);
  });

  it('writes one completion record per message, even when a retry finds one already there', async () => {
    const p = pipeline();
    const a = await p.producer.open(META, alice);
    const b = await p.producer.open(META, alice);
    const metaOfA = p.cache.getStream(a.messageId)!.meta;
    // As if a first attempt's reply was lost after Redis had added b's record.
    await p.broker.xaddOnce(COMPLETED_STREAM, completionKey(b.messageId), { messageId: b.messageId });
    for (const { messageId } of [a, b]) {
      await p.producer.end(messageId, 'success', alice);
      await p.ended(messageId);
    }
    await p.producer.drain();
    const records = await p.broker.xrange(COMPLETED_STREAM, '-', '+');
    expect(records.map((r) => r.fields?.messageId)).toEqual([b.messageId, a.messageId]);
    expect(records[1]!.fields).toMatchObject({ channelId: 'general', reason: 'success', persisted: 'true' });
    // A late second completion call of an ended message does nothing.
    await p.producer.onStreamComplete(a.messageId, [], metaOfA);
    expect(await p.broker.xlen(COMPLETED_STREAM)).toBe(2);
  });
});

describe('ChatProducer: principals', () => {
  it('refuses a principal that may not produce (FORBIDDEN) and one left out (UNAUTHENTICATED)', async () => {
    const p = pipeline();
    expect(await codeOf(p.producer.open(META, mallory))).toBe('FORBIDDEN');
    expect(await codeOf(p.producer.open(META, undefined as never))).toBe('UNAUTHENTICATED');
    const { messageId } = await p.producer.open(META, alice);
    expect(await codeOf(p.producer.append(messageId, 0, { text: 'x' }, mallory))).toBe('FORBIDDEN');
    expect(await codeOf(p.producer.end(messageId, 'success', mallory))).toBe('FORBIDDEN');
    expect(p.events.map((e) => e.event)).toEqual(['msg.open']);
  });

  it('never asks about the system principal, and no look-alike of it passes as it', async () => {
    const p = pipeline();
    const run = await p.producer.runs.start(META, async (write) => {
      await write('hi');
    });
    expect(await run.done).toBe('success');
    expect(p.asked).toEqual([]);
    expect(dataOf(p.events[0]!)).toMatchObject({ meta: { fromUid: '' } });
    expect((await p.store.get(run.messageId))?.text).toBe('hi');
    // Same id, another object: an ordinary principal, asked like any other, and not the owner.
    const { messageId } = await p.producer.open({ ...META, messageId: '9' }, p.system);
    expect(await codeOf(p.producer.open({ ...META, messageId: '9' }, { id: '$system' }))).toBe(
      'STREAM_EXISTS',
    );
    expect(p.asked).toEqual([['$system', 'produce', TOPIC]]);
    expect(messageId).toBe('9');
  });
});

describe('ChatProducer: a store that fails', () => {
  it('dead-letters the message, still sends msg.end (persisted false), keeps its events, and a replay saves it', async () => {
    const store = new FlakyStore();
    const p = pipeline({ store });
    const { messageId } = await p.producer.open(META, alice);
    await p.producer.append(messageId, 0, { text: 'kept' }, alice);
    store.down = true;
    await p.producer.end(messageId, 'success', alice);
    const end = await p.ended(messageId);
    await p.producer.drain();

    expect(dataOf(end)).toEqual({ messageId, reason: 'success', persisted: false });
    expect(p.producer.deadLetters).toHaveLength(1);
    expect(p.producer.deadLetters[0]).toMatchObject({
      messageId,
      topic: TOPIC,
      text: 'kept',
      error: expect.stringContaining('store is down'),
    });
    expect(p.logged).toContain('error persisting a finished message failed; it is dead-lettered');
    // Never saved, so the channel log still holds every event of it.
    expect(p.topic.stats().retainedEvents).toBe(3);
    const records = await p.broker.xrange(COMPLETED_STREAM, '-', '+');
    expect(records.map((r) => r.fields)).toEqual([
      expect.objectContaining({ messageId, persisted: 'false' }),
    ]);

    // Still down: the replay stops and keeps the letter.
    expect(await p.producer.replayDeadLetters()).toEqual({ saved: [], remaining: 1, error: 'store is down' });
    store.down = false;
    expect(await p.producer.replayDeadLetters()).toEqual({ saved: [messageId], remaining: 0 });
    expect((await store.get(messageId))?.text).toBe('kept');
    expect(p.producer.deadLetters).toEqual([]);
    expect(p.topic.stats().retainedEvents).toBe(1);
  });

  it('keeps at most 1,000 dead letters, dropping the oldest with an error logged, whoever keeps them', async () => {
    const p = pipeline();
    const letter = (n: number): StoredMessageInput => ({
      messageId: String(n),
      channelId: META.channelId,
      channelType: META.channelType,
      meta: { ...META, messageId: String(n), closed: true, endReason: 'error' },
      text: `text ${n}`,
      lastChunkId: 0,
      reason: 'error',
      firstEventId: '1-0',
      lastEventId: '1-0',
    });
    // A takeover keeps the letters of messages it ended for another instance the same way.
    for (let n = 1; n <= 1_001; n++) p.producer.keepDeadLetter(letter(n), TOPIC, new Error('store is down'));
    expect(p.producer.deadLetters).toHaveLength(1_000);
    expect(p.producer.deadLetters[0]).toMatchObject({ messageId: '2', topic: TOPIC, error: 'store is down' });
    expect(p.producer.deadLetters.at(-1)?.text).toBe('text 1001');
    expect(p.logged).toEqual([
      'error the dead-letter list is full: its oldest message is no longer kept for a replay',
    ]);
    expect(p.producer.dropDeadLetter('1001')).toBe(true);
    expect(p.producer.dropDeadLetter('1')).toBe(false);
    expect(p.producer.deadLetters).toHaveLength(999);
  });
});
