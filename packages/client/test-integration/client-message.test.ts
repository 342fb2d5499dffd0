/** `client.message(id)`: the client's own messages, a lookup for unknown ones, `unknown` until it knows. */
import { createManualClock, type SpoolError } from '@spool/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { httpBase, type SpoolClientOptions } from '../src/options';
import { SpoolProducer } from '../src/producer';
import { type FakeServer, startFakeServer, TestWebSocket, until } from './fake-server';

let server: FakeServer;
const clients: SpoolProducer[] = [];

beforeEach(async () => {
  server = await startFakeServer();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.close();
});

interface FetchCall {
  url: string;
  headers: Record<string, string>;
  answer(status: number, body: unknown): void;
}

/** A fetch whose answers the test gives by hand. */
function manualFetch(): { fetch: typeof fetch; calls: FetchCall[] } {
  const calls: FetchCall[] = [];
  const fetch = ((url: string, init?: RequestInit) =>
    new Promise<Response>((resolve) => {
      calls.push({
        url,
        headers: (init?.headers ?? {}) as Record<string, string>,
        answer: (status, body) =>
          resolve(
            new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }),
          ),
      });
    })) as typeof globalThis.fetch;
  return { fetch, calls };
}

function connect(options: SpoolClientOptions = {}) {
  const client = new SpoolProducer(server.url, {
    WebSocket: TestWebSocket,
    clock: createManualClock(0),
    livenessTimeoutMs: 60_000,
    ...options,
  });
  clients.push(client);
  const errors: SpoolError[] = [];
  client.on('error', (e) => errors.push(e));
  return { client, errors };
}

const stored = {
  meta: { messageId: '77', channelId: 'g', channelType: 1, fromUid: 'bot' },
  text: 'Hello',
  chunks: 2,
  lastChunkId: 1,
  bytes: 5,
  status: 'ended',
  reason: 'success',
};

