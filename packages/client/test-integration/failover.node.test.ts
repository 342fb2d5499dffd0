/**
 * Failover between two real Spool servers that share their topics, as instances on one
 * shared log do (docs/architecture.md, "Behind a load balancer"). The client is on server
 * A, behind a TCP relay; closing the relay cuts every connection to A and refuses new ones,
 * as a SIGKILLed instance does. A producer streams a chat message on B, the server that
 * stays up, and A dies mid-message: the client fails over to B and gets every event once,
 * in order, and the message's exact text. Over WebSocket and over SSE (Last-Event-ID).
 *
 * Two ways to share topics in process, each run:
 * - **shared log**: each topic's log is one MemoryTopicLog both servers append to and read
 *   from. A's subscribers see live only what A appends, so the client gets the notes
 *   published on A live, and the message on B through B's catchup after the switch.
 * - **replicated**: each server has its own logs, and every append is copied to the other
 *   with the same ID (`topic.append(..., { id })`), as the cross-instance notification of
 *   the Redis engine does. The client then gets part of the message live from A before A
 *   dies, and resumes on B from a position inside the message.
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
import { createSpool, type Spool } from '@spool/server';
import { listen, type SpoolServer } from '@spool/server/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// Internals that the server's public `Spool` keeps private, read by these tests only.
import { internalsOf } from '../../server/src/spool';
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

type Sharing = 'shared log' | 'replicated';
let servers: SpoolServer[];
let spools: Spool[];
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

/**
 * Copies every event appended to `topic` on one server to the other with the same ID, in
 * order; an event the other already holds (one it copied itself) is not copied back.
 */
function replicate(between: Spool[]): void {
  for (const [from, to] of [between, [...between].reverse()] as Array<[Spool, Spool]>) {
    let queue = Promise.resolve();
    internalsOf(from)
      .topics.getOrCreate(topic)
      .onAppend((ev) => {
        queue = queue.then(async () => {
          const target = internalsOf(to).topics.getOrCreate(topic);
          if (target.lastId === undefined || compareEventIds(ev.id, target.lastId) > 0)
            await target.append(ev.event, ev.data, { id: ev.id });
        });
      });
  }
}

async function start(sharing: Sharing): Promise<void> {
  const createLog = sharing === 'shared log' ? sharedLogs() : undefined;
  servers = [];
  spools = [];
  for (let i = 0; i < 2; i++) {
    const spool = createSpool({
      topics: createLog ? { createLog } : {},
      ws: { publishRatePerSec: 1_000_000, publishBurst: 1_000_000 },
      sse: { retryMs: 5 },
    });
    spools.push(spool);
    servers.push(await listen(spool, { port: 0 }));
  }
  if (sharing === 'replicated') replicate(spools);
  relayA = await startRelay();
  relayA.target = servers[0]!.port;
  a = { ws: `ws://127.0.0.1:${relayA.port}/v1/ws`, http: `http://127.0.0.1:${relayA.port}` };
  b = { ws: `ws://127.0.0.1:${servers[1]!.port}/v1/ws`, http: `http://127.0.0.1:${servers[1]!.port}` };
}

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  await relayA?.close();
  for (const s of servers) await s.close(); // closes the Spool instance too
});

const options = { WebSocket: ws.WebSocket, backoff: { baseMs: 2, maxMs: 20 }, livenessTimeoutMs: 5000 };
/** Random numbers whose first, the one that picks the URL a client starts on, is 0: start on A. */
function startOnA(): () => number {
  let drawn = 0;
  return () => (drawn++ === 0 ? 0 : Math.random());
}

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
 * {@link KILL_AT} chunks, while the client is still on it, once `ready` holds.
 */
async function produceOnBAndKillA(ready: () => boolean): Promise<{ messageId: string; text: string }> {
  const producer = new SpoolProducer(b.ws, options);
  cleanup.push(() => producer.close());
  const w = producer.openMessage({ channelId: 'failover', channelType: 1, fromUid: 'llm' });
  let text = '';
  for (let i = 0; i < CHUNKS; i++) {
    if (i === KILL_AT) {
      await until(ready, 'ready to kill A');
      await relayA.close();
    }
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

/** Deltas the client got before A died: none with a shared log, some once replicated. */
const liveFromA = (sharing: Sharing, events: SpoolEvent[]) => () =>
  sharing === 'shared log' || events.some((e) => e.event === 'msg.delta');

describe.each<Sharing>(['shared log', 'replicated'])('failover to another server (%s)', (sharing) => {
  beforeEach(() => start(sharing));

  it('WebSocket: the client moves to B and resumes exactly: every event once, in order, the exact text', {
    timeout: 30_000,
  }, async () => {
    const client = new SpoolClient([a.ws, b.ws], { ...options, random: startOnA() });
    cleanup.push(() => client.close());
    const opened: string[] = [];
    client.on('state', (s, url) => s === 'open' && opened.push(url));
    const events: SpoolEvent[] = [];
    const channel = client.channel(1, 'failover', { after: '0-0', onEvent: (e) => events.push(e) });
    await until(() => client.state === 'open' && channel.subscription.lastEventId !== undefined, 'on A');
    expect(client.url).toBe(a.ws);

    await notesOnA();
    await until(() => events.length === NOTES, 'the notes, live from A');
    const { messageId, text } = await produceOnBAndKillA(liveFromA(sharing, events));

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
      random: startOnA(),
      onEvent: (e) => events.push(e),
      onState: (s, url) => s === 'open' && opened.push(url),
    });
    cleanup.push(() => sub.unsubscribe());
    const channel = assembleChannel(sub);
    await until(() => sub.state === 'open', 'SSE open on A');
    expect(sub.url).toBe(a.http);

    await notesOnA();
    await until(() => events.length === NOTES, 'the notes, live from A');
    const { messageId, text } = await produceOnBAndKillA(liveFromA(sharing, events));

    const message = channel.message(messageId);
    await until(() => message.getSnapshot().status === 'ended', 'the message ended at the SSE client');
    expect(message.getSnapshot()).toMatchObject({ text, status: 'ended', reason: 'success' });
    expectExactlyOnce(events, messageId);
    expect(sub.url).toBe(b.http);
    expect(opened).toEqual([a.http, b.http]);
  });
});
