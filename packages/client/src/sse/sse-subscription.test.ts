import { createManualClock, type ManualClock } from '@spool/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { until } from '../__tests__/until';
import { RESET_EVENT } from '../spool-event';
import { type SseSubscribeOptions, type SseSubscription, subscribeSse } from './sse-subscription';

interface Call {
  url: string;
  headers: Record<string, string>;
  write(text: string): void;
  end(): void;
  fail(): void;
  aborted: boolean;
}

/**
 * A fetch whose responses the test writes by hand; `refuse` queues error replies, and a
 * request to a host in `down` fails on the network (as fetch does: a TypeError).
 */
function fakeFetch() {
  const calls: Call[] = [];
  const refusals: Array<{ status: number; body: unknown }> = [];
  const down = new Set<string>();
  const encoder = new TextEncoder();
  const fetch = async (url: string | URL | Request, init: RequestInit = {}) => {
    if (down.has(new URL(String(url)).host)) {
      calls.push({ url: String(url), headers: init.headers as Record<string, string> } as Call);
      throw new TypeError('fetch failed');
    }
    const refusal = refusals.shift();
    if (refusal) {
      calls.push({ url: String(url), headers: init.headers as Record<string, string> } as Call);
      return new Response(JSON.stringify(refusal.body), { status: refusal.status });
    }
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
      },
    });
    const call: Call = {
      url: String(url),
      headers: init.headers as Record<string, string>,
      write: (text) => controller.enqueue(encoder.encode(text)),
      end: () => controller.close(),
      fail: () => controller.error(new TypeError('network cut')),
      aborted: false,
    };
    init.signal?.addEventListener('abort', () => {
      call.aborted = true;
      try {
        controller.error(new DOMException('aborted', 'AbortError'));
      } catch {}
    });
    calls.push(call);
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  };
  return {
    fetch: fetch as typeof globalThis.fetch,
    calls,
    down,
    refuse: (status: number, body: unknown) => refusals.push({ status, body }),
  };
}

let clock: ManualClock;
let f: ReturnType<typeof fakeFetch>;
const subs: SseSubscription[] = [];

beforeEach(() => {
  clock = createManualClock(0);
  f = fakeFetch();
});
afterEach(() => {
  for (const s of subs.splice(0)) s.unsubscribe();
});

function open(
  topic: string,
  options: SseSubscribeOptions = {},
  base: string | string[] = 'http://spool.test/',
): SseSubscription {
  const sub = subscribeSse(base, topic, {
    fetch: f.fetch,
    clock,
    random: () => 0.5,
    backoff: { baseMs: 100, maxMs: 1000 },
    livenessTimeoutMs: 10_000,
    ...options,
  });
  subs.push(sub);
  return sub;
}

const frame = (id: string, data: unknown, event?: string) =>
  `${event ? `event: ${event}\n` : ''}id: ${id}\ndata: ${JSON.stringify(data)}\n\n`;

