/**
 * A real `spool serve` process, in memory mode, restarted under connected clients: the
 * resume rule (docs/protocol.md) must turn the restart into exactly one `reset` on every
 * client (SDK WebSocket, a compact channel, SDK SSE; raw `sub.after`, `Last-Event-ID`
 * and `lastEventId`), never into silent loss, and the cut-off message must show as
 * `interrupted` (SIGKILL) or ended with reason `force` (SIGTERM, whose `msg.end` goes
 * out before the sockets close).
 */
import { channelTopic, eventIdAfter, type MsgDeltaData } from '@spool/core';
import { afterEach, describe, expect, it } from 'vitest';
import { assembleChannel, type ChannelStore } from '../src/chat-assembler';
import { SpoolClient } from '../src/spool-client';
import type { SpoolEvent } from '../src/spool-event';
import { type SseSubscription, subscribeSse } from '../src/sse/sse-subscription';
import { until, ws } from './fake-server';
import {
  killSpoolProcesses,
  type Relay,
  type SpoolProcess,
  startRelay,
  startSpoolProcess,
} from './spool-process';

const CHANNEL = 'restart';
const TOPIC = channelTopic(1, CHANNEL);
const cleanup: Array<() => unknown> = [];

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  killSpoolProcesses();
});

async function post(base: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, `${path}: ${res.status}`).toBeLessThan(300);
  return (await res.json()) as Record<string, unknown>;
}

/** Produces a message over HTTP: open, chunks, and (unless `open`) end. */
async function produce(base: string, chunks: string[], keepOpen = false): Promise<string> {
  const { messageId } = (await post(base, '/v1/messages', { channelId: CHANNEL, channelType: 1 })) as {
    messageId: string;
  };
  for (const [chunkId, text] of chunks.entries())
    await post(base, `/v1/messages/${messageId}/chunks`, { chunkId, text });
  if (!keepOpen) await post(base, `/v1/messages/${messageId}/end`, { reason: 'success' });
  return messageId;
}

/** The three SDK readers of the channel, each counting its resets. */
function readers(relay: Relay) {
  const url = `ws://127.0.0.1:${relay.port}/v1/ws`;
  const options = { WebSocket: ws.WebSocket, backoff: { baseMs: 10, maxMs: 100 } };
  const plain = new SpoolClient(url, options);
  const compact = new SpoolClient(url, options);
  const resets = { plain: 0, compact: 0, sse: 0 };
  const events: SpoolEvent[] = [];
  plain.subscribe(TOPIC, { after: '0-0', onEvent: (e) => events.push(e), onReset: () => resets.plain++ });
  const channel = compact.channel(1, CHANNEL, {
    after: '0-0',
    compact: true,
    onReset: () => resets.compact++,
  });
  const sse: SseSubscription = subscribeSse(`http://127.0.0.1:${relay.port}`, TOPIC, {
    after: '0-0',
    backoff: { baseMs: 10, maxMs: 100 },
    onReset: () => resets.sse++,
  });
  const sseChannel: ChannelStore = assembleChannel(sse);
  cleanup.push(
    () => plain.close(),
    () => compact.close(),
    () => sse.unsubscribe(),
  );
  /** Every reader's view of one message. */
  const view = (messageId: string) =>
    [plain.message(messageId), channel.message(messageId), sseChannel.message(messageId)].map((s) =>
      s.getSnapshot(),
    );
  return { plain, compact, sse, channel, resets, events, view };
}

/** A raw WebSocket subscription: every frame of the topic, in order. */
async function rawSubscribe(port: number, after: string) {
  const socket = new ws.WebSocket(`ws://127.0.0.1:${port}/v1/ws`, ['spool.v1']);
  cleanup.push(() => socket.terminate());
  const frames: Array<Record<string, unknown>> = [];
  socket.on('message', (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ op: 'sub', topic: TOPIC, after }));
  return frames;
}

