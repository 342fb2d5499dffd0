/**
 * Failover between two real Spool servers that share their topics, as instances on one
 * shared log do (docs/architecture.md, "Behind a load balancer"): each topic's log is one
 * MemoryTopicLog both servers append to and read from. The client is on server A, behind
 * a TCP relay; closing the relay cuts every connection to A and refuses new ones, as a
 * SIGKILLed instance does. A producer streams a chat message on B, the server that stays
 * up, and A dies mid-message: the client fails over to B and gets every event once, in
 * order, and the message's exact text. Over WebSocket and over SSE (Last-Event-ID).
 *
 * In-process servers share a log, not live fan-out: A's subscribers see only what A
 * appends. So the events the client gets live from A are published on A, before the
 * message starts on B; the rest reach it through B's catchup from its last event ID and
 * then B's live tail, which is exactly the resume a failover needs.
 */
import {
  type Clock,
  channelTopic,
  compareEventIds,
  MemoryTopicLog,
  type MsgDeltaData,
  type MsgOpenData,
  type TopicLog,
} from '@spool/core';
import { createSpool, type SpoolServer } from '@spool/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assembleChannel } from '../src/chat-assembler';
import { SpoolProducer } from '../src/producer';
import { SpoolClient } from '../src/spool-client';
import type { SpoolEvent } from '../src/spool-event';
import { subscribeSse } from '../src/sse/sse-subscription';
import { until, ws } from './fake-server';
import { type Relay, startRelay } from './spool-process';

const CHUNKS = 200;
const KILL_AT = 80;
const NOTES = 5;
const topic = channelTopic(1, 'failover');

let servers: SpoolServer[];
let relayA: Relay;
/** URLs of A (through the relay) and B. */
let a: { ws: string; http: string };
let b: { ws: string; http: string };
const cleanup: Array<() => unknown> = [];

/** One log per topic, shared by both servers; closing a topic (one server) leaves it alone. */
function sharedLogs(): (name: string, clock: Clock) => TopicLog {
  const logs = new Map<string, MemoryTopicLog>();
  return (name, clock) => {
    const log = logs.get(name) ?? new MemoryTopicLog({ clock });
    logs.set(name, log);
    return new Proxy(log, {
      get: (target, key) =>
        key === 'close'
          ? async () => {}
          : typeof Reflect.get(target, key) === 'function'
            ? Reflect.get(target, key).bind(target)
            : Reflect.get(target, key),
    });
  };
}

beforeEach(async () => {
  const createLog = sharedLogs();
  servers = [];
  for (let i = 0; i < 2; i++) {
    const spool = createSpool({
      topics: { createLog },
      ws: { publishRatePerSec: 1_000_000, publishBurst: 1_000_000 },
      sse: { retryMs: 5 },
    });
    servers.push(await spool.listen({ port: 0 }));
  }
  relayA = await startRelay();
  relayA.target = servers[0]!.port;
  a = { ws: `ws://127.0.0.1:${relayA.port}/v1/ws`, http: `http://127.0.0.1:${relayA.port}` };
  b = { ws: `ws://127.0.0.1:${servers[1]!.port}/v1/ws`, http: `http://127.0.0.1:${servers[1]!.port}` };
});

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  await relayA.close();
  for (const s of servers) await s.close(); // closes the Spool instance too
});

const options = { WebSocket: ws.WebSocket, backoff: { baseMs: 2, maxMs: 20 }, livenessTimeoutMs: 5000 };

/** Text with multibyte characters, so a cut inside a character would show. */
const chunkText = (i: number) => `${i}:${'é€😀'.slice(0, 1 + (i % 3))}·`;

/** Publishes the notes on A, which the client on A gets live. */
async function notesOnA(): Promise<void> {
  const publisher = new SpoolClient(a.ws, options);
  cleanup.push(() => publisher.close());
  for (let i = 0; i < NOTES; i++) await publisher.publish(topic, { note: i }, { event: 'note' });
  publisher.close();
}

/**
 * Streams the message from a producer on B, and kills A (closes its relay) after
 * {@link KILL_AT} chunks, while the client is still on it.
 */
