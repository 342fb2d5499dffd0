import type { AddressInfo } from 'node:net';
import { SpoolClient } from '@spool/client';
import { createSpool } from '@spool/server';
import { listen } from '@spool/server/node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { REQUESTS_TOPIC, RUNS_TOPIC, type RunRecord } from '../src/chat-requests';
import { ChatProducer } from './chat-producer';
import { fakeModel, fakeReplyTokens } from './fake-model';
import type { ReplyModel } from './reply-model';

let close: () => Promise<void>;
let baseUrl: string;
let wsUrl: string;
const clients: SpoolClient[] = [];
const logs: string[] = [];

beforeEach(async () => {
  const spool = createSpool();
  const started = await listen(spool, { host: '127.0.0.1', port: 0 });
  const { port } = started.server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  wsUrl = `ws://127.0.0.1:${port}/v1/ws`;
  close = () => started.close();
  logs.length = 0;
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await close();
});

function newClient(): SpoolClient {
  const c = new SpoolClient(wsUrl, { WebSocket });
  clients.push(c);
  return c;
}

/** A producer on its own connection, and a page's connection that reads the room and the run records. */
function setUp(model: ReplyModel) {
  const producer = new ChatProducer(newClient(), model, { log: (l) => logs.push(l) });
  producer.start();
  const page = newClient();
  const runs: RunRecord[] = [];
  page.subscribe(RUNS_TOPIC, { after: '0-0', onEvent: (ev) => runs.push(ev.data as RunRecord) });
  const room = (name: string) => page.channel(1, name);
  // The producer follows requests live: ask once its subscription is in place.
  const ask = async (room: string, text: string, requestId = `r-${text}`) => {
    await vi.waitFor(() => expect(producer.client.state).toBe('open'));
    return page.publish(REQUESTS_TOPIC, { type: 'prompt', room, text, requestId }, { key: requestId });
  };
  return { producer, page, runs, room, ask };
}

/** The fake model, with each signal it was given kept for the test to look at. */
function recordingModel(options: Parameters<typeof fakeModel>[0]) {
  const signals: AbortSignal[] = [];
  const inner = fakeModel(options);
  const model: ReplyModel = (turns, signal) => {
    signals.push(signal);
    return inner(turns, signal);
  };
  return { model, signals };
}

describe('ChatProducer', () => {
  it('writes the question into its room, then streams the model reply token by token, exactly', async () => {
    const { runs, room, ask } = setUp(fakeModel({ tokens: 30, tokenDelayMs: 1 }));
    const chat = room('answers');
    await ask('answers', 'What is Spool?');
    await vi.waitFor(() => expect(runs).toHaveLength(1), { timeout: 10_000 });
    const [question, reply] = chat.getSnapshot();
    expect(question).toMatchObject({ text: 'What is Spool?', status: 'ended', reason: 'success' });
    expect(question?.meta?.customFields).toEqual({ role: 'user', requestId: 'r-What is Spool?' });
    expect(reply?.text).toBe(fakeReplyTokens('What is Spool?', 30).join(''));
    expect(reply).toMatchObject({ status: 'ended', reason: 'success' });
    expect(reply?.meta?.customFields).toEqual({ role: 'assistant', replyTo: question?.messageId });
    expect(runs[0]).toEqual({
      messageId: reply?.messageId,
      room: 'answers',
      outcome: 'success',
      aborted: false,
      tokens: 30,
    });
  });

  it('a stop request aborts the model and cancels the reply; the text written so far stays', async () => {
    const { model, signals } = recordingModel({ tokens: 10_000, tokenDelayMs: 5 });
    const { page, runs, room, ask } = setUp(model);
    const chat = room('stop');
    await ask('stop', 'go on forever');
    await vi.waitFor(() => expect(chat.getSnapshot()[1]?.text.length ?? 0).toBeGreaterThan(20), {
      timeout: 10_000,
    });
    const replyId = chat.getSnapshot()[1]!.messageId;
    await page.publish(REQUESTS_TOPIC, { type: 'stop', messageId: replyId });
    await vi.waitFor(() => expect(runs).toHaveLength(1), { timeout: 10_000 });
    expect(runs[0]).toMatchObject({ messageId: replyId, outcome: 'cancelled', aborted: true });
    expect(signals[0]?.aborted).toBe(true);
    const reply = chat.getSnapshot()[1]!;
    expect(reply).toMatchObject({ status: 'ended', reason: 'cancelled' });
    expect(reply.text).toBe(fakeReplyTokens('go on forever', runs[0]!.tokens).join(''));
    expect(runs[0]!.tokens).toBeLessThan(10_000);
  });

  it('a reply cancelled from elsewhere (the HTTP API) aborts the model too', async () => {
    const { model, signals } = recordingModel({ tokens: 10_000, tokenDelayMs: 5 });
    const { runs, room, ask } = setUp(model);
    const chat = room('elsewhere');
    await ask('elsewhere', 'long one');
    await vi.waitFor(() => expect(chat.getSnapshot()[1]?.text.length ?? 0).toBeGreaterThan(20), {
      timeout: 10_000,
    });
    const replyId = chat.getSnapshot()[1]!.messageId;
    const res = await fetch(`${baseUrl}/v1/messages/${replyId}/end`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'cancelled' }),
    });
    expect(res.status).toBe(200);
    await vi.waitFor(() => expect(runs).toHaveLength(1), { timeout: 10_000 });
    expect(runs[0]).toMatchObject({ messageId: replyId, outcome: 'cancelled', aborted: true });
    expect(signals[0]?.aborted).toBe(true);
  });

  it('a model that fails ends the reply with reason error, keeping what it wrote', async () => {
    const failing: ReplyModel = async function* () {
      yield 'half ';
      yield 'an answer';
      throw new Error('model endpoint went away');
    };
    const { runs, room, ask } = setUp(failing);
    const chat = room('failing');
    await ask('failing', 'break please');
    await vi.waitFor(() => expect(runs).toHaveLength(1), { timeout: 10_000 });
    expect(runs[0]).toMatchObject({ outcome: 'error', aborted: false, tokens: 2 });
    expect(chat.getSnapshot()[1]).toMatchObject({ text: 'half an answer', status: 'error', reason: 'error' });
    expect(logs.some((l) => l.includes('model endpoint went away'))).toBe(true);
  });

  it('the reply is whole and exact when the producer loses its connection mid-reply', async () => {
    const { producer, runs, room, ask } = setUp(fakeModel({ tokens: 400, tokenDelayMs: 1 }));
    const chat = room('drops');
    await ask('drops', 'survive a drop');
    await vi.waitFor(() => expect(chat.getSnapshot()[1]?.text.length ?? 0).toBeGreaterThan(10), {
      timeout: 10_000,
    });
    producer.client.reconnect();
    await vi.waitFor(() => expect(runs).toHaveLength(1), { timeout: 20_000 });
    expect(runs[0]).toMatchObject({ outcome: 'success', aborted: false, tokens: 400 });
    expect(chat.getSnapshot()[1]?.text).toBe(fakeReplyTokens('survive a drop', 400).join(''));
  });

  it('a request sent twice under one key is answered once, a room is answered in order, and a request that is not one is logged', async () => {
    const { page, runs, room, ask } = setUp(fakeModel({ tokens: 5, tokenDelayMs: 0 }));
    const chat = room('twice');
    await page.publish(REQUESTS_TOPIC, { type: 'prompt', room: 'twice' });
    await ask('twice', 'once', 'same-key');
    await ask('twice', 'once', 'same-key');
    await ask('twice', 'after', 'other-key');
    await vi.waitFor(() => expect(runs).toHaveLength(2), { timeout: 10_000 });
    expect(chat.getSnapshot().map((m) => m.text)).toEqual([
      'once',
      fakeReplyTokens('once', 5).join(''),
      'after',
      fakeReplyTokens('after', 5).join(''),
    ]);
    expect(logs.some((l) => l.startsWith('ignored a request that is not one'))).toBe(true);
  });

  it('close() cancels the replies being written and waits for them', async () => {
    const { model, signals } = recordingModel({ tokens: 10_000, tokenDelayMs: 5 });
    const { producer, runs, room, ask } = setUp(model);
    const chat = room('closing');
    await ask('closing', 'until closed');
    await vi.waitFor(() => expect(producer.active).toBe(1), { timeout: 10_000 });
    await producer.close();
    expect(producer.active).toBe(0);
    expect(signals[0]?.aborted).toBe(true);
    await vi.waitFor(() => expect(chat.getSnapshot()[1]).toMatchObject({ reason: 'cancelled' }));
    await vi.waitFor(() => expect(runs[0]).toMatchObject({ outcome: 'cancelled' }));
  });
});

