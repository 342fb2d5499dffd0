import { channelTopic, MemoryBroker, MemoryMessageStore } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { ChatAssembler } from './chat-assembly';
import { type Frame, serverFixture, startServer, type TestServer } from './helpers';

const fixture = serverFixture();
const client = fixture.client;
let server: TestServer | undefined;

const topic = channelTopic(1, 'general');

describe('producer operations over the WebSocket', () => {
  it('open, append, end: events on the channel topic, the message in the store, a record on spool:completed', async () => {
    const store = new MemoryMessageStore();
    const broker = new MemoryBroker();
    server = fixture.track(await startServer({ store, broker }));
    const watcher = await client();
    watcher.send({ op: 'sub', topic });
    await watcher.next((f) => f.op === 'subok');
    const producer = await client();

    const opened = await producer.request({
      op: 'msg.open',
      meta: { channelId: 'general', channelType: 1, fromUid: 'bot' },
    });
    expect(opened.op).toBe('ack');
    const messageId = opened.messageId as string;
    expect(messageId).toMatch(/^[1-9][0-9]*$/);
    for (const [chunkId, text] of ['Hel', 'lo, ', 'world'].entries()) {
      const ack = await producer.request({ op: 'msg.append', messageId, chunkId, text });
      expect(ack.op).toBe('ack');
    }
    expect((await producer.request({ op: 'msg.end', messageId, reason: 'success' })).op).toBe('ack');

    const events = await watcher.events(topic, 5);
    expect(events.map((f) => f.event)).toEqual([
      'msg.open',
      'msg.delta',
      'msg.delta',
      'msg.delta',
      'msg.end',
    ]);
    expect(events[0]!.id).toBe(opened.id);
    expect(events[4]!.data).toEqual({ messageId, reason: 'success', persisted: true });

    const stored = await store.get(messageId);
    expect(stored).toMatchObject({
      text: 'Hello, world',
      lastChunkId: 2,
      reason: 'success',
      firstEventId: opened.id,
    });
    expect(stored!.lastEventId).toBe(events[3]!.id);
    const records = await broker.xrange('spool:completed', '-', '+');
    expect(records.map((r) => r.fields)).toEqual([
      { messageId, channelId: 'general', channelType: '1', reason: 'success', persisted: 'true' },
    ]);
  });

  it('answers bad producer requests with their codes', async () => {
    server = fixture.track(await startServer());
    const p = await client();
    expect((await p.request({ op: 'msg.append', messageId: '42', chunkId: 0, text: 'x' })).code).toBe(
      'STREAM_NOT_FOUND',
    );
    const opened = await p.request({
      op: 'msg.open',
      meta: { channelId: 'g', channelType: 1, messageId: '1843563473929170944' },
    });
    const messageId = opened.messageId as string;
    expect(messageId).toBe('1843563473929170944');
    // Opening it again from the same principal is the idempotent retry: the same IDs come back.
    expect(
      await p.request({
        op: 'msg.open',
        meta: { channelId: 'g', channelType: 1, messageId: '1843563473929170944' },
      }),
    ).toMatchObject({ op: 'ack', messageId, id: opened.id });
    await p.request({ op: 'msg.append', messageId, chunkId: 0, text: 'a' });
    expect((await p.request({ op: 'msg.append', messageId, chunkId: 0, text: 'a' })).code).toBe(
      'DUPLICATE_CHUNK',
    );
    expect((await p.request({ op: 'msg.append', messageId, chunkId: 1, b64: 'not base64!' })).code).toBe(
      'INVALID_MESSAGE',
    );
    expect((await p.request({ op: 'msg.append', messageId, chunkId: 1, b64: 'w6k=' })).op).toBe('ack');
    expect((await p.request({ op: 'msg.end', messageId: 'zero' })).code).toBe('INVALID_MESSAGE');
    expect((await p.request({ op: 'msg.cancel', messageId })).op).toBe('ack');
    expect((await p.request({ op: 'msg.end', messageId })).code).toBe('STREAM_NOT_FOUND');
  });

  it('msg.cancel ends the message with reason cancelled', async () => {
    server = fixture.track(await startServer());
    const watcher = await client();
    watcher.send({ op: 'sub', topic });
    await watcher.next((f) => f.op === 'subok');
    const p = await client();
    const { messageId } = await p.request({ op: 'msg.open', meta: { channelId: 'general', channelType: 1 } });
    await p.request({ op: 'msg.append', messageId, chunkId: 0, text: 'partial' });
    await p.request({ op: 'msg.cancel', messageId });
    const end = await watcher.next((f) => f.op === 'ev' && f.event === 'msg.end');
    expect(end.data).toEqual({ messageId, reason: 'cancelled', persisted: true });
  });
});

