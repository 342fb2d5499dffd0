/**
 * Failover across several server URLs (docs/protocol.md, "Several server URLs"), against
 * fake servers on real sockets: the URL a client starts on and the order URLs are tried in,
 * the jitter within a round and the backoff between rounds, a URL that works being kept, exact resume after a switch, and HTTP lookups that follow the
 * URL in use. The same against real Spool servers sharing one log is failover.node.test.ts.
 */
import { createManualClock, type ManualClock, SpoolError } from '@spool/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SpoolClientOptions, WebSocketConstructor } from '../src/options';
import { SpoolClient } from '../src/spool-client';
import { type FakeConnection, type FakeServer, startFakeServer, TestWebSocket, until } from './fake-server';

const LIVENESS = 10_000;
let servers: FakeServer[];
let clock: ManualClock;
/** Every reconnect delay (the liveness timer is the only other timer). */
let delays: number[];
/** The server (a, b, c) of every connection attempt, in order. */
let tried: string[];
/**
 * The client's random numbers, drawn in order, then 0.5: the first picks the URL it starts
 * on, the first failure after a working connection (of three URLs or more) draws the URL it
 * moves to, and every retry draws its delay.
 */
let draws: number[];
const clients: SpoolClient[] = [];

beforeEach(async () => {
  servers = [await startFakeServer(), await startFakeServer(), await startFakeServer()];
  clock = createManualClock(1_000_000);
  delays = [];
  tried = [];
  draws = [0];
  const setTimeout = clock.setTimeout.bind(clock);
  clock.setTimeout = (fn, ms) => {
    if (ms !== LIVENESS) delays.push(ms);
    return setTimeout(fn, ms);
  };
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers) await s.close();
});

const name = (url: string) => 'abc'[servers.findIndex((s) => url.includes(`:${s.port}/`))]!;

/** A WebSocket constructor that records which server each attempt goes to. */
class Recording {
  constructor(url: string, protocols?: string | string[]) {
    tried.push(name(url));
    // A constructor that returns an object makes `new` give that object: the real socket.
    // biome-ignore lint/correctness/noConstructorReturn: the point of this wrapper
    return new TestWebSocket(url, protocols);
  }
}

function connect(urls: string[], options: SpoolClientOptions = {}) {
  const client = new SpoolClient(urls, {
    WebSocket: Recording as unknown as WebSocketConstructor,
    clock,
    random: () => draws.shift() ?? 0.5,
    livenessTimeoutMs: LIVENESS,
    backoff: { baseMs: 100, maxMs: 1000 },
    ...options,
  });
  clients.push(client);
  const states: string[] = [];
  const errors: SpoolError[] = [];
  client.on('state', (s, url) => states.push(`${s} ${name(url)}`));
  client.on('error', (e) => errors.push(e));
  return { client, states, errors };
}

/** Lets the n-th retry delay be scheduled, checks it, and lets it pass. */
async function retry(n: number, expected: number): Promise<void> {
  await until(() => delays.length >= n, `retry ${n}`);
  expect(delays[n - 1]).toBe(expected);
  await clock.advanceAsync(expected);
}

