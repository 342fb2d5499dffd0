/**
 * The client README's producer loop against a real server over a real socket, with the
 * server's defaults: `for await (const token of llm) w.append(token)`, never awaiting an
 * append. A long reply is stored exactly, through connection cuts too; a writer whose
 * chunks are refused for good gets a rejected `end()` and a message ended with `error`;
 * and nothing ever becomes an unhandled rejection.
 */
import type { AddressInfo } from 'node:net';
import { createSpool, type SpoolOptions } from '@spool/server';
import { listen } from '@spool/server/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// Internals that the server's public `Spool` keeps private, read by these tests only.
import { internalsOf } from '../../server/src/spool';
import type { SpoolClientOptions } from '../src/options';
import { SpoolProducer } from '../src/producer';
import { type ChaosProxy, seeded, startChaosProxy } from './chaos-proxy';
import { until, ws } from './fake-server';

const cleanup: Array<() => unknown> = [];
let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  // Node reports an unhandled rejection once the microtask queue is empty: let it.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

async function serve(options: SpoolOptions = {}) {
  const spool = createSpool(options);
  const { server } = await listen(spool, { host: '127.0.0.1', port: 0 });
  cleanup.push(() => spool.close());
  return { spool, port: (server.address() as AddressInfo).port };
}

const clientOptions: SpoolClientOptions = {
  WebSocket: ws.WebSocket,
  backoff: { baseMs: 2, maxMs: 20 },
  livenessTimeoutMs: 10_000,
};

function client(url: string): SpoolProducer {
  const c = new SpoolProducer(url, clientOptions);
  cleanup.push(() => c.close());
  return c;
}

/** 20,000 tokens (about 129,000 characters, multibyte ones included), streamed like an LLM's. */
const TOKENS = Array.from({ length: 20_000 }, (_, i) => `${i % 7 === 0 ? 'é' : ''}tok${i} `);
const TEXT = TOKENS.join('');

async function* llm(): AsyncGenerator<string> {
  for (let i = 0; i < TOKENS.length; i++) {
    // A real model yields between network reads: let the event loop turn now and then.
    if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
    yield TOKENS[i]!;
  }
}

const meta = { channelId: 'writer', channelType: 1, fromUid: 'llm' };

describe('MessageWriter against a real server', () => {
  it('the README loop, without await, stores a 20,000-token reply exactly', { timeout: 60_000 }, async () => {
    const { spool, port } = await serve();
    const producer = client(`ws://127.0.0.1:${port}/v1/ws`);
    const w = producer.openMessage(meta);
    for await (const token of llm()) w.append(token);
    await w.end();
    await internalsOf(spool).messages.drain();
    const stored = await internalsOf(spool).store.get(w.messageId);
    expect(stored).toMatchObject({ reason: 'success' });
    expect(stored!.text).toBe(TEXT);
  });

  it('the same with the connection cut three times mid-reply', { timeout: 60_000 }, async () => {
    const { spool, port } = await serve();
    const proxy: ChaosProxy = await startChaosProxy({
      target: port,
      minBytes: 2_000,
      maxBytes: 20_000,
      random: seeded(12),
    });
    cleanup.push(() => proxy.close());
    const producer = client(`ws://127.0.0.1:${proxy.port}/v1/ws`);
    const w = producer.openMessage(meta);
    let midReply = 0;
    let done = false;
    producer.on('state', (state) => {
      if (state !== 'reconnecting' || done) return;
      midReply++;
      if (proxy.cuts >= 3) proxy.calm();
    });
    for await (const token of llm()) w.append(token);
    await w.end();
    done = true;
    expect(midReply).toBeGreaterThanOrEqual(3);
    await internalsOf(spool).messages.drain();
    const stored = await internalsOf(spool).store.get(w.messageId);
    expect(stored).toMatchObject({ reason: 'success' });
    expect(stored!.text).toBe(TEXT);
    // Subscribers see the same text: one message, every chunk once.
    const reader = client(`ws://127.0.0.1:${port}/v1/ws`);
    const channel = reader.channel(1, 'writer');
    await until(() => channel.getSnapshot()[0]?.status === 'ended', 'the reader caught up');
    expect(channel.getSnapshot().map((m) => [m.messageId, m.text])).toEqual([[w.messageId, TEXT]]);
  });

  it('a writer whose chunks are refused for good: end() rejects, the message ends with error', async () => {
    const { spool, port } = await serve({ cache: { maxChunksPerStream: 3 } });
    const producer = client(`ws://127.0.0.1:${port}/v1/ws`);
    const w = producer.openMessage(meta);
    for (let i = 0; i < 10; i++) w.append(`${i} `);
    await expect(w.end()).rejects.toMatchObject({ code: 'TOO_MANY_CHUNKS' });
    // The writer ended it as `error` on its own: readers see that end, and the store keeps it.
    const reader = client(`ws://127.0.0.1:${port}/v1/ws`);
    const channel = reader.channel(1, 'writer');
    await until(() => channel.getSnapshot()[0]?.reason !== undefined, 'the message ended at the reader');
    expect(channel.getSnapshot()).toMatchObject([
      { messageId: w.messageId, reason: 'error', text: '0 1 2 ' },
    ]);
    await internalsOf(spool).messages.drain();
    expect(await internalsOf(spool).store.get(w.messageId)).toMatchObject({
      reason: 'error',
      text: '0 1 2 ',
    });
  });
});
