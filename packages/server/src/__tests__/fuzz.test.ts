/**
 * Fuzzing with fast-check against a real server: WebSocket frames (valid-looking and
 * garbage), the bodies and query strings of every HTTP route, hostile topic and event names
 * and event IDs, and SSE output carrying hostile data. The properties (docs/security.md,
 * "Threat model"): the process never crashes, every refusal is a typed error whose code is
 * in core's table, SSE output can never be made to carry an injected field, and what was
 * published before the fuzzing reads back exactly afterwards.
 *
 * The budget is small in CI; `SPOOL_FUZZ_RUNS=<n>` runs n cases per property. Each
 * property prints its seed and case count; `SPOOL_TEST_SEED=<seed>` replays it.
 */
import { ErrorCode, type ServerMessage, SseParser } from '@spool/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { fuzz } from './fuzz-kit';
import { startServer, type TestServer } from './helpers';

const ADMIN = 'fuzz-admin-token-01';
const USER = 'fuzz-user-token-001';
const CODES = new Set<string>(Object.values(ErrorCode));
const CLOSE_CODES = new Set([1000, 1001, 1007, 1008, 1009, 1011, 4401, 4403]);

let server: TestServer;

// --- generators -------------------------------------------------------------------------

const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom('\n', '\r', '\u0000', ':', ' ', 'a', '$', '*', '\u2028', '\uffff', 'é'),
    maxLength: 20,
  }),
  fc.constantFrom(
    '',
    ' ',
    'data: x',
    'id: 9-9\n\nevent: reset',
    '\r\nevent: forged',
    '$sys',
    'chan:1:general',
    'a'.repeat(70_000),
  ),
);
const eventId = fc.oneof(
  fc.constantFrom('0-0', '1-0', '18446744073709551615-0', '-1-0', '1-', '1-1-1', '9007199254740993-1', ''),
  fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => `${a}-${b}`),
  hostileText,
);
const anyJson = fc.jsonValue({ maxDepth: 3 });
const ref = fc.oneof(fc.integer(), fc.constant(undefined), anyJson);
const ops = [
  'sub',
  'unsub',
  'pub',
  'credit',
  'ping',
  'msg.open',
  'msg.append',
  'msg.end',
  'msg.cancel',
] as const;

/** Frames that look like protocol v1, with each field valid, hostile or of the wrong type. */
const plausibleFrame = fc
  .record(
    {
      op: fc.oneof(fc.constantFrom(...ops), hostileText),
      ref,
      topic: fc.oneof(hostileText, anyJson),
      after: fc.oneof(eventId, anyJson),
      event: fc.oneof(hostileText, anyJson),
      data: anyJson,
      key: fc.oneof(hostileText, anyJson),
      n: fc.oneof(fc.integer(), anyJson),
      credit: fc.oneof(fc.integer(), anyJson),
      messageId: fc.oneof(
        fc.constantFrom('1843563473929170944', '0', '-1', '99999999999999999999'),
        hostileText,
      ),
      chunkId: fc.oneof(fc.integer(), anyJson),
      text: hostileText,
      b64: hostileText,
      reason: fc.oneof(fc.constantFrom('success', 'error', 'cancelled', 'bogus'), anyJson),
      meta: fc.oneof(
        fc.record(
          { channelId: hostileText, channelType: fc.oneof(fc.integer(), anyJson) },
          { requiredKeys: [] },
        ),
        anyJson,
      ),
    },
    { requiredKeys: ['op'] },
  )
  .map((f) => JSON.stringify(f));
const garbageFrame = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.constantFrom('{', '{"op":', 'null', '[]', '{"op":"sub","topic":"a"', '\uFEFF{}'),
);
const wsFrame = fc.oneof(
  { weight: 5, arbitrary: plausibleFrame.map((text) => ({ text })) },
  { weight: 2, arbitrary: garbageFrame.map((text) => ({ text })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes })) },
);

// --- a socket that records what the server said -----------------------------------------

