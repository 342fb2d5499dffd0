import { createManualClock, type ManualClock, type SpoolError } from '@spool/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SpoolClientOptions } from '../src/options';
import { SpoolProducer } from '../src/producer';
import type { ConnectionState } from '../src/spool-client';
import { RESET_EVENT, type SpoolEvent } from '../src/spool-event';
import { type FakeConnection, type FakeServer, startFakeServer, TestWebSocket, until } from './fake-server';

let server: FakeServer;
let clock: ManualClock;
const clients: SpoolProducer[] = [];

beforeEach(async () => {
  server = await startFakeServer();
  clock = createManualClock(1_000_000);
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.close();
  vi.unstubAllGlobals();
});

function connect(options: SpoolClientOptions = {}, url = server.url): SpoolProducer {
  const client = new SpoolProducer(url, {
    WebSocket: TestWebSocket,
    clock,
    random: () => 0.5,
    livenessTimeoutMs: 10_000,
    backoff: { baseMs: 100, maxMs: 1000 },
    ...options,
  });
  clients.push(client);
  return client;
}

const ev = (topic: string, id: string, data: unknown = {}, event = 'message') => ({
  op: 'ev',
  topic,
  id,
  event,
  data,
});

async function opened(client: SpoolProducer, n: number): Promise<FakeConnection> {
  const conn = await server.connection(n);
  await until(() => client.state === 'open', 'state open');
  return conn;
}

/** Cuts connection `n` and lets the backoff timer fire, returning connection `n + 1`. */
async function cutAndResume(client: SpoolProducer, n: number): Promise<FakeConnection> {
  const conn = server.connections[n]!;
  conn.terminate();
  await until(() => client.state === 'reconnecting', 'state reconnecting');
  await clock.advanceAsync(1000);
  return opened(client, n + 1);
}

describe('SpoolProducer options', () => {
  it.each([
    ['url', 'http://x/v1/ws', {}],
    ['credit', 'ws://x', { credit: 0 }],
    ['offlineQueueMax', 'ws://x', { offlineQueueMax: -1 }],
    ['livenessTimeoutMs', 'ws://x', { livenessTimeoutMs: Number.NaN }],
    ['backoff.attempts', 'ws://x', { backoff: { attempts: 1.5 } }],
    ['backoff.baseMs', 'ws://x', { backoff: { baseMs: -1 } }],
  ])('rejects a bad %s with INVALID_OPTION', (name, url, options) => {
    try {
      new SpoolProducer(url, { WebSocket: TestWebSocket, ...options });
      expect.unreachable();
    } catch (err) {
      expect((err as SpoolError).code).toBe('INVALID_OPTION');
      expect((err as Error).message).toContain(`\`${name}\``);
    }
  });

  it('asks for a WebSocket constructor when the runtime has none', () => {
    vi.stubGlobal('WebSocket', undefined);
    try {
      new SpoolProducer('ws://127.0.0.1:1/v1/ws');
      expect.unreachable();
    } catch (err) {
      expect((err as SpoolError).code).toBe('INVALID_OPTION');
      expect((err as Error).message).toContain("from 'ws'");
    }
  });
});