describe('subscribeSse', () => {
  it('requests the topic with Authorization, Last-Event-ID and compact', async () => {
    open('chan:1:g', { token: 'secret', after: '5-0', compact: true });
    await until(() => f.calls.length === 1);
    expect(f.calls[0]!.url).toBe('http://spool.test/v1/topics/chan%3A1%3Ag/events?compact=1');
    expect(f.calls[0]!.headers).toMatchObject({
      accept: 'text/event-stream',
      authorization: 'Bearer secret',
      'last-event-id': '5-0',
    });
  });

  it('delivers parsed events once and in order, across a cut mid-event, resuming from the last ID', async () => {
    const got: unknown[] = [];
    const sub = open('t', {
      getToken: async () => `tok${f.calls.length}`,
      onEvent: (e) => got.push([e.id, e.event, e.data]),
    });
    await until(() => f.calls.length === 1);
    const first = f.calls[0]!;
    first.write('retry: 50\n');
    first.write(frame('1-0', { a: 1 }) + frame('1-1', 'x', 'note').slice(0, 9));
    await until(() => sub.lastEventId === '1-0');
    first.fail();
    await until(() => sub.state === 'reconnecting');
    await clock.advanceAsync(50);
    await until(() => f.calls.length === 2);
    const second = f.calls[1]!;
    expect(second.headers).toMatchObject({ 'last-event-id': '1-0', authorization: 'Bearer tok1' });
    second.write(frame('1-0', { a: 1 }) + frame('1-1', 'x', 'note') + frame('2-0', [2]));
    await until(() => sub.lastEventId === '2-0');
    expect(got).toEqual([
      ['1-0', 'message', { a: 1 }],
      ['1-1', 'note', 'x'],
      ['2-0', 'message', [2]],
    ]);
  });

  it('adopts the position a live start names (id without data), so a cut before any event resumes from it', async () => {
    const got: string[] = [];
    const sub = open('t', { onEvent: (e) => got.push(e.id) });
    await until(() => f.calls.length === 1);
    f.calls[0]!.write(': topic t\nretry: 50\nid: 7-3\n\n');
    await until(() => sub.lastEventId === '7-3');
    expect(got).toEqual([]);
    f.calls[0]!.fail();
    await until(() => sub.state === 'reconnecting');
    await clock.advanceAsync(50);
    await until(() => f.calls.length === 2);
    expect(f.calls[1]!.headers).toMatchObject({ 'last-event-id': '7-3' });
  });

  it('waits the retry: time after a clean end, and backs off with jitter after failures', async () => {
    const delays: number[] = [];
    const setTimeout = clock.setTimeout.bind(clock);
    clock.setTimeout = (fn, ms) => {
      if (ms !== 10_000) delays.push(ms);
      return setTimeout(fn, ms);
    };
    const sub = open('t', { random: () => 0.999 });
    await until(() => f.calls.length === 1);
    f.calls[0]!.write('retry: 300\n\n');
    f.calls[0]!.end();
    await until(() => delays.length === 1);
    expect(delays[0]).toBe(300);
    f.refuse(503, { error: { code: 'UNAVAILABLE', message: 'later' } });
    f.refuse(503, { error: { code: 'UNAVAILABLE', message: 'later' } });
    await clock.advanceAsync(300);
    await until(() => delays.length === 2);
    await clock.advanceAsync(delays[1]!);
    await until(() => delays.length === 3);
    // base is the server's retry (300): attempt 0 caps at 300, attempt 1 at 600.
    expect(delays.slice(1)).toEqual([0.999 * 300, 0.999 * 600]);
    expect(sub.active).toBe(true);
  });

  it('ends with the server code on a permanent refusal', async () => {
    f.refuse(403, { error: { code: 'FORBIDDEN', message: 'admin only' } });
    const errors: string[] = [];
    const sub = open('$sys', { onError: (e) => errors.push(e.code) });
    await expect(sub[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(errors).toEqual(['FORBIDDEN']);
    await until(() => sub.state === 'closed');
  });

  it("reads the server's event: error as the stream's end: TOKEN_EXPIRED reconnects with a fresh token, a permanent code ends", async () => {
    const got: string[] = [];
    const errors: string[] = [];
    const sub = open('t', {
      getToken: async () => `tok${f.calls.length}`,
      onEvent: (e) => got.push(`${e.id} ${e.event}`),
      onError: (e) => errors.push(e.code),
    });
    await until(() => f.calls.length === 1);
    // A topic event named `error` has an ID of its own: it is an event like any other.
    f.calls[0]!.write(frame('1-0', 'a') + frame('1-1', { not: 'the end' }, 'error'));
    await until(() => got.length === 2);
    f.calls[0]!.write('event: error\ndata: {"code":"TOKEN_EXPIRED","message":"expired"}\n\n');
    f.calls[0]!.end();
    await until(() => sub.state === 'reconnecting');
    await clock.advanceAsync(1000);
    await until(() => f.calls.length === 2);
    expect(f.calls[1]!.headers).toMatchObject({ authorization: 'Bearer tok1', 'last-event-id': '1-1' });
    f.calls[1]!.write(frame('2-0', 'b'));
    await until(() => got.length === 3);
    f.calls[1]!.write('event: error\ndata: {"code":"FORBIDDEN","message":"grant revoked"}\n\n');
    f.calls[1]!.end();
    await until(() => sub.state === 'closed');
    expect(got).toEqual(['1-0 message', '1-1 error', '2-0 message']);
    expect(errors).toEqual(['FORBIDDEN']);
    expect(f.calls).toHaveLength(2);
  });

  it('gives up with RETRY_EXHAUSTED after backoff.attempts failures', async () => {
    let sleeps = 0;
    const setTimeout = clock.setTimeout.bind(clock);
    clock.setTimeout = (fn, ms) => {
      if (ms !== 10_000) sleeps++;
      return setTimeout(fn, ms);
    };
    for (let i = 0; i < 3; i++) f.refuse(500, {});
    const sub = open('t', { backoff: { baseMs: 1, maxMs: 1, attempts: 2 } });
    const next = sub[Symbol.asyncIterator]().next();
    for (let i = 1; i <= 2; i++) {
      await until(() => sleeps === i, `sleep ${i}`);
      await clock.advanceAsync(1);
    }
    await expect(next).rejects.toMatchObject({ code: 'RETRY_EXHAUSTED' });
  });

  it('surfaces reset, which has no id of its own', async () => {
    const resets: string[] = [];
    const sub = open('t', { after: '1-0', onReset: (e) => resets.push(e) });
    const it = sub[Symbol.asyncIterator]();
    await until(() => f.calls.length === 1);
    f.calls[0]!.write(`event: reset\ndata: {"earliest":"9-0"}\n\n${frame('9-0', 'z')}`);
    expect((await it.next()).value).toMatchObject({ event: RESET_EVENT, data: { earliest: '9-0' } });
    expect((await it.next()).value).toMatchObject({ id: '9-0', data: 'z' });
    expect(resets).toEqual(['9-0']);
  });

  it('after a reset takes events below its old position and resumes just below earliest', async () => {
    const got: string[] = [];
    const sub = open('t', { after: '9000-0', onEvent: (e) => got.push(e.id) });
    await until(() => f.calls.length === 1);
    f.calls[0]!.write(`id: 49-${Number.MAX_SAFE_INTEGER}\nevent: reset\ndata: {"earliest":"50-0"}\n\n`);
    await until(() => sub.lastEventId !== '9000-0');
    expect(sub.lastEventId).toBe(`49-${Number.MAX_SAFE_INTEGER}`);
    f.calls[0]!.write(frame('50-0', 'a'));
    await until(() => got.length === 1);
    f.calls[0]!.fail();
    await until(() => sub.state === 'reconnecting');
    await clock.advanceAsync(1000);
    await until(() => f.calls.length === 2);
    expect(f.calls[1]!.headers).toMatchObject({ 'last-event-id': '50-0' });
    f.calls[1]!.write(frame('50-0', 'a') + frame('51-0', 'b'));
    await until(() => got.length === 2);
    expect(got).toEqual(['50-0', '51-0']);
  });

  it('aborts a silent response after livenessTimeoutMs and comes back', async () => {
    const sub = open('t');
    await until(() => f.calls.length === 1 && sub.state === 'open');
    await clock.advanceAsync(6000);
    f.calls[0]!.write(': hb\n\n');
    await until(() => sub.state === 'open');
    await new Promise((r) => setTimeout(r, 0));
    await clock.advanceAsync(6000);
    expect(f.calls[0]!.aborted).toBe(false);
    await clock.advanceAsync(4000);
    expect(f.calls[0]!.aborted).toBe(true);
    await until(() => sub.state === 'reconnecting');
    await clock.advanceAsync(1000);
    await until(() => f.calls.length === 2);
  });

  it('stops reading while an iterator lags past highWaterMark', async () => {
    const sub = open('t', { after: '0-0', highWaterMark: 2 });
    const it = sub[Symbol.asyncIterator]();
    await until(() => f.calls.length === 1);
    for (let i = 1; i <= 5; i++) f.calls[0]!.write(frame(`${i}-0`, i));
    await until(() => sub.buffer.length === 2);
    await new Promise((r) => setTimeout(r, 5));
    expect(sub.buffer.length).toBe(2);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await it.next()).value!.id);
    expect(ids).toEqual(['1-0', '2-0', '3-0', '4-0', '5-0']);
  });

  it('unsubscribe aborts the request and finishes the iterator', async () => {
    const sub = open('t');
    const next = sub[Symbol.asyncIterator]().next();
    await until(() => f.calls.length === 1);
    sub.unsubscribe();
    expect(await next).toEqual({ value: undefined, done: true });
    expect(f.calls[0]!.aborted).toBe(true);
    expect(sub.state).toBe('closed');
  });

  it.each([
    ['baseUrl', 'ws://x', {}],
    ['baseUrl', [], {}],
    ['baseUrl', ['http://x', 'ws://y'], {}],
    ['highWaterMark', 'http://x', { highWaterMark: 0 }],
    ['livenessTimeoutMs', 'http://x', { livenessTimeoutMs: -5 }],
  ])('rejects a bad %s with INVALID_OPTION', (name, url, options) => {
    expect(() => subscribeSse(url, 't', { fetch: f.fetch, ...options })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining(`\`${name}\``) }),
    );
  });
});

