/**
 * The client against the real server, through a proxy that cuts connections at random
 * moments (mid-frame, mid-handshake, during catchup): a message streamed in 2,000 chunks
 * must assemble to exactly the produced text, and every event must arrive once and in
 * order, over WebSocket and over SSE.
 */
import { channelTopic, type MsgDeltaData } from '@spool/core';
import { createSpool } from '@spool/server';
import { listen, type SpoolServer } from '@spool/server/node';
import { afterEach, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { assembleChannel } from '../src/chat-assembler';
import type { SpoolClientOptions } from '../src/options';
import { SpoolProducer } from '../src/producer';
import type { SpoolEvent } from '../src/spool-event';
import { subscribeSse } from '../src/sse/sse-subscription';
import { type ChaosProxy, seeded, startChaosProxy } from './chaos-proxy';
import { until, ws } from './fake-server';

const CHUNKS = 2000;
const CUTS = 100;

let spool: ReturnType<typeof createSpool>;
let server: SpoolServer;
let port: number;
const cleanup: Array<() => unknown> = [];

beforeEach(async () => {
  spool = createSpool({
    ws: { publishRatePerSec: 1_000_000, publishBurst: 1_000_000 },
    cache: { maxChunksPerStream: 10_000 },
    sse: { retryMs: 5 },
  });
  server = await listen(spool, { port: 0 });
  port = server.port;
});

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  await server.close(); // closes the Spool instance too
});

const clientOptions: SpoolClientOptions = {
  WebSocket: ws.WebSocket,
  backoff: { baseMs: 2, maxMs: 20 },
  livenessTimeoutMs: 5000,
};

/**
 * Budgets are uniform in [0, maxBytes]; a WebSocket handshake alone takes about 400 bytes,
 * so small budgets cut mid-handshake, the rest mid-frame or mid-catchup. 2,000 deltas are
 * about 300 KB, so a 4,000-byte cap cuts a consumer about 150 times.
 */
async function proxy(n: number, maxBytes: number): Promise<ChaosProxy> {
  // `SPOOL_TEST_SEED` (pnpm test:seeds) moves every proxy's seed; a failure prints it.
  const base = Number(process.env.SPOOL_TEST_SEED ?? 0);
  const seed = base + n;
  onTestFailed(() => {
    console.error(`chaos proxy ${n} used seed ${seed}: replay with SPOOL_TEST_SEED=${base}`);
  });
  const p = await startChaosProxy({ target: port, minBytes: 0, maxBytes, random: seeded(seed) });
  cleanup.push(() => p.close());
  return p;
}

function client(url: string): SpoolProducer {
  const c = new SpoolProducer(url, clientOptions);
  cleanup.push(() => c.close());
  return c;
}

/** Text with multibyte characters, so a cut inside a character would show. */
const chunkText = (i: number) => `${i}:${'é€😀'.slice(0, 1 + (i % 3))}·`;

/** Streams the message from a producer whose own connection is cut too, pacing like an LLM. */
async function produce(producer: SpoolProducer): Promise<{ messageId: string; text: string }> {
  const w = producer.openMessage({ channelId: 'chaos', channelType: 1, fromUid: 'llm' });
  let text = '';
  const inFlight: Array<Promise<unknown>> = [];
  for (let i = 0; i < CHUNKS; i++) {
    text += chunkText(i);
    inFlight.push(w.append(chunkText(i)));
    if (inFlight.length === 8) await Promise.all(inFlight.splice(0));
  }
  await w.end();
  return { messageId: w.messageId, text };
}

/** Events of one subscription: strictly increasing IDs, and every chunk exactly once. */
function expectExactlyOnce(events: SpoolEvent[]): void {
  for (let i = 1; i < events.length; i++) {
    const [am, as] = events[i - 1]!.id.split('-').map(Number) as [number, number];
    const [bm, bs] = events[i]!.id.split('-').map(Number) as [number, number];
    expect(bm > am || (bm === am && bs > as), `${events[i - 1]!.id} then ${events[i]!.id}`).toBe(true);
  }
  const chunkIds = events.filter((e) => e.event === 'msg.delta').map((e) => (e.data as MsgDeltaData).chunkId);
  expect(chunkIds).toEqual(Array.from({ length: CHUNKS }, (_, i) => i));
}