describe('spool.run', () => {
  it('appends what the work writes and ends with success', async () => {
    server = fixture.track(await startServer());
    const run = await server.spool.run({ channelId: 'general', channelType: 1 }, async (write) => {
      await write('Hel');
      void write('lo'); // not awaited: order still holds
      await write('!');
    });
    expect(await run.done).toBe('success');
    expect((await server.spool.store.get(run.messageId))?.text).toBe('Hello!');
  });

  it('ends with error when the work throws', async () => {
    server = fixture.track(await startServer());
    const run = await server.spool.run({ channelId: 'general', channelType: 1 }, async (write) => {
      await write('so far');
      throw new Error('model crashed');
    });
    expect(await run.done).toBe('error');
    expect((await server.spool.store.get(run.messageId))?.reason).toBe('error');
  });

  it('aborts the signal when a client cancels the message over the socket', async () => {
    server = fixture.track(await startServer());
    let aborted: unknown;
    let started!: () => void;
    const writing = new Promise<void>((r) => {
      started = r;
    });
    const run = await server.spool.run({ channelId: 'general', channelType: 1 }, async (write, signal) => {
      await write('thinking');
      started();
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      aborted = signal.reason;
      await expect(write('too late')).rejects.toMatchObject({ code: 'STREAM_CLOSED' });
    });
    await writing;
    const c = await client();
    expect((await c.request({ op: 'msg.cancel', messageId: run.messageId })).op).toBe('ack');
    expect(await run.done).toBe('cancelled');
    expect(aborted).toMatchObject({ code: 'ABORTED' });
    expect((await server.spool.store.get(run.messageId))?.text).toBe('thinking');
  });

  it('cancel() from the handle aborts the work too', async () => {
    server = fixture.track(await startServer());
    let signalSeen: AbortSignal | undefined;
    const run = await server.spool.run({ channelId: 'general', channelType: 1 }, (_write, signal) => {
      signalSeen = signal;
      return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    });
    await run.cancel();
    expect(await run.done).toBe('cancelled');
    expect(signalSeen?.aborted).toBe(true);
  });
});

describe('catchup of chat messages over the real socket', () => {
  it('compact catchup sends one snapshot per message instead of its deltas', async () => {
    server = fixture.track(await startServer());
    for (const text of ['first answer', 'second answer']) {
      const run = await server.spool.run({ channelId: 'general', channelType: 1 }, async (write) => {
        for (const word of text.split(/(?= )/)) await write(word);
      });
      await run.done;
    }
    const open = await server.spool.run({ channelId: 'general', channelType: 1 }, async (write, signal) => {
      await write('still ');
      await write('going');
      await new Promise<void>((r) => signal.addEventListener('abort', () => r()));
    });
    await new Promise<void>((r) => setImmediate(r));
    const c = await client();
    c.send({ op: 'sub', topic, after: '0-0', compact: true });
    const snaps = await c.events(topic, 3);
    expect(snaps.map((f) => f.event)).toEqual(['msg.snapshot', 'msg.snapshot', 'msg.snapshot']);
    expect(snaps.map((f) => (f.data as { text: string }).text)).toEqual([
      'first answer',
      'second answer',
      'still going',
    ]);
    expect(snaps.map((f) => (f.data as { status: string }).status)).toEqual(['ended', 'ended', 'streaming']);
    // Live deltas after a streaming snapshot continue it exactly.
    await open.cancel();
    const end = await c.next((f) => f.op === 'ev' && f.event === 'msg.end');
    expect((end.data as { reason: string }).reason).toBe('cancelled');
  });

  it('three interleaved messages resumed from arbitrary points assemble to the exact texts', async () => {
    // A short log, so early resume points fall before it and come back from the store.
    server = fixture.track(await startServer({ topics: { channelRetention: { maxEvents: 24 } } }));
    const reference = await client();
    reference.send({ op: 'sub', topic, after: '0-0' });
    await reference.next((f) => f.op === 'subok');
    const p = await client();
    const words = [
      'alpha ',
      'beta ',
      'gamma ',
      'delta ',
      'epsilon ',
      'zeta ',
      'eta ',
      'theta ',
      'iota ',
      'kappa ',
    ];
    const ids: string[] = [];
    for (let m = 0; m < 3; m++) {
      ids.push(
        (
          await p.request({
            op: 'msg.open',
            meta: { channelId: 'general', channelType: 1, fromUid: `m${m}` },
          })
        ).messageId as string,
      );
    }
    // Interleaved: message 0 stops after 4 chunks and ends, message 1 after 10 and ends,
    // message 2 gets 10 chunks and stays open (streaming).
    const expected: Record<string, string> = {};
    const chunksOf = [4, 10, 10];
    for (let chunk = 0; chunk < words.length; chunk++) {
      for (let m = 0; m < 3; m++) {
        if (chunk >= chunksOf[m]!) continue;
        const text = `${m}:${words[(chunk * 7 + m) % words.length]}`;
        expected[ids[m]!] = (expected[ids[m]!] ?? '') + text;
        expect((await p.request({ op: 'msg.append', messageId: ids[m], chunkId: chunk, text })).op).toBe(
          'ack',
        );
      }
      if (chunk === 4) expect((await p.request({ op: 'msg.end', messageId: ids[0] })).op).toBe('ack');
    }
    expect((await p.request({ op: 'msg.end', messageId: ids[1] })).op).toBe('ack');
    const refEvents: Frame[] = [];
    const full = new ChatAssembler();
    let ends = 0;
    while (ends < 2) {
      const f = await reference.next((x) => x.op === 'ev');
      refEvents.push(f);
      full.apply(f);
      if (f.event === 'msg.end') ends++;
    }
    const finalTexts = full.texts();
    expect(finalTexts).toEqual(expected);
    // The persisted messages' events have left the short log: early resumes need the store.
    const stats = server.spool.topics.get(topic)!.stats();
    expect(stats.retainedEvents).toBeLessThan(refEvents.length);
    for (let cut = 0; cut < refEvents.length; cut += 3) {
      for (const compact of [false, true]) {
        const state = new ChatAssembler();
        for (const f of refEvents.slice(0, cut + 1)) state.apply(f);
        const c = await client();
        c.send({ op: 'sub', topic, after: refEvents[cut]!.id, compact });
        await c.next((f) => f.op === 'subok');
        // Resume until the last reference event ID is reached.
        const lastRefId = refEvents.at(-1)!.id;
        while (state.lastId !== lastRefId) {
          const f = await c.next((x) => x.op === 'ev' || x.op === 'reset');
          expect(f.op).toBe('ev');
          state.apply(f);
        }
        expect([cut, compact, state.texts()]).toEqual([cut, compact, expected]);
        await c.close();
      }
    }
  });
});