describe('client.message(id)', () => {
  it("shows the client's own message as it writes it, with no subscription and no lookup", async () => {
    const { fetch, calls } = manualFetch();
    const { client } = connect({ fetch });
    const conn = await server.connection(0);
    const w = client.openMessage({ channelId: 'g', channelType: 1, fromUid: 'me' });
    const msg = client.message(w.messageId);
    expect(msg.getSnapshot()).toMatchObject({ text: '', status: 'streaming', meta: { fromUid: 'me' } });
    expect(
      client
        .channel(1, 'g')
        .getSnapshot()
        .map((m) => m.messageId),
    ).toEqual([w.messageId]);

    const open = await conn.next((f) => f.op === 'msg.open');
    conn.send({ op: 'ack', ref: open.ref, id: '1-0', messageId: w.messageId });
    const parts = [w.append('Hel'), w.append('lo')];
    const a0 = await conn.next((f) => f.op === 'msg.append');
    const a1 = await conn.next((f) => f.op === 'msg.append');
    // Chunk 1 is acknowledged first: the text waits for chunk 0, as with events.
    conn.send({ op: 'ack', ref: a1.ref, id: '1-2' });
    await parts[1];
    expect(msg.getSnapshot().text).toBe('');
    conn.send({ op: 'ack', ref: a0.ref, id: '1-1' });
    await parts[0];
    expect(msg.getSnapshot()).toMatchObject({ text: 'Hello', status: 'streaming' });

    const ended = w.end('success');
    const end = await conn.next((f) => f.op === 'msg.end');
    conn.send({ op: 'ack', ref: end.ref, messageId: w.messageId });
    await ended;
    expect(msg.getSnapshot()).toMatchObject({ text: 'Hello', status: 'ended', reason: 'success' });
    expect(calls).toEqual([]);
  });

  it('shows a cancelled message as ended with reason cancelled, and a refused open as error', async () => {
    const { client } = connect({ fetch: manualFetch().fetch });
    const conn = await server.connection(0);
    const w = client.openMessage({ channelId: 'g', channelType: 1 });
    const open = await conn.next((f) => f.op === 'msg.open');
    conn.send({ op: 'ack', ref: open.ref, messageId: w.messageId });
    const cancelled = w.cancel();
    const cancel = await conn.next((f) => f.op === 'msg.cancel');
    conn.send({ op: 'ack', ref: cancel.ref, messageId: w.messageId });
    await cancelled;
    expect(client.message(w.messageId).getSnapshot()).toMatchObject({ status: 'ended', reason: 'cancelled' });

    const refused = client.openMessage({ channelId: 'secret', channelType: 1 });
    const open2 = await conn.next((f) => f.op === 'msg.open');
    conn.send({ op: 'err', ref: open2.ref, code: 'FORBIDDEN', message: 'no' });
    await expect(refused.opened).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(client.message(refused.messageId).getSnapshot()).toMatchObject({
      status: 'error',
      reason: 'error',
    });
  });

  it('fetches a message it has not seen once, and reports unknown until the answer', async () => {
    const { fetch, calls } = manualFetch();
    const { client } = connect({ fetch, token: 'tok-00001' });
    const msg = client.message('77');
    expect(msg.getSnapshot()).toEqual({ messageId: '77', text: '', lastChunkId: -1, status: 'unknown' });
    client.message('77');
    expect(calls.map((c) => [c.url, c.headers])).toEqual([
      [`http://127.0.0.1:${server.port}/v1/messages/77`, { authorization: 'Bearer tok-00001' }],
    ]);
    const seen: string[] = [];
    msg.subscribe(() => seen.push(msg.getSnapshot().status));
    calls[0]!.answer(200, stored);
    await until(() => seen.length === 1, 'the answer');
    expect(msg.getSnapshot()).toMatchObject({
      text: 'Hello',
      status: 'ended',
      reason: 'success',
      meta: stored.meta,
    });
    client.message('77');
    expect(calls.length).toBe(1);
  });

  it('a message the server does not know stays unknown, is not fetched again, and the error is reported', async () => {
    const { fetch, calls } = manualFetch();
    const { client, errors } = connect({ fetch, getToken: async () => 'fresh-token' });
    client.message('5');
    await until(() => calls.length === 1, 'the fetch');
    expect(calls[0]!.headers).toEqual({ authorization: 'Bearer fresh-token' });
    calls[0]!.answer(404, { error: { code: 'MESSAGE_NOT_FOUND', message: 'No message 5.' } });
    await until(() => errors.length === 1, 'the error');
    expect(errors[0]).toMatchObject({ code: 'MESSAGE_NOT_FOUND', details: { status: 404 } });
    expect(client.message('5').getSnapshot().status).toBe('unknown');
    expect(calls.length).toBe(1);
  });

  it('a failed fetch (network down) is reported, never thrown', async () => {
    const { client, errors } = connect({
      fetch: (() => Promise.reject(new TypeError('fetch failed'))) as typeof fetch,
    });
    client.message('6');
    await until(() => errors.length === 1, 'the error');
    expect(errors[0]!.code).toBe('UNAVAILABLE');
    expect(client.message('6').getSnapshot().status).toBe('unknown');
  });

  it('a fetched streaming message goes on with the live deltas of a channel subscription', async () => {
    const { fetch, calls } = manualFetch();
    const { client } = connect({ fetch });
    client.channel(1, 'g', {});
    const conn = await server.connection(0);
    await conn.next((f) => f.op === 'sub');
    const msg = client.message('77');
    calls[0]!.answer(200, {
      ...stored,
      text: 'Hel',
      chunks: 1,
      lastChunkId: 0,
      status: 'streaming',
      reason: undefined,
    });
    await until(() => msg.getSnapshot().text === 'Hel', 'the snapshot');
    expect(msg.getSnapshot().status).toBe('streaming');
    conn.send({
      op: 'ev',
      topic: 'chan:1:g',
      id: '9-0',
      event: 'msg.delta',
      data: { messageId: '77', chunkId: 1, text: 'lo' },
    });
    await until(() => msg.getSnapshot().text === 'Hello', 'the delta');
  });
});

describe('httpBase', () => {
  it.each([
    ['ws://127.0.0.1:8080/v1/ws', 'http://127.0.0.1:8080'],
    ['wss://chat.example/v1/ws?access_token=x', 'https://chat.example'],
    ['wss://chat.example/spool/v1/ws/', 'https://chat.example/spool'],
    ['ws://h:1/realtime', 'http://h:1'],
  ])('%s → %s', (url, base) => {
    expect(httpBase(url)).toBe(base);
  });

  it('the httpUrl option wins', () => {
    const { client } = connect({ httpUrl: 'https://api.example' });
    expect(client.options.httpUrl).toBe('https://api.example');
  });
});