describe('resume through a connection cut 100+ times', () => {
  it('WebSocket: the assembled text equals the produced text, every event once and in order', {
    timeout: 60_000,
  }, async () => {
    const consumerProxy = await proxy(1, 4000);
    // A snapshot holds the whole text so far (up to ~30 KB here): a budget below that would
    // cut every catchup at the same frame forever, which no real network does.
    const compactProxy = await proxy(2, 120_000);
    const producerProxy = await proxy(3, 12_000);
    const topic = channelTopic(1, 'chaos');

    const consumer = client(`ws://127.0.0.1:${consumerProxy.port}/v1/ws`);
    const events: SpoolEvent[] = [];
    consumer.subscribe(topic, { after: '0-0', onEvent: (e) => events.push(e) });
    // A second reader catches up through snapshots after each cut.
    const compact = client(`ws://127.0.0.1:${compactProxy.port}/v1/ws`);
    const compactChannel = compact.channel(1, 'chaos');
    await until(() => consumer.state === 'open' && compact.state === 'open', 'consumers open');

    const producer = client(`ws://127.0.0.1:${producerProxy.port}/v1/ws`);
    const { messageId, text } = await produce(producer);

    const message = consumer.message(messageId);
    await until(() => message.getSnapshot().status !== 'streaming', 'message ended at the consumer');
    await until(
      () => compactChannel.getSnapshot()[0]?.status === 'ended',
      'message ended at the compact consumer',
    );
    expect(message.getSnapshot()).toMatchObject({ status: 'ended', reason: 'success' });
    expect(message.getSnapshot().text).toBe(text);
    expect(compactChannel.getSnapshot().map((m) => m.text)).toEqual([text]);
    expectExactlyOnce(events);
    expect(consumerProxy.cuts).toBeGreaterThanOrEqual(CUTS);
    expect(compactProxy.cuts).toBeGreaterThan(3);
    expect(producerProxy.cuts).toBeGreaterThan(5);
  });

  it('SSE: the same, with Last-Event-ID resume over fetch', { timeout: 60_000 }, async () => {
    const consumerProxy = await proxy(4, 4000);
    const producerProxy = await proxy(5, 12_000);
    const topic = channelTopic(1, 'chaos');
    const events: SpoolEvent[] = [];
    const sub = subscribeSse(`http://127.0.0.1:${consumerProxy.port}`, topic, {
      after: '0-0',
      backoff: { baseMs: 2, maxMs: 20 },
      onEvent: (e) => events.push(e),
    });
    cleanup.push(() => sub.unsubscribe());
    const channel = assembleChannel(sub);
    await until(() => sub.state === 'open', 'SSE open');

    const producer = client(`ws://127.0.0.1:${producerProxy.port}/v1/ws`);
    const { messageId, text } = await produce(producer);

    const message = channel.message(messageId);
    await until(() => message.getSnapshot().status !== 'streaming', 'message ended at the SSE consumer');
    expect(message.getSnapshot()).toMatchObject({ status: 'ended', reason: 'success', text });
    expectExactlyOnce(events);
    expect(consumerProxy.cuts).toBeGreaterThanOrEqual(CUTS);
  });

  it('publishes through cuts are each applied exactly once, in order', { timeout: 60_000 }, async () => {
    const producerProxy = await proxy(6, 3000);
    const seen: unknown[] = [];
    const reader = client(`ws://127.0.0.1:${port}/v1/ws`);
    const sub = reader.subscribe('pubs', { onEvent: (e) => seen.push(e.data) });
    // subok gives the subscription its position: from then on nothing can be missed.
    await until(() => sub.lastEventId !== undefined, 'reader subscribed');
    const publisher = client(`ws://127.0.0.1:${producerProxy.port}/v1/ws`);
    const ids: string[] = [];
    for (let i = 0; i < 300; i += 10) {
      ids.push(
        ...(await Promise.all(Array.from({ length: 10 }, (_, k) => publisher.publish('pubs', i + k)))),
      );
    }
    expect(new Set(ids).size).toBe(300);
    await until(() => seen.length >= 300, 'all publishes seen');
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(producerProxy.cuts).toBeGreaterThan(5);
  });
});