describe('several server URLs', () => {
  it('rejects an empty list or a URL in it that is not ws(s):// with INVALID_OPTION', () => {
    for (const urls of [[], ['ws://127.0.0.1:1/v1/ws', 'http://127.0.0.1:2/v1/ws']]) {
      expect(() => new SpoolClient(urls, { WebSocket: TestWebSocket })).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION' }),
      );
    }
  });

  it('takes one URL as before: urls holds it and url names it', async () => {
    const [a] = servers;
    const { client, states } = connect([a!.url]);
    expect(client.urls).toEqual([a!.url]);
    expect(client.url).toBe(a!.url);
    await until(() => client.state === 'open', 'open');
    expect(states).toEqual(['open a']);
  });

  it('starts on a random URL, so that clients given one list spread over the instances', async () => {
    const [a, b, c] = servers as [FakeServer, FakeServer, FakeServer];
    for (const [draw, server] of [
      [0.1, a],
      [0.5, b],
      [0.9, c],
    ] as const) {
      draws = [draw];
      const { client } = connect([a.url, b.url, c.url]);
      expect(client.url).toBe(server.url);
      await until(() => client.state === 'open', 'open');
    }
    expect(tried).toEqual(['a', 'b', 'c']);
    expect(delays).toEqual([]);
  });

  it('moves on after a failed attempt or a dropped connection (to a random other URL, then round robin) and keeps a URL that works', async () => {
    const [a, b, c] = servers as [FakeServer, FakeServer, FakeServer];
    await a.close(); // down: nothing listens there
    // Start on a; its failure (the first since the client was made) draws the next URL: b.
    draws = [0, 0, 0.5];
    const { client, states } = connect([a.url, b.url, c.url]);
    let seen = 0;
    client.subscribe('t', { onEvent: () => seen++ });
    /** An event from the server, once the client has read it (the server has spoken). */
    const speak = async (conn: FakeConnection) => {
      const before = seen;
      conn.send({ op: 'ev', topic: 't', id: `${before + 1}-0`, event: 'message', data: before });
      await until(() => seen === before + 1, 'event read');
    };
    // Within a round: a jitter of up to baseMs (100), here 0.5 of it.
    await retry(1, 50);
    const onB = await b.connection(0);
    await until(() => client.state === 'open', 'open on b');
    expect(client.url).toBe(b.url);

    // A URL that works is kept while it works: a minute of traffic, no other attempt.
    for (let i = 0; i < 12; i++) {
      await speak(onB);
      await clock.advanceAsync(5000);
    }
    expect(tried).toEqual(['a', 'b']);
    expect(b.connections.length).toBe(1);
    expect(client.url).toBe(b.url);

    // b drops: a random other URL, not necessarily the next one. The draw 0.9 skips c for a
    // (down); a's failure then goes round robin to b, without a draw.
    draws = [0.9, 0.2, 0.7];
    onB.terminate();
    await retry(2, 20);
    await retry(3, 70);
    const onB2 = await b.connection(1);
    await until(() => client.state === 'open', 'open on b again');
    await speak(onB2);
    // b drops again; the draw 0 moves it on to c.
    draws = [0, 0.3];
    onB2.terminate();
    await retry(4, 30);
    await c.connection(0);
    await until(() => client.state === 'open', 'open on c');
    expect(tried).toEqual(['a', 'b', 'a', 'b', 'c']);
    expect(states).toEqual([
      'reconnecting b',
      'open b',
      'reconnecting a',
      'open b',
      'reconnecting c',
      'open c',
    ]);
  });

  it('spreads the clients of an instance that went away over the others, and over time', async () => {
    const [a, b, c] = servers as [FakeServer, FakeServer, FakeServer];
    // 30 clients that all start on b (draw 0.5), each with draws of its own for the URL it
    // moves to (under 0.5: c, else a) and its delay.
    const clientsOnB = Array.from({ length: 30 }, (_, i) => {
      const mine = [0.5, (i % 10) / 10, ((i * 7) % 10) / 10];
      return connect([a.url, b.url, c.url], { random: () => mine.shift() ?? 0.5 }).client;
    });
    await until(() => clientsOnB.every((cl) => cl.state === 'open'), 'all open on b');
    await until(() => b.connections.length === 30, 'thirty on b');
    for (const conn of b.connections) conn.terminate();
    await until(() => delays.length === 30, 'thirty retries scheduled');
    // The moves are spread over time: not one millisecond, but the jitter window (0 to 90).
    expect(new Set(delays).size).toBe(10);
    expect(Math.max(...delays)).toBeLessThan(100);
    await clock.advanceAsync(100);
    await until(() => clientsOnB.every((cl) => cl.state === 'open'), 'all open again');
    // And over the others: half on a, half on c, none back on b.
    expect(a.connections.length).toBe(15);
    expect(c.connections.length).toBe(15);
    expect(b.connections.length).toBe(30);
  });

  it('backs off with full jitter between rounds, jitters within one, and gives up after backoff.attempts rounds', async () => {
    const [a, b] = servers as [FakeServer, FakeServer];
    await a.close();
    await b.close();
    // Two URLs: a failure never draws the next URL (there is one other), only the delay.
    draws = [0, 0.1, 0.5, 0.1, 0.5, 0.1];
    const { client, errors } = connect([a.url, b.url], {
      backoff: { baseMs: 100, maxMs: 1000, attempts: 2 },
    });
    const pub = client.publish('t', 1).catch((e: SpoolError) => e.code);
    // Within a round 0.1 of baseMs (100); between rounds 0.5 of the ceilings 100 and 200.
    for (const [i, delay] of [10, 50, 10, 100, 10].entries()) await retry(i + 1, delay);
    await until(() => client.state === 'closed', 'closed');
    expect(tried).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
    expect(delays).toHaveLength(5);
    expect(errors.map((e) => e.code)).toEqual(['CONNECT_FAILED', 'RETRY_EXHAUSTED']);
    expect(errors[0]!.message).toContain(a.url);
    expect(await pub).toBe('RETRY_EXHAUSTED');
  });

  it('resumes every subscription exactly after a switch, and sends a pending publish again with its key', async () => {
    const [a, b] = servers as [FakeServer, FakeServer];
    const { client } = connect([a.url, b.url]);
    const got: string[] = [];
    client.subscribe('t', { after: '0-0', onEvent: (e) => got.push(e.id) });
    const onA = await a.connection(0);
    expect(await onA.next((f) => f.op === 'sub')).toMatchObject({ topic: 't', after: '0-0' });
    onA.send({ op: 'subok', topic: 't', from: '1-0' });
    onA.send({ op: 'ev', topic: 't', id: '1-0', event: 'message', data: 1 });
    onA.send({ op: 'ev', topic: 't', id: '2-0', event: 'message', data: 2 });
    await until(() => got.length === 2, 'two events on a');
    const pub = client.publish('t', 'hi');
    const first = await onA.next((f) => f.op === 'pub');

    onA.terminate();
    await retry(1, 50);
    const onB = await b.connection(0);
    expect(await onB.next((f) => f.op === 'sub')).toMatchObject({ topic: 't', after: '2-0' });
    const again = await onB.next((f) => f.op === 'pub');
    expect(again.key).toBe(first.key);
    // b sends the last event a delivered again (a resume is inclusive on some paths): dropped.
    onB.send({ op: 'subok', topic: 't', from: '2-0' });
    onB.send({ op: 'ev', topic: 't', id: '2-0', event: 'message', data: 2 });
    onB.send({ op: 'ev', topic: 't', id: '3-0', event: 'message', data: 'hi' });
    onB.send({ op: 'ack', ref: again.ref, id: '3-0' });
    expect(await pub).toBe('3-0');
    await until(() => got.length === 3, 'third event on b');
    expect(got).toEqual(['1-0', '2-0', '3-0']);
    expect(client.url).toBe(b.url);
  });
});