describe('subscribeSse with several base URLs', () => {
  const bases = ['http://a.test', 'http://b.test/', 'http://c.test'];
  const host = (c: Call) => new URL(c.url).host[0];
  /**
   * The subscription's random numbers, in order, then 0.5: the first picks the base it starts
   * on, the first failure after a working stream draws the base it moves to (three bases),
   * and every retry draws its delay.
   */
  const drawing =
    (...values: number[]) =>
    () =>
      values.shift() ?? 0.5;

  function recordDelays(): number[] {
    const delays: number[] = [];
    const setTimeout = clock.setTimeout.bind(clock);
    clock.setTimeout = (fn, ms) => {
      if (ms !== 10_000) delays.push(ms);
      return setTimeout(fn, ms);
    };
    return delays;
  }

  it('starts on a random base', async () => {
    for (const [draw, base] of [
      [0.1, 'a'],
      [0.5, 'b'],
      [0.9, 'c'],
    ] as const) {
      const sub = open('t', { random: drawing(draw) }, bases);
      expect(sub.url).toBe(`http://${base}.test`);
      await until(() => f.calls.length > 0 && host(f.calls.at(-1)!) === base, `a request to ${base}`);
      sub.unsubscribe();
    }
    expect(f.calls.map(host)).toEqual(['a', 'b', 'c']);
  });

  it('moves to another base after a jitter when a request fails, and resumes there from the last event ID', async () => {
    const delays = recordDelays();
    f.down.add('a.test');
    const got: string[] = [];
    const states: string[] = [];
    const sub = open(
      't',
      {
        onEvent: (e) => got.push(e.id),
        onState: (s, url) => states.push(`${s} ${url}`),
        // Start on a; its failure moves on to b (draw 0) after 0.3 of baseMs (100); b's drop
        // to c (draw 0.2: under a half, the base after b) after 0.6 of b's `retry:` (50).
        random: drawing(0, 0, 0.3, 0.2, 0.6),
      },
      bases,
    );
    expect(sub.urls).toEqual(['http://a.test', 'http://b.test', 'http://c.test']);
    await until(() => delays.length === 1);
    expect(delays).toEqual([30]);
    expect(sub.url).toBe('http://b.test');
    await clock.advanceAsync(30);
    await until(() => f.calls.length === 2);
    const onB = f.calls[1]!;
    expect(onB.url).toBe('http://b.test/v1/topics/t/events');
    onB.write('retry: 50\n' + frame('1-0', 1) + frame('2-0', 2));
    await until(() => got.length === 2);

    // b drops mid-stream: c, with Last-Event-ID.
    onB.fail();
    await until(() => delays.length === 2);
    expect(delays).toEqual([30, 30]);
    await clock.advanceAsync(30);
    await until(() => f.calls.length === 3);
    const onC = f.calls[2]!;
    expect(onC.url).toBe('http://c.test/v1/topics/t/events');
    expect(onC.headers).toMatchObject({ 'last-event-id': '2-0' });
    onC.write(frame('2-0', 2) + frame('3-0', 3));
    await until(() => got.length === 3);
    expect(got).toEqual(['1-0', '2-0', '3-0']);
    expect(f.calls.map(host)).toEqual(['a', 'b', 'c']);
    expect(states).toEqual([
      'reconnecting http://b.test',
      'open http://b.test',
      'reconnecting http://c.test',
      'open http://c.test',
    ]);
  });

  it('keeps the base that works when the server ends the stream cleanly, after its retry: time', async () => {
    const delays = recordDelays();
    const sub = open('t', { after: '0-0', random: drawing(0) }, bases);
    await until(() => f.calls.length === 1);
    f.calls[0]!.write('retry: 300\n' + frame('1-0', 1));
    await until(() => sub.lastEventId === '1-0');
    f.calls[0]!.end();
    await until(() => delays.length === 1);
    expect(delays).toEqual([300]);
    await clock.advanceAsync(300);
    await until(() => f.calls.length === 2);
    expect(f.calls.map(host)).toEqual(['a', 'a']);
    expect(f.calls[1]!.headers).toMatchObject({ 'last-event-id': '1-0' });
    expect(sub.url).toBe('http://a.test');
  });

  it('backs off with full jitter between rounds, jitters within one, and gives up after backoff.attempts rounds', async () => {
    const delays = recordDelays();
    for (const h of ['a.test', 'b.test', 'c.test']) f.down.add(h);
    const sub = open(
      't',
      {
        backoff: { baseMs: 100, maxMs: 1000, attempts: 1 },
        random: drawing(0, 0, 0.1, 0.1, 0.5, 0.1, 0.1),
      },
      bases,
    );
    const next = sub[Symbol.asyncIterator]().next();
    // 0.5 of the ceiling 100 after the first round of three; 0.1 of baseMs within one.
    const expected = [10, 10, 50, 10, 10];
    for (const [i, delay] of expected.entries()) {
      await until(() => delays.length >= i + 1, `delay ${i + 1}`);
      expect(delays[i]).toBe(delay);
      await clock.advanceAsync(delay);
    }
    await expect(next).rejects.toMatchObject({ code: 'RETRY_EXHAUSTED' });
    expect(f.calls.map(host)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    expect(delays).toHaveLength(5);
  });
});