describe('SpoolProducer connection', () => {
  it('connects with subprotocol spool.v1 and reports its states', async () => {
    const states: ConnectionState[] = [];
    const client = connect();
    client.on('state', (s) => states.push(s));
    expect(client.state).toBe('connecting');
    const conn = await opened(client, 0);
    expect(conn.protocol).toBe('spool.v1');
    await cutAndResume(client, 0);
    client.close();
    expect(states).toEqual(['open', 'reconnecting', 'open', 'closed']);
  });

  it('fetches a fresh token from getToken for every connection', async () => {
    let n = 0;
    const client = connect({ getToken: async () => `tok ${++n}` });
    const first = await opened(client, 0);
    expect(first.url).toBe('/v1/ws?access_token=tok%201');
    const second = await cutAndResume(client, 0);
    expect(second.url).toBe('/v1/ws?access_token=tok%202');
  });

  it('backs off with full jitter: delays within [0, min(maxMs, baseMs * 2^attempt)]', async () => {
    const delays: number[] = [];
    const setTimeout = clock.setTimeout.bind(clock);
    clock.setTimeout = (fn, ms) => {
      if (ms !== 10_000) delays.push(ms);
      return setTimeout(fn, ms);
    };
    await server.close();
    let r = 0;
    const randoms = [0.999, 0, 0.5, 0.999, 0.999, 0.25];
    const client = connect({ random: () => randoms[r++ % randoms.length]! });
    for (let i = 0; i < randoms.length; i++) {
      await until(() => delays.length === i + 1, `delay ${i}`);
      await clock.advanceAsync(delays[i]!);
    }
    const ceilings = [100, 200, 400, 800, 1000, 1000];
    expect(delays).toEqual(ceilings.map((c, i) => randoms[i]! * c));
    client.close();
  });

  it('gives up after backoff.attempts: state closed and queued requests reject with RETRY_EXHAUSTED', async () => {
    let retries = 0;
    const setTimeout = clock.setTimeout.bind(clock);
    clock.setTimeout = (fn, ms) => {
      if (ms !== 10_000) retries++;
      return setTimeout(fn, ms);
    };
    await server.close();
    const client = connect({ backoff: { baseMs: 10, maxMs: 10, attempts: 2 } });
    const pub = client.publish('t', 1).catch((e: SpoolError) => e.code);
    for (let i = 1; i <= 2; i++) {
      await until(() => retries === i, `retry ${i}`);
      await clock.advanceAsync(10);
    }
    await until(() => client.state === 'closed', 'closed');
    expect(await pub).toBe('RETRY_EXHAUSTED');
    await expect(client.publish('t', 2)).rejects.toMatchObject({ code: 'RETRY_EXHAUSTED' });
  });

  it('drops a connection that sends nothing within livenessTimeoutMs, and keeps one that sends hb', async () => {
    const client = connect();
    const marks: string[] = [];
    client.subscribe('t', { onEvent: (e) => marks.push(e.id) });
    const conn = await opened(client, 0);
    await clock.advanceAsync(6000);
    conn.send({ op: 'hb' });
    // Frames arrive in order: once this event is in, so is the heartbeat before it.
    conn.send(ev('t', '1-0'));
    await until(() => marks.length === 1, 'heartbeat processed');
    await clock.advanceAsync(6000); // 12 s since open, 6 s since the heartbeat
    expect(client.state).toBe('open');
    await clock.advanceAsync(4000); // 10 s of silence
    await conn.closed;
    await until(() => client.state === 'reconnecting', 'reconnecting');
    await clock.advanceAsync(1000);
    await opened(client, 1);
  });

  it('retries at once when the browser comes back online', async () => {
    if (typeof globalThis.addEventListener !== 'function') {
      const target = new EventTarget();
      vi.stubGlobal('addEventListener', target.addEventListener.bind(target));
      vi.stubGlobal('removeEventListener', target.removeEventListener.bind(target));
      vi.stubGlobal('dispatchEvent', target.dispatchEvent.bind(target));
    }
    const client = connect({ backoff: { baseMs: 60_000, maxMs: 60_000 }, random: () => 0.99 });
    const conn = await opened(client, 0);
    conn.terminate();
    await until(() => client.state === 'reconnecting' && clock.pending() > 0, 'retry scheduled');
    globalThis.dispatchEvent(new Event('online'));
    await opened(client, 1);
  });

  it('drops an open socket when the browser goes offline, and resumes when it is back online', async () => {
    if (typeof globalThis.addEventListener !== 'function') {
      const target = new EventTarget();
      vi.stubGlobal('addEventListener', target.addEventListener.bind(target));
      vi.stubGlobal('removeEventListener', target.removeEventListener.bind(target));
      vi.stubGlobal('dispatchEvent', target.dispatchEvent.bind(target));
    }
    const client = connect({ backoff: { baseMs: 60_000, maxMs: 60_000 }, random: () => 0.99 });
    const got: string[] = [];
    client.subscribe('t', { after: '0-0', onEvent: (e) => got.push(e.id) });
    const first = await opened(client, 0);
    await first.next((f) => f.op === 'sub');
    first.send(ev('t', '1-0'));
    await until(() => got.length === 1, 'first event');
    // An offline browser keeps a socket that looks open while nothing gets through.
    globalThis.dispatchEvent(new Event('offline'));
    await first.closed;
    expect(client.state).toBe('reconnecting');
    globalThis.dispatchEvent(new Event('online'));
    const second = await opened(client, 1);
    expect(await second.next((f) => f.op === 'sub')).toMatchObject({ topic: 't', after: '1-0' });
  });

  it('retries at once when the tab becomes visible again', async () => {
    const doc = globalThis.document ?? Object.assign(new EventTarget(), { hidden: false });
    if (!globalThis.document) vi.stubGlobal('document', doc);
    const client = connect({ backoff: { baseMs: 60_000, maxMs: 60_000 }, random: () => 0.99 });
    const conn = await opened(client, 0);
    conn.terminate();
    await until(() => client.state === 'reconnecting' && clock.pending() > 0, 'retry scheduled');
    doc.dispatchEvent(new Event('visibilitychange'));
    await opened(client, 1);
  });

  it('reconnect() drops the connection and resumes at once', async () => {
    const client = connect();
    const first = await opened(client, 0);
    client.reconnect();
    await first.closed;
    await opened(client, 1);
  });
});