async function openSocket(token: string) {
  const ws = new WebSocket(`${server.wsUrl}?access_token=${token}`, ['spool.v1']);
  const frames: ServerMessage[] = [];
  let close: { code: number; reason: string } | undefined;
  const waiters: Array<() => void> = [];
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  ws.on('message', (data: Buffer) => {
    frames.push(JSON.parse(data.toString()) as ServerMessage);
    wake();
  });
  ws.on('close', (code, reason) => {
    close = { code, reason: reason.toString() };
    wake();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const until = async (done: () => boolean) => {
    while (!done() && !close) await new Promise<void>((r) => waiters.push(r));
  };
  return { ws, frames, until, closed: () => close };
}

function expectTypedErrors(frames: ServerMessage[]): void {
  for (const f of frames) {
    if (f.op !== 'err') continue;
    expect(CODES.has(f.code), `untyped error code ${JSON.stringify(f)}`).toBe(true);
    expect(f.code).not.toBe('INTERNAL');
    expect(typeof f.message).toBe('string');
  }
}

// --- the state that must survive -----------------------------------------------------------

const STATE_TOPIC = 'fuzz:state';
const STATE_STREAM = 'fuzz:jobs';
const stateEvents = [
  { event: 'message', data: { text: 'hello' } },
  { event: 'note', data: { nested: [1, 'two', null], emoji: '🧵', nl: 'a\nb\r\nc' } },
  { event: 'message', data: 'id: 1-0\n\nevent: forged' },
];
let stateIds: string[] = [];
let streamIds: string[] = [];
let messageId = '';

async function api(method: string, path: string, body?: string, token = ADMIN) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

beforeAll(async () => {
  server = await startServer({
    auth: { tokens: { admin: [ADMIN], user: [USER] } },
    ws: { publishRatePerSec: 1_000_000, publishBurst: 1_000_000 },
  });
  stateIds = [];
  for (const e of stateEvents) {
    const r = await api('POST', `/v1/topics/${encodeURIComponent(STATE_TOPIC)}/events`, JSON.stringify(e));
    stateIds.push((JSON.parse(r.text) as { id: string }).id);
  }
  streamIds = [];
  for (const n of [1, 2]) {
    const r = await api(
      'POST',
      `/v1/streams/${STATE_STREAM}/entries`,
      JSON.stringify({ fields: { n: String(n) } }),
    );
    streamIds.push((JSON.parse(r.text) as { id: string }).id);
  }
  const opened = await api(
    'POST',
    '/v1/messages',
    JSON.stringify({ channelId: 'fuzzstate', channelType: 9 }),
  );
  messageId = (JSON.parse(opened.text) as { messageId: string }).messageId;
  await api('POST', `/v1/messages/${messageId}/chunks`, JSON.stringify({ chunkId: 0, text: 'kept ' }));
  await api('POST', `/v1/messages/${messageId}/chunks`, JSON.stringify({ chunkId: 1, text: 'exactly' }));
  await api('POST', `/v1/messages/${messageId}/end`, JSON.stringify({ reason: 'success' }));
});

afterAll(async () => {
  // The state published first reads back exactly after every property ran.
  const history = JSON.parse(
    (await api('GET', `/v1/topics/${encodeURIComponent(STATE_TOPIC)}/history`)).text,
  ) as Array<{
    id: string;
    event: string;
    data: unknown;
  }>;
  expect(history.map((e) => ({ id: e.id, event: e.event, data: e.data }))).toEqual(
    stateEvents.map((e, i) => ({ id: stateIds[i], ...e })),
  );
  const entries = JSON.parse((await api('GET', `/v1/streams/${STATE_STREAM}/entries`)).text) as {
    entries: Array<{ id: string; fields: Record<string, string> }>;
  };
  expect(entries.entries.map((e) => e.id)).toEqual(streamIds);
  const message = JSON.parse((await api('GET', `/v1/messages/${messageId}`)).text) as { text: string };
  expect(message.text).toBe('kept exactly');
  await server.close();
});

describe('fuzzing', () => {
  it('WebSocket frames: never a crash, every refusal a typed error, closes only with documented codes', async () => {
    await fuzz(
      'ws frames',
      fc.tuple(fc.constantFrom(ADMIN, USER), fc.array(wsFrame, { minLength: 1, maxLength: 8 })),
      60,
      async ([token, frames]) => {
        const s = await openSocket(token);
        for (const f of frames) {
          if (s.closed()) break;
          if ('bytes' in f) s.ws.send(f.bytes, { binary: true });
          else s.ws.send(f.text);
        }
        // A ping answered after the frames means the server handled every one of them.
        if (!s.closed()) {
          s.ws.send(JSON.stringify({ op: 'ping', ref: 424242 }));
          const answered = await Promise.race([
            s.until(() => s.frames.some((f) => f.op === 'pong' && f.ref === 424242)).then(() => true),
            new Promise<false>((r) => setTimeout(() => r(false), 3000).unref()),
          ]);
          expect(
            answered,
            `no pong after ${JSON.stringify(frames).slice(0, 2000)}; got ${JSON.stringify(s.frames).slice(0, 1000)}`,
          ).toBe(true);
        }
        expectTypedErrors(s.frames);
        const closed = s.closed();
        if (closed) expect(CLOSE_CODES.has(closed.code), `close ${closed.code} ${closed.reason}`).toBe(true);
        else s.ws.terminate();
      },
    );
  });

  it('every HTTP route, with hostile path parameters, query strings and bodies: typed errors, never a 500', async () => {
    const routes: Array<[string, string]> = [
      ['POST', '/v1/topics/:p/events'],
      ['GET', '/v1/topics/:p/history'],
      ['GET', '/v1/topics/:p/events'],
      ['GET', '/v1/topics'],
      ['POST', '/v1/messages'],
      ['POST', '/v1/messages/:p/chunks'],
      ['POST', '/v1/messages/:p/end'],
      ['PATCH', '/v1/messages/:p'],
      ['GET', '/v1/messages/:p'],
      ['GET', '/v1/messages'],
      ['POST', '/v1/channels/:p/:p/end'],
      ['GET', '/v1/channels/:p/:p/active'],
      ['GET', '/v1/streams'],
      ['POST', '/v1/streams/:p/entries'],
      ['GET', '/v1/streams/:p/entries'],
      ['POST', '/v1/streams/:p/groups'],
      ['GET', '/v1/streams/:p/groups/:p/consumers/:p'],
      ['POST', '/v1/streams/:p/groups/:p/ack'],
      ['GET', '/v1/streams/:p/groups/:p/pending'],
      ['POST', '/v1/streams/:p/groups/:p/autoclaim'],
      ['GET', '/v1/streams/:p'],
      ['DELETE', '/v1/streams/:p/groups/:p/consumers/:p'],
      ['DELETE', '/v1/streams/:p/groups/:p'],
      ['GET', '/v1/stats'],
      ['GET', '/healthz'],
      ['GET', '/readyz'],
      ['GET', '/metrics'],
      ['PUT', '/v1/topics/:p/events'],
    ];
    const queryKeys = fc.constantFrom(
      'limit',
      'cursor',
      'count',
      'start',
      'end',
      'rev',
      'channelId',
      'channelType',
      'fromUid',
      'field',
      'value',
      'after',
      'before',
      'idle',
      'compact',
      'lastEventId',
      'x',
    );
    const input = fc.record({
      route: fc.constantFrom(...routes),
      params: fc.array(
        fc.oneof(hostileText, eventId, fc.constantFrom('1843563473929170944', 'chan:1:general', '$sys')),
        { minLength: 3, maxLength: 3 },
      ),
      query: fc.array(
        fc.tuple(fc.oneof(queryKeys, hostileText), fc.oneof(hostileText, eventId, fc.integer().map(String))),
        { maxLength: 4 },
      ),
      body: fc.option(
        fc.oneof(
          anyJson.map((v) => JSON.stringify(v)),
          fc.string({ unit: 'binary', maxLength: 100 }),
        ),
        { nil: undefined },
      ),
      token: fc.constantFrom(ADMIN, USER, 'not-a-token-at-all'),
      lastEventId: fc.option(
        eventId.filter((v) => /^[\x20-\x7e]*$/.test(v)),
        { nil: undefined },
      ),
    });
    await fuzz(
      'http routes',
      input,
      250,
      async ({ route: [method, template], params, query, body, token, lastEventId }) => {
        let i = 0;
        const path = template.replace(/:p/g, () => encodeURIComponent(params[i++ % params.length]!));
        const q = new URLSearchParams();
        // A blocking read waits up to its `block`: keep the budget for other cases.
        for (const [k, v] of query) if (k !== 'block') q.append(k, v);
        const url = `${path}${q.size > 0 ? `?${q}` : ''}`;
        // The fetch handler itself, so that huge parameters reach the routes: over a socket,
        // Node answers a request line past its 16 KiB header limit with 431 before Spool sees it.
        const sent = method === 'GET' || method === 'DELETE' ? undefined : body;
        const response = await server.spool.fetch(
          new Request(`http://localhost${url}`, {
            method,
            headers: {
              authorization: `Bearer ${token}`,
              ...(sent === undefined ? {} : { 'content-type': 'application/json' }),
              ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
            },
            body: sent,
          }),
        );
        // An SSE stream that opened never ends by itself: its headers are the answer.
        const streaming =
          response.status === 200 && response.headers.get('content-type') === 'text/event-stream';
        if (streaming) await response.body?.cancel();
        const res = { status: response.status, text: streaming ? '' : await response.text() };
        expect(res.status, `${method} ${url} -> ${res.text.slice(0, 200)}`).toBeLessThan(500);
        if (res.status >= 400) {
          const parsed = JSON.parse(res.text) as { error: { code: string; message: string } };
          expect(CODES.has(parsed.error.code), res.text).toBe(true);
          expect(typeof parsed.error.message).toBe('string');
        }
      },
    );
  });

  it('SSE carries hostile names and data as exactly the events published, with no injected field', async () => {
    const event = fc.record({
      // Names the log refuses get INVALID_EVENT; the rest must come back byte for byte.
      name: fc.oneof(
        fc.constant(undefined),
        hostileText.filter((s) => s.length < 300),
      ),
      data: fc.oneof(anyJson, hostileText),
    });
    let run = 0;
    const input = fc.record({
      // The topic's name is written into the stream too (a `: topic` comment).
      suffix: hostileText.filter((t) => t.length < 1000),
      events: fc.array(event, { minLength: 1, maxLength: 6 }),
    });
    await fuzz(
      'sse output',
      input,
      40,
      async ({ suffix, events }) => {
        const topic = `fuzz:sse:${++run}:${suffix}`;
        const published: Array<{ id: string; event: string; data: unknown }> = [];
        for (const e of events) {
          const r = await api(
            'POST',
            `/v1/topics/${encodeURIComponent(topic)}/events`,
            JSON.stringify(e.name === undefined ? { data: e.data } : { event: e.name, data: e.data }),
          );
          if (r.status === 201) {
            published.push({
              id: (JSON.parse(r.text) as { id: string }).id,
              event: e.name ?? 'message',
              // What the request carried: JSON has no -0 (it is sent as 0).
              data: JSON.parse(JSON.stringify(e.data)) as unknown,
            });
          } else {
            expect(r.status, r.text).toBe(400);
            expect(CODES.has(JSON.parse(r.text).error.code), r.text).toBe(true);
          }
        }
        if (published.length === 0) return;
        const res = await fetch(
          `${server.url}/v1/topics/${encodeURIComponent(topic)}/events?lastEventId=0-0`,
          {
            headers: { authorization: `Bearer ${USER}` },
          },
        );
        expect(res.headers.get('content-type')).toBe('text/event-stream');
        const got: Array<{ id: string; event: string; data: unknown }> = [];
        const fields = new Set<string>();
        const parser = new SseParser({
          onEvent: (ev) => got.push({ id: ev.id, event: ev.event, data: JSON.parse(ev.data) }),
        });
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = '';
        while (got.length < published.length) {
          const { value, done } = await reader.read();
          if (done) break;
          text += value;
          parser.feed(value);
        }
        await reader.cancel();
        for (const line of text.split(/\r\n|\r|\n/)) {
          const m = /^([^:]*)(:|$)/.exec(line);
          if (m && m[1] !== '') fields.add(m[1]!);
        }
        expect(got).toEqual(published);
        // Only the fields Spool writes: nothing in a name or the data became a field of its own.
        for (const f of fields)
          expect(['id', 'event', 'data', 'retry'], `field ${JSON.stringify(f)}`).toContain(f);
      },
      [
        // Seed 421102446: a -0 in the data, which the request itself sends as 0.
        {
          suffix: '',
          events: [
            { name: 'n', data: { a: [true, -0] } },
            { name: undefined, data: -0 },
          ],
        },
      ],
    );
  });
});