async function produceOnBAndKillA(): Promise<{ messageId: string; text: string }> {
  const producer = new SpoolProducer(b.ws, options);
  cleanup.push(() => producer.close());
  const w = producer.openMessage({ channelId: 'failover', channelType: 1, fromUid: 'llm' });
  let text = '';
  for (let i = 0; i < CHUNKS; i++) {
    if (i === KILL_AT) await relayA.close();
    text += chunkText(i);
    await w.append(chunkText(i));
  }
  await w.end();
  return { messageId: w.messageId, text };
}

/** Every event once, in order: strictly increasing IDs, the notes, the open, every chunk, the end. */
function expectExactlyOnce(events: SpoolEvent[], messageId: string): void {
  for (let i = 1; i < events.length; i++) {
    const [before, after] = [events[i - 1]!.id, events[i]!.id];
    expect(compareEventIds(before, after), `${before} then ${after}`).toBeLessThan(0);
  }
  expect(events.filter((e) => e.event === 'note').map((e) => e.data)).toEqual(
    Array.from({ length: NOTES }, (_, i) => ({ note: i })),
  );
  expect(events.filter((e) => e.event === 'msg.open').map((e) => (e.data as MsgOpenData).messageId)).toEqual([
    messageId,
  ]);
  const chunkIds = events.filter((e) => e.event === 'msg.delta').map((e) => (e.data as MsgDeltaData).chunkId);
  expect(chunkIds).toEqual(Array.from({ length: CHUNKS }, (_, i) => i));
  expect(events.filter((e) => e.event === 'msg.end')).toHaveLength(1);
}

describe('failover to another server that shares the log', () => {
  it('WebSocket: the client moves to B and resumes exactly: every event once, in order, the exact text', {
    timeout: 30_000,
  }, async () => {
    const client = new SpoolClient([a.ws, b.ws], options);
    cleanup.push(() => client.close());
    const opened: string[] = [];
    client.on('state', (s, url) => s === 'open' && opened.push(url));
    const events: SpoolEvent[] = [];
    const channel = client.channel(1, 'failover', { after: '0-0', onEvent: (e) => events.push(e) });
    await until(() => client.state === 'open' && channel.subscription.lastEventId !== undefined, 'on A');
    expect(client.url).toBe(a.ws);

    await notesOnA();
    await until(() => events.length === NOTES, 'the notes, live from A');
    const { messageId, text } = await produceOnBAndKillA();

    await until(() => channel.getSnapshot()[0]?.status === 'ended', 'the message ended at the client');
    expect(channel.getSnapshot().map((m) => [m.messageId, m.text, m.status, m.reason])).toEqual([
      [messageId, text, 'ended', 'success'],
    ]);
    expectExactlyOnce(events, messageId);
    expect(client.url).toBe(b.ws);
    expect(opened).toEqual([a.ws, b.ws]);
  });

  it('SSE: the subscription moves to B with Last-Event-ID and resumes exactly, the exact text', {
    timeout: 30_000,
  }, async () => {
    const events: SpoolEvent[] = [];
    const opened: string[] = [];
    const sub = subscribeSse([a.http, b.http], topic, {
      after: '0-0',
      backoff: { baseMs: 2, maxMs: 20 },
      onEvent: (e) => events.push(e),
      onState: (s, url) => s === 'open' && opened.push(url),
    });
    cleanup.push(() => sub.unsubscribe());
    const channel = assembleChannel(sub);
    await until(() => sub.state === 'open', 'SSE open on A');
    expect(sub.url).toBe(a.http);

    await notesOnA();
    await until(() => events.length === NOTES, 'the notes, live from A');
    const { messageId, text } = await produceOnBAndKillA();

    const message = channel.message(messageId);
    await until(() => message.getSnapshot().status === 'ended', 'the message ended at the SSE client');
    expect(message.getSnapshot()).toMatchObject({ text, status: 'ended', reason: 'success' });
    expectExactlyOnce(events, messageId);
    expect(sub.url).toBe(b.http);
    expect(opened).toEqual([a.http, b.http]);
  });
});