describe('SpoolProducer subscriptions', () => {
  it('subscribes with after, compact and credit, and delivers events once and in order', async () => {
    const client = connect({ credit: 64 });
    const got: string[] = [];
    const sub = client.subscribe('chan:1:a', { after: '5-0', compact: true, onEvent: (e) => got.push(e.id) });
    const conn = await opened(client, 0);
    expect(await conn.next((f) => f.op === 'sub')).toEqual({
      op: 'sub',
      topic: 'chan:1:a',
      after: '5-0',
      compact: true,
      credit: 64,
    });
    for (const id of ['4-9', '5-0', '5-1', '6-0', '5-1', '10-0', '9-9']) conn.send(ev('chan:1:a', id));
    await until(() => sub.lastEventId === '10-0', 'last event');
    expect(got).toEqual(['5-1', '6-0', '10-0']);
  });

  it('resumes every subscription from its last event ID after a reconnect, with no duplicate', async () => {
    const client = connect();
    const seen: SpoolEvent[] = [];
    const a = client.subscribe('a', { after: '0-0' });
    const b = client.subscribe('b', { onEvent: (e) => seen.push(e) });
    const conn = await opened(client, 0);
    await conn.next((f) => f.topic === 'a');
    await conn.next((f) => f.topic === 'b');
    conn.send({ op: 'subok', topic: 'b', from: '100-0' });
    conn.send(ev('a', '1-0'));
    conn.send(ev('a', '2-0'));
    await until(() => a.lastEventId === '2-0' && b.lastEventId === '99-9007199254740991');

    const again = await cutAndResume(client, 0);
    const subs = [await again.next((f) => f.op === 'sub'), await again.next((f) => f.op === 'sub')];
    expect(subs.map((f) => [f.topic, f.after])).toEqual([
      ['a', '2-0'],
      ['b', '99-9007199254740991'],
    ]);
    // The server replays from the resume point; anything older is dropped.
    again.send(ev('b', '99-5'));
    again.send(ev('b', '100-0', { n: 1 }));
    again.send(ev('b', '100-1', { n: 2 }));
    await until(() => b.lastEventId === '100-1');
    expect(seen.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('surfaces a reset to onReset and to the iterator, never swallowing it', async () => {
    const client = connect();
    const resets: string[] = [];
    const sub = client.subscribe('t', { after: '1-0', onReset: (e) => resets.push(e) });
    const it = sub[Symbol.asyncIterator]();
    const conn = await opened(client, 0);
    await conn.next((f) => f.op === 'sub');
    conn.send({ op: 'reset', topic: 't', earliest: '50-0' });
    conn.send(ev('t', '50-0', 'x'));
    expect((await it.next()).value).toMatchObject({ event: RESET_EVENT, data: { earliest: '50-0' } });
    expect((await it.next()).value).toMatchObject({ id: '50-0', data: 'x' });
    expect(resets).toEqual(['50-0']);
    expect(sub.lastEventId).toBe('50-0');
  });

  it('after a reset takes every event from earliest, even below its old position, and resumes just below it', async () => {
    const client = connect();
    const got: string[] = [];
    const resets: string[] = [];
    const sub = client.subscribe('t', {
      after: '9000-0',
      onEvent: (e) => got.push(e.id),
      onReset: (e) => resets.push(e),
    });
    const conn = await opened(client, 0);
    expect(await conn.next((f) => f.op === 'sub')).toMatchObject({ after: '9000-0' });
    // a restarted server whose IDs are all below the client's last one
    conn.send({ op: 'subok', topic: 't', from: '50-0' });
    conn.send({ op: 'reset', topic: 't', earliest: '50-0' });
    await until(() => resets.length === 1, 'reset');
    expect(sub.lastEventId).toBe(`49-${Number.MAX_SAFE_INTEGER}`);
    // cut before the first event: the resume asks for exactly what follows earliest
    const second = await cutAndResume(client, 0);
    expect(await second.next((f) => f.op === 'sub')).toMatchObject({
      after: `49-${Number.MAX_SAFE_INTEGER}`,
    });
    second.send(ev('t', '50-0'));
    second.send(ev('t', '60-0'));
    await until(() => got.length === 2, 'events after the reset');
    expect(got).toEqual(['50-0', '60-0']);
    expect(resets).toEqual(['50-0']);
    // a live joiner of the same topic starts after the wire's new position, not the old one
    const late = client.subscribe('t', { onEvent: (e) => got.push(`late ${e.id}`) });
    expect(late.lastEventId).toBe('60-0');
  });

  it('marks the streaming messages of a reset topic interrupted until the new history says otherwise', async () => {
    const client = connect();
    client.channel(1, 'g');
    const conn = await opened(client, 0);
    await conn.next((f) => f.op === 'sub');
    const open = (id: string, at: string) =>
      conn.send(ev('chan:1:g', at, { messageId: id, meta: { messageId: id } }, 'msg.open'));
    open('1', '1-0');
    open('2', '1-1');
    conn.send(ev('chan:1:g', '1-2', { messageId: '2', chunkId: 0, text: 'to' }, 'msg.delta'));
    await until(() => client.message('2').getSnapshot().text === 'to', 'streaming');
    conn.send({ op: 'reset', topic: 'chan:1:g', earliest: '1-0' });
    await until(() => client.message('1').getSnapshot().status === 'interrupted', 'interrupted');
    expect(client.message('2').getSnapshot()).toMatchObject({ status: 'interrupted', text: 'to' });
    // the new history snapshots message 2: it goes on; message 1 is never mentioned again
    conn.send(
      ev(
        'chan:1:g',
        '1-2',
        { messageId: '2', meta: { messageId: '2' }, text: 'to', lastChunkId: 0, status: 'streaming' },
        'msg.snapshot',
      ),
    );
    await until(() => client.message('2').getSnapshot().status === 'streaming', 'snapshot');
    expect(client.message('1').getSnapshot().status).toBe('interrupted');
  });

  it('grants credit as the application consumes, and none while an iterator lags', async () => {
    const client = connect({ credit: 4 });
    const sub = client.subscribe('t', { after: '0-0' });
    const it = sub[Symbol.asyncIterator]();
    const conn = await opened(client, 0);
    await conn.next((f) => f.op === 'sub');
    for (let i = 1; i <= 4; i++) conn.send(ev('t', `${i}-0`));
    await until(() => sub.buffer.length === 4, 'buffered');
    expect(conn.frames.filter((f) => f.op === 'credit')).toEqual([]);
    await it.next();
    expect(conn.frames.filter((f) => f.op === 'credit')).toEqual([]);
    await it.next();
    // Two consumed of a window of four: grant them back.
    expect(await conn.next((f) => f.op === 'credit')).toEqual({ op: 'credit', topic: 't', n: 2 });
    await it.next();
    await it.next();
    expect(await conn.next((f) => f.op === 'credit')).toEqual({ op: 'credit', topic: 't', n: 2 });
  });

  it('grants credit at once for events handled by callbacks', async () => {
    const client = connect({ credit: 10 });
    client.subscribe('t', { onEvent: () => {} });
    const conn = await opened(client, 0);
    await conn.next((f) => f.op === 'sub');
    for (let i = 1; i <= 12; i++) conn.send(ev('t', `${i}-0`));
    expect(await conn.next((f) => f.op === 'credit')).toEqual({ op: 'credit', topic: 't', n: 5 });
    expect(await conn.next((f) => f.op === 'credit')).toEqual({ op: 'credit', topic: 't', n: 5 });
  });

  it('ends a subscription the server refuses, with the error code', async () => {
    const client = connect();
    const errors: string[] = [];
    const sub = client.subscribe('$sys', { onError: (e) => errors.push(e.code) });
    const conn = await opened(client, 0);
    await conn.next((f) => f.op === 'sub');
    conn.send({ op: 'err', topic: '$sys', code: 'FORBIDDEN', message: 'admin only' });
    await expect(sub[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(errors).toEqual(['FORBIDDEN']);
    expect(sub.active).toBe(false);
  });

  it('shares one wire subscription per topic and restarts it for an earlier joiner', async () => {
    const client = connect();
    const a: string[] = [];
    const b: string[] = [];
    client.subscribe('t', { after: '5-0', onEvent: (e) => a.push(e.id) });
    const conn = await opened(client, 0);
    await conn.next((f) => f.op === 'sub');
    conn.send(ev('t', '6-0'));
    await until(() => a.length === 1);
    const sb = client.subscribe('t', { after: '0-0', onEvent: (e) => b.push(e.id) });
    expect(await conn.next((f) => f.op === 'unsub')).toEqual({ op: 'unsub', topic: 't' });
    expect(await conn.next((f) => f.op === 'sub')).toMatchObject({ after: '0-0' });
    for (const id of ['1-0', '6-0', '7-0']) conn.send(ev('t', id));
    await until(() => b.length === 3);
    expect(a).toEqual(['6-0', '7-0']);
    expect(b).toEqual(['1-0', '6-0', '7-0']);
    sb.unsubscribe();
    expect(conn.frames.some((f) => f.op === 'unsub')).toBe(false);
  });

  it('finishes iterators and rejects pending requests on close()', async () => {
    const client = connect();
    const sub = client.subscribe('t');
    const next = sub[Symbol.asyncIterator]().next();
    const conn = await opened(client, 0);
    const pub = client.publish('t', 1);
    await conn.next((f) => f.op === 'pub');
    client.close();
    expect(await next).toEqual({ value: undefined, done: true });
    await expect(pub).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect(() => client.subscribe('u')).toThrow(expect.objectContaining({ code: 'CONNECTION_CLOSED' }));
  });

  it('reports a frame that is not protocol v1 as a BAD_FRAME error', async () => {
    const client = connect();
    const errors: SpoolError[] = [];
    client.on('error', (e) => errors.push(e));
    const conn = await opened(client, 0);
    conn.sendRaw('not json');
    await until(() => errors.length === 1);
    expect(errors[0]!.code).toBe('BAD_FRAME');
  });
});

describe('SpoolProducer publish and producing', () => {
  it('resolves a publish with the acknowledged event ID', async () => {
    const client = connect();
    const conn = await opened(client, 0);
    const p = client.publish('t', { a: 1 }, { event: 'note' });
    const f = await conn.next((x) => x.op === 'pub');
    expect(f).toMatchObject({ topic: 't', event: 'note', data: { a: 1 } });
    expect(typeof f.key).toBe('string');
    conn.send({ op: 'ack', ref: f.ref, id: '7-0' });
    expect(await p).toBe('7-0');
  });

  it('queues publishes while offline and sends them in order, with the same idempotency keys', async () => {
    const client = connect({ offlineQueueMax: 3 });
    const conn = await opened(client, 0);
    const first = client.publish('t', 0);
    const sent = await conn.next((f) => f.op === 'pub');
    conn.terminate();
    await until(() => client.state === 'reconnecting');
    const later = [client.publish('t', 1), client.publish('t', 2)];
    await expect(client.publish('t', 3)).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    await clock.advanceAsync(1000);
    const again = await opened(client, 1);
    const pubs = [];
    for (let i = 0; i < 3; i++) pubs.push(await again.next((f) => f.op === 'pub'));
    expect(pubs.map((f) => f.data)).toEqual([0, 1, 2]);
    expect(pubs[0]!.key).toBe(sent.key);
    expect(new Set(pubs.map((f) => f.key)).size).toBe(3);
    for (const [i, f] of pubs.entries()) again.send({ op: 'ack', ref: f.ref, id: `${i + 1}-0` });
    expect(await Promise.all([first, ...later])).toEqual(['1-0', '2-0', '3-0']);
  });

  it('rejects a publish with the code the server sent', async () => {
    const client = connect();
    const conn = await opened(client, 0);
    const p = client.publish('t', 1);
    const f = await conn.next((x) => x.op === 'pub');
    conn.send({ op: 'err', ref: f.ref, code: 'FORBIDDEN', message: 'no' });
    await expect(p).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'no' });
  });

  it('streams a message with msg.*, resends across a reconnect and takes DUPLICATE_CHUNK as done', async () => {
    const client = connect();
    const conn = await opened(client, 0);
    const w = client.openMessage({ channelId: 'g', channelType: 1 });
    expect(w.messageId).toMatch(/^[1-9][0-9]{15,18}$/);
    const open = await conn.next((f) => f.op === 'msg.open');
    expect(open.meta).toEqual({ channelId: 'g', channelType: 1, messageId: w.messageId });
    conn.send({ op: 'ack', ref: open.ref, id: '1-0', messageId: w.messageId });
    const appends = [w.append('Hel'), w.append('lo')];
    const ended = w.end('success');
    const a0 = await conn.next((f) => f.op === 'msg.append');
    const a1 = await conn.next((f) => f.op === 'msg.append');
    expect([a0.chunkId, a0.text, a1.chunkId, a1.text]).toEqual([0, 'Hel', 1, 'lo']);
    conn.send({ op: 'ack', ref: a0.ref, id: '2-0' });
    expect(await appends[0]).toBe('2-0');
    // The ack of chunk 1 is lost with the connection; the server had applied it.
    const again = await cutAndResume(client, 0);
    // The message is opened again first (the idempotent retry), then the chunk goes again.
    await until(() => again.frames.some((f) => f.op === 'msg.append'), 'the chunk sent again');
    expect(again.frames.filter((f) => f.op.startsWith('msg.')).map((f) => f.op)).toEqual([
      'msg.open',
      'msg.append',
    ]);
    const reopened = await again.next((f) => f.op === 'msg.open');
    expect(reopened.meta).toEqual(open.meta);
    again.send({ op: 'ack', ref: reopened.ref, id: '1-0', messageId: w.messageId });
    const re = await again.next((f) => f.op === 'msg.append');
    expect([re.ref, re.chunkId]).toEqual([a1.ref, 1]);
    again.send({ op: 'err', ref: re.ref, code: 'DUPLICATE_CHUNK', message: 'chunk 1 exists' });
    await appends[1];
    const end = await again.next((f) => f.op === 'msg.end');
    expect(end).toMatchObject({ messageId: w.messageId, reason: 'success' });
    again.send({ op: 'ack', ref: end.ref });
    await ended;
    await expect(w.append('more')).rejects.toMatchObject({ code: 'STREAM_CLOSED' });
  });

  it('paces writers with their own window, not offlineQueueMax, and keeps publishes bounded by it', async () => {
    const client = connect({ offlineQueueMax: 1 });
    const conn = await opened(client, 0);
    const w = client.openMessage({ channelId: 'g', channelType: 1 }, { window: 3 });
    const open = await conn.next((f) => f.op === 'msg.open');
    conn.send({ op: 'ack', ref: open.ref, id: '1-0', messageId: w.messageId });
    await w.opened;
    conn.terminate();
    await until(() => client.state === 'reconnecting');
    const parts = Array.from({ length: 10 }, (_, i) => w.append(`${i}`));
    const pub = client.publish('t', 1);
    await expect(client.publish('t', 2)).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    await clock.advanceAsync(1000);
    const again = await opened(client, 1);
    // Three were in flight when the connection went (the window); the rest merged behind them.
    const appends = [];
    for (let i = 0; i < 3; i++) appends.push(await again.next((f) => f.op === 'msg.append'));
    expect(appends.map((f) => [f.chunkId, f.text])).toEqual([
      [0, '0'],
      [1, '1'],
      [2, '2'],
    ]);
    for (const f of appends) again.send({ op: 'ack', ref: f.ref, id: `2-${f.chunkId}` });
    const last = await again.next((f) => f.op === 'msg.append');
    expect([last.chunkId, last.text]).toEqual([3, '3456789']);
    again.send({ op: 'ack', ref: last.ref, id: '2-3' });
    expect(await Promise.all(parts)).toEqual(['2-0', '2-1', '2-2', ...Array(7).fill('2-3')]);
    const p = await again.next((f) => f.op === 'pub');
    again.send({ op: 'ack', ref: p.ref, id: '3-0' });
    expect(await pub).toBe('3-0');
  });

  it('sends a publish refused for rate again after retryAfterMs, and resolves with its ack', async () => {
    const client = connect();
    const conn = await opened(client, 0);
    const p = client.publish('t', 1, { key: 'k1' });
    const f = await conn.next((x) => x.op === 'pub');
    const timers = clock.pending();
    conn.send({ op: 'err', ref: f.ref, code: 'RATE_LIMITED', message: 'later', retryAfterMs: 250 });
    await until(() => clock.pending() > timers, 'the wait before sending again');
    await clock.advanceAsync(249);
    expect(conn.frames.filter((x) => x.op === 'pub')).toEqual([]);
    await clock.advanceAsync(1);
    const again = await conn.next((x) => x.op === 'pub');
    expect(again).toEqual(f); // the same frame: same ref, same idempotency key
    conn.send({ op: 'ack', ref: f.ref, id: '5-0' });
    expect(await p).toBe('5-0');
  });

  it('keeps the retryAfterMs of an err in the error details once 30 s of pacing are spent', async () => {
    const client = connect();
    const conn = await opened(client, 0);
    const p = client.publish('t', 1);
    const outcome = p.catch((e: SpoolError) => e);
    // Refused at 0, 10, ... 29 s: each wait still ends within the budget; the refusal at
    // 30 s would wait past it.
    for (let i = 0; i <= 30; i++) {
      const f = await conn.next((x) => x.op === 'pub');
      const timers = clock.pending();
      const retryAfterMs = i === 30 ? 1 : 1000;
      conn.send({ op: 'err', ref: f.ref, code: 'RATE_LIMITED', message: 'later', retryAfterMs });
      if (i === 30) break;
      await until(() => clock.pending() > timers, 'the wait before sending again');
      await clock.advanceAsync(retryAfterMs);
    }
    expect(await outcome).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterMs: 1 } });
  });

  it('does not take DUPLICATE_CHUNK as done on a first send', async () => {
    const client = connect();
    const conn = await opened(client, 0);
    const w = client.openMessage({ channelId: 'g', channelType: 1, messageId: '42' });
    expect(w.messageId).toBe('42');
    const open = await conn.next((f) => f.op === 'msg.open');
    conn.send({ op: 'ack', ref: open.ref });
    const p = w.append('x');
    const a = await conn.next((f) => f.op === 'msg.append');
    conn.send({ op: 'err', ref: a.ref, code: 'DUPLICATE_CHUNK', message: 'dup' });
    await expect(p).rejects.toMatchObject({ code: 'DUPLICATE_CHUNK' });
  });

  it('assembles the messages of its subscriptions for message() and channel()', async () => {
    const client = connect();
    const ch = client.channel(1, 'g');
    const conn = await opened(client, 0);
    expect(await conn.next((f) => f.op === 'sub')).toMatchObject({
      topic: 'chan:1:g',
      after: '0-0',
      compact: true,
    });
    const msg = client.message('9');
    const texts: string[] = [];
    msg.subscribe(() => texts.push(msg.getSnapshot().text));
    conn.send(ev('chan:1:g', '1-0', { messageId: '9', meta: { messageId: '9' } }, 'msg.open'));
    conn.send(ev('chan:1:g', '1-1', { messageId: '9', chunkId: 1, text: 'b' }, 'msg.delta'));
    conn.send(ev('chan:1:g', '1-2', { messageId: '9', chunkId: 0, text: 'a' }, 'msg.delta'));
    conn.send(ev('chan:1:g', '1-3', { messageId: '9', reason: 'success', persisted: true }, 'msg.end'));
    await until(() => msg.getSnapshot().status === 'ended');
    expect(texts).toEqual(['', '', 'ab', 'ab']);
    expect(ch.getSnapshot()).toEqual([msg.getSnapshot()]);
    expect(msg.getSnapshot()).toMatchObject({ text: 'ab', status: 'ended', reason: 'success' });
  });
});