describe('refusals with several URLs', () => {
  it('4401 moves to the next URL with a fresh token; 4403 stops the client there, on every URL', async () => {
    const [a, b] = servers as [FakeServer, FakeServer];
    let asked = 0;
    const { client, errors } = connect([a.url, b.url], { getToken: () => `t${++asked}` });
    (await a.connection(0)).close(4401, 'TOKEN_EXPIRED');
    await retry(1, 50);
    const onB = await b.connection(0);
    expect(onB.url).toBe('/v1/ws?access_token=t2');
    onB.close(4403, 'FORBIDDEN');
    await until(() => client.state === 'closed', 'closed');
    expect(errors.map((e) => e.code)).toEqual(['TOKEN_EXPIRED', 'FORBIDDEN']);
    expect(tried).toEqual(['a', 'b']);
    expect(delays).toEqual([50]);
  });
});

describe('HTTP lookups with several URLs', () => {
  /** A fetch that fails on the network for the servers in `down`, and records every URL asked. */
  function fakeFetch(down: Set<string>, answer: (url: string) => Response) {
    const asked: string[] = [];
    const fetch = async (input: string | URL | Request) => {
      const url = String(input);
      asked.push(`${name(`${url}/`)} ${new URL(url).pathname}`);
      if (down.has(name(`${url}/`))) throw new TypeError('fetch failed');
      return answer(url);
    };
    return { fetch: fetch as typeof globalThis.fetch, asked };
  }
  const page = () => Response.json({ items: [], next: null });
  const channel = { channelType: 1, channelId: 'general' };

  it('go to the URL in use first and to the next on a network failure, never past an answer', async () => {
    const [a, b, c] = servers as [FakeServer, FakeServer, FakeServer];
    const down = new Set(['a']);
    let refuse = false;
    const f = fakeFetch(down, (url) =>
      refuse && url.includes(`:${b.port}`)
        ? Response.json({ error: { code: 'FORBIDDEN', message: 'no' } }, { status: 403 })
        : url.includes('/v1/messages/')
          ? Response.json({ meta: { ...channel, fromUid: 'u' }, text: 'hi', lastChunkId: 0, status: 'ended' })
          : page(),
    );
    const { client } = connect([a.url, b.url, c.url], { fetch: f.fetch });
    await until(() => client.state === 'open', 'open on a');
    expect(await client.history(channel)).toEqual({ items: [], next: null });
    expect(f.asked).toEqual(['a /v1/channels/1/general/messages', 'b /v1/channels/1/general/messages']);
    const message = client.message('42');
    await until(() => message.getSnapshot().status === 'ended', 'the message looked up');
    expect(message.getSnapshot().text).toBe('hi');
    expect(f.asked.slice(2)).toEqual(['a /v1/messages/42', 'b /v1/messages/42']);

    // Now on b (the draw 0 picks the URL after a): b is asked first, and its refusal is the
    // answer (no failover past it).
    draws = [0];
    (await a.connection(0)).terminate();
    await a.close();
    await retry(1, 50);
    await until(() => client.state === 'open' && client.url === b.url, 'open on b');
    f.asked.length = 0;
    refuse = true;
    await expect(client.history(channel)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { status: 403 },
    });
    expect(f.asked).toEqual(['b /v1/channels/1/general/messages']);

    // Every base down: UNAVAILABLE, after one try of each, from the one in use.
    down.add('b').add('c');
    f.asked.length = 0;
    const err = (await client.history(channel).catch((e: unknown) => e)) as SpoolError;
    expect(err).toBeInstanceOf(SpoolError);
    expect(err.code).toBe('UNAVAILABLE');
    expect(f.asked.map((x) => x[0])).toEqual(['b', 'c', 'a']);
  });

  it('use httpUrl alone when it is given', async () => {
    const [a, b] = servers as [FakeServer, FakeServer];
    const f = fakeFetch(new Set(), page);
    const { client } = connect([a.url, b.url], { fetch: f.fetch, httpUrl: `http://127.0.0.1:${b.port}/api` });
    await client.history(channel);
    expect(f.asked).toEqual(['b /api/v1/channels/1/general/messages']);
  });
});