/** A raw SSE request with `lastEventId` in the query, read until `done` holds. */
async function rawSse(base: string, lastEventId: string, done: (text: string) => boolean): Promise<string> {
  const res = await fetch(`${base}/v1/topics/${encodeURIComponent(TOPIC)}/events?lastEventId=${lastEventId}`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!done(text)) {
    const { value, done: end } = await reader.read();
    if (end) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  return text;
}

describe('a spool serve process restarted in memory mode', () => {
  it('SIGKILL mid-reply: one reset per client, the message interrupted, the new history whole', {
    timeout: 120_000,
  }, async () => {
    const relay = await startRelay();
    cleanup.push(() => relay.close());
    let server: SpoolProcess = await startSpoolProcess();
    relay.target = server.port;
    const r = readers(relay);
    await until(() => r.plain.state === 'open' && r.compact.state === 'open' && r.sse.state === 'open');
    const cut = await produce(server.url, ['Once ', 'upon '], true);
    await until(
      () => r.view(cut).every((m) => m.text === 'Once upon ' && m.status === 'streaming'),
      'the reply streaming everywhere',
    );
    const oldLast = r.events.at(-1)!.id;

    relay.target = undefined;
    await server.stop('SIGKILL');
    server = await startSpoolProcess();
    relay.target = server.port;

    await until(() => r.resets.plain + r.resets.compact + r.resets.sse === 3, 'a reset on every client');
    expect(r.view(cut).map((m) => m.status)).toEqual(['interrupted', 'interrupted', 'interrupted']);
    expect(r.view(cut).map((m) => m.text)).toEqual(['Once upon ', 'Once upon ', 'Once upon ']);

    // the restarted server's own history reaches everyone, whole and in order
    const next = await produce(server.url, ['a ', 'new ', 'reply']);
    await until(() => r.view(next).every((m) => m.status === 'ended'), 'the new reply everywhere');
    expect(r.view(next).map((m) => m.text)).toEqual(['a new reply', 'a new reply', 'a new reply']);
    expect(r.resets).toEqual({ plain: 1, compact: 1, sse: 1 });
    expect(r.view(cut).map((m) => m.status)).toEqual(['interrupted', 'interrupted', 'interrupted']);
    const fresh = r.events.slice(
      r.events.findIndex((e) => e.data && (e.data as MsgDeltaData).messageId === next),
    );
    expect(fresh.map((e) => e.event)).toEqual(['msg.open', 'msg.delta', 'msg.delta', 'msg.delta', 'msg.end']);

    // raw `sub.after` with the old last ID: subok.from is the reset's earliest, then the events
    const frames = await rawSubscribe(server.port, oldLast);
    await until(() => frames.filter((f) => f.op === 'ev').length === 5, 'raw events');
    expect(frames.map((f) => f.op)).toEqual(['subok', 'reset', 'ev', 'ev', 'ev', 'ev', 'ev']);
    expect(frames[0]!.from).toBe(frames[1]!.earliest);
    expect(frames[1]!.earliest).toBe(frames[2]!.id);
    // SSE with `lastEventId` in the query: the same, as an `event: reset`
    const text = await rawSse(server.url, oldLast, (t) => t.includes('msg.end'));
    const body = text.slice(text.indexOf('\n\n') + 2);
    expect(body).toMatch(/^id: \S+\nevent: reset\ndata: \{"earliest":"\S+"\}\n\n/);
    expect(body).toContain(`"earliest":"${frames[2]!.id}"`);
  });

  it('SIGTERM: msg.end with reason force reaches every client first; after the restart one reset each', {
    timeout: 120_000,
  }, async () => {
    const relay = await startRelay();
    cleanup.push(() => relay.close());
    let server: SpoolProcess = await startSpoolProcess();
    relay.target = server.port;
    const r = readers(relay);
    await until(() => r.plain.state === 'open' && r.compact.state === 'open' && r.sse.state === 'open');
    const cut = await produce(server.url, ['half '], true);
    await until(() => r.view(cut).every((m) => m.text === 'half '), 'the reply streaming everywhere');

    relay.target = undefined;
    expect(await server.stop('SIGTERM')).toBe(0);
    // Nothing can reach the clients any more (the relay refuses, and a restarted server
    // never heard of this message): an end they get came before the close.
    await until(() => r.view(cut).every((m) => m.status !== 'streaming'), 'the end on every client');
    expect(r.view(cut).map((m) => [m.status, m.reason])).toEqual([
      ['ended', 'force'],
      ['ended', 'force'],
      ['ended', 'force'],
    ]);

    server = await startSpoolProcess();
    relay.target = server.port;
    await until(() => r.resets.plain + r.resets.compact + r.resets.sse === 3, 'a reset on every client');
    const next = await produce(server.url, ['after']);
    await until(() => r.view(next).every((m) => m.status === 'ended'), 'the new reply everywhere');
    expect(r.resets).toEqual({ plain: 1, compact: 1, sse: 1 });
    expect(r.view(cut).map((m) => m.status)).toEqual(['ended', 'ended', 'ended']);
  });

  it('future IDs and IDs that never existed: one reset, then everything the server holds', {
    timeout: 120_000,
  }, async () => {
    const server = await startSpoolProcess();
    const first = await produce(server.url, ['one ', 'two ', 'three']);
    const all = await rawSubscribe(server.port, '0-0');
    await until(() => all.filter((f) => f.op === 'ev').length === 5, 'the history');
    const ids = all.filter((f) => f.op === 'ev').map((f) => f.id as string);

    // a client whose last ID is above every ID this server issued gets them all, after one reset
    const client = new SpoolClient(`ws://127.0.0.1:${server.port}/v1/ws`, { WebSocket: ws.WebSocket });
    cleanup.push(() => client.close());
    const resets: string[] = [];
    const got: string[] = [];
    client.subscribe(TOPIC, {
      after: '9999999999999-0',
      onEvent: (e) => got.push(e.id),
      onReset: (e) => resets.push(e),
    });
    // Wait for the subscription itself: `message(id)` may learn the end from its HTTP lookup first.
    await until(() => got.length >= ids.length, 'the history after the reset');
    expect([resets, got]).toEqual([[ids[0]], ids]);
    expect(client.message(first).getSnapshot()).toMatchObject({ text: 'one two three', status: 'ended' });

    // an ID that never existed between two that do
    const gap = ids.findIndex((id, i) => i > 0 && eventIdAfter(ids[i - 1]!) !== id);
    expect(gap).toBeGreaterThan(0);
    const between = eventIdAfter(ids[gap - 1]!);
    const frames = await rawSubscribe(server.port, between);
    await until(() => frames.filter((f) => f.op === 'ev').length === 5, 'the events after the reset');
    expect(frames.map((f) => f.op)).toEqual(['subok', 'reset', 'ev', 'ev', 'ev', 'ev', 'ev']);
    expect([frames[0]!.from, frames[1]!.earliest]).toEqual([ids[0], ids[0]]);
    // a future Last-Event-ID over SSE: the same
    const text = await rawSse(server.url, '9999999999999-0', (t) => t.includes('msg.end'));
    expect(text).toContain(`event: reset\ndata: {"earliest":"${ids[0]}"}`);
    await server.stop('SIGTERM');
  });
});
