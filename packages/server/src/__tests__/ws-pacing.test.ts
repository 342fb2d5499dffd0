/**
 * Appends to a message the connection opened are paced by the append window, not the
 * operation rate (docs/protocol.md "Producing a long message"); everything else keeps the
 * rate, and every refusal for rate says when to retry.
 */

import { channelTopic } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { wsTransportOf } from '../node/ws-transport';
import { type Frame, serverFixture, startServer, type TestClient } from './helpers';

const fixture = serverFixture();
const topic = channelTopic(1, 'pace');
const meta = { channelId: 'pace', channelType: 1 };

/** Sends requests without waiting, then collects every answer: one per ref, never none. */
async function pipeline(
  c: TestClient,
  frames: Array<Record<string, unknown>>,
  firstRef: number,
): Promise<Frame[]> {
  frames.forEach((f, i) => {
    c.send({ ...f, ref: firstRef + i });
  });
  const answers: Frame[] = [];
  for (let i = 0; i < frames.length; i++) {
    const ref = firstRef + i;
    answers.push(await c.next((f) => (f.op === 'ack' || f.op === 'err') && f.ref === ref));
  }
  return answers;
}

const appends = (messageId: string, from: number, n: number, text = (i: number) => `${i},`) =>
  Array.from({ length: n }, (_, k) => ({
    op: 'msg.append',
    messageId,
    chunkId: from + k,
    text: text(from + k),
  }));

describe('the append window', () => {
  it('paces appends to a message the connection opened instead of the operation rate', async () => {
    const server = fixture.track(await startServer({ ws: { publishRatePerSec: 1, publishBurst: 2 } }));
    const c = await fixture.client();
    const opened = await c.request({ op: 'msg.open', meta });
    expect(opened.op).toBe('ack');
    const messageId = opened.messageId as string;
    let expected = '';
    for (let batch = 0; batch < 4; batch++) {
      const answers = await pipeline(c, appends(messageId, batch * 200, 200), 1000 + batch * 200);
      expect(answers.filter((a) => a.op !== 'ack')).toEqual([]);
      for (let i = batch * 200; i < (batch + 1) * 200; i++) expected += `${i},`;
    }
    expect((await c.request({ op: 'msg.end', messageId })).op).toBe('ack');
    await server.spool.messages.drain();
    expect((await server.spool.store.get(messageId))?.text).toBe(expected);
    // The rate still holds for everything else: one token was left after the open.
    expect((await c.request({ op: 'pub', topic: 't', data: 1 })).op).toBe('ack');
    expect(await c.request({ op: 'pub', topic: 't', data: 2 })).toMatchObject({
      op: 'err',
      code: 'RATE_LIMITED',
      retryAfterMs: expect.any(Number),
    });
  });

  it('refuses an append past the window with RATE_LIMITED and retryAfterMs, answers every one, and the resend completes the text', async () => {
    const server = fixture.track(await startServer({ ws: { appendWindow: 4 } }));
    const c = await fixture.client();
    const messageId = (await c.request({ op: 'msg.open', meta })).messageId as string;
    // Hold the topic so the appends pile up on the server, as a slow topic would.
    const t = server.spool.topics.getOrCreate(topic);
    const append = t.append.bind(t);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    t.append = async (...args: Parameters<typeof append>) => {
      await gate;
      return append(...args);
    };
    const [conn] = wsTransportOf(server.spool).connections;
    let received = 0;
    const allIn = new Promise<void>((resolve) =>
      conn!.ws.on('message', () => {
        if (++received === 10) resolve();
      }),
    );
    const answering = pipeline(c, appends(messageId, 0, 10), 1);
    await allIn;
    release();
    const answers = await answering;
    expect(answers.map((a) => a.op)).toEqual(['ack', 'ack', 'ack', 'ack', ...Array(6).fill('err')]);
    for (const refused of answers.slice(4)) {
      expect(refused).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 20 });
    }
    // Within the window again (4 unanswered at most), the refused chunks all go through.
    for (const from of [4, 8]) {
      const resent = await pipeline(c, appends(messageId, from, from === 4 ? 4 : 2), 100 + from);
      expect(resent.map((a) => a.op)).toEqual(resent.map(() => 'ack'));
    }
    expect((await c.request({ op: 'msg.end', messageId })).op).toBe('ack');
    await server.spool.messages.drain();
    expect((await server.spool.store.get(messageId))?.text).toBe('0,1,2,3,4,5,6,7,8,9,');
  });

  it('counts appends to a message another connection opened against the rate', async () => {
    fixture.track(await startServer({ ws: { publishRatePerSec: 1, publishBurst: 2 } }));
    const owner = await fixture.client();
    const messageId = (await owner.request({ op: 'msg.open', meta })).messageId as string;
    const other = await fixture.client();
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await other.request(appends(messageId, i, 1)[0]!));
    expect(answers.map((a) => a.code ?? a.op)).toEqual(['ack', 'ack', 'RATE_LIMITED']);
    expect(answers[2]!.retryAfterMs).toBeGreaterThan(0);
  });

  it('paces a message re-opened on a new connection (the writer after a reconnect) by the window', async () => {
    fixture.track(await startServer({ ws: { publishRatePerSec: 1, publishBurst: 2 } }));
    const first = await fixture.client();
    const opened = await first.request({ op: 'msg.open', meta: { ...meta, messageId: '77' } });
    const second = await fixture.client();
    expect(await second.request({ op: 'msg.open', meta: { ...meta, messageId: '77' } })).toMatchObject({
      op: 'ack',
      id: opened.id,
    });
    const answers = await pipeline(second, appends('77', 0, 50), 10);
    expect(answers.filter((a) => a.op !== 'ack')).toEqual([]);
  });
});

describe('the operation rate', () => {
  it('counts sub, and says when to retry', async () => {
    fixture.track(await startServer({ ws: { publishRatePerSec: 10, publishBurst: 2 } }));
    const c = await fixture.client();
    c.send({ op: 'sub', topic: 'a' });
    c.send({ op: 'sub', topic: 'b' });
    c.send({ op: 'sub', topic: 'c' });
    const refused = await c.next((f) => f.op === 'err');
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', topic: 'c' });
    // 10 per second: the next token is at most 100 ms away.
    expect(refused.retryAfterMs).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(100);
    expect(c.frames.filter((f) => f.op === 'subok').map((f) => f.topic)).toEqual(['a', 'b']);
  });
});