describe('ChatProducer without the right to follow its room', () => {
  it('still writes the reply, and reports the reason it sent', async () => {
    // Produce on the room, but not subscribe to it.
    const guarded = createSpool({
      auth: { authorize: (_p, action, topic) => !(action === 'subscribe' && topic === 'chan:1:secret') },
    });
    const started = await listen(guarded, { host: '127.0.0.1', port: 0 });
    const { port } = started.server.address() as AddressInfo;
    const url = `ws://127.0.0.1:${port}/v1/ws`;
    const producerClient = new SpoolClient(url, { WebSocket });
    const page = new SpoolClient(url, { WebSocket });
    try {
      const producer = new ChatProducer(producerClient, fakeModel({ tokens: 8, tokenDelayMs: 0 }), {
        log: (l) => logs.push(l),
      });
      producer.start();
      const runs: RunRecord[] = [];
      page.subscribe(RUNS_TOPIC, { after: '0-0', onEvent: (ev) => runs.push(ev.data as RunRecord) });
      await vi.waitFor(() => expect(producerClient.state).toBe('open'));
      await page.publish(REQUESTS_TOPIC, { type: 'prompt', room: 'secret', text: 'psst', requestId: 's1' });
      await vi.waitFor(() => expect(runs).toHaveLength(1), { timeout: 10_000 });
      expect(runs[0]).toMatchObject({ room: 'secret', outcome: 'success', aborted: false, tokens: 8 });
      expect(logs.some((l) => l.startsWith('following secret failed: FORBIDDEN'))).toBe(true);
      await producer.close();
    } finally {
      producerClient.close();
      page.close();
      await started.close();
    }
  });
});

describe('fakeModel', () => {
  it('gives the same reply to the same question, and another to another', () => {
    expect(fakeReplyTokens('a question', 50)).toEqual(fakeReplyTokens('a question', 50));
    expect(fakeReplyTokens('a question', 50).join('')).not.toBe(fakeReplyTokens('another', 50).join(''));
    expect(fakeReplyTokens('x', 7)).toHaveLength(7);
    expect(fakeReplyTokens('x', 0)).toEqual([]);
  });

  it('stops as soon as its signal aborts', async () => {
    const controller = new AbortController();
    const got: string[] = [];
    for await (const t of fakeModel({ tokens: 1000, tokenDelayMs: 1 })(
      [{ role: 'user', text: 'q' }],
      controller.signal,
    )) {
      got.push(t);
      if (got.length === 3) controller.abort();
    }
    expect(got).toEqual(fakeReplyTokens('q', 3));
  });
});
