import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startServer, type TestServer } from './helpers';

let server: TestServer | undefined;
const sources: EventSource[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) s.close();
  await server?.close();
  server = undefined;
});

function open(url: string, init?: ConstructorParameters<typeof EventSource>[1]): EventSource {
  const es = new EventSource(url, init);
  sources.push(es);
  return es;
}

/** Collects `n` events of the given types (default `message`) from an EventSource. */
function collect(es: EventSource, n: number, types: string[] = ['message']) {
  const got: Array<{ type: string; id: string; data: string }> = [];
  return new Promise<typeof got>((resolve) => {
    for (const type of types) {
      es.addEventListener(type, (e) => {
        got.push({ type, id: e.lastEventId, data: e.data });
        if (got.length === n) resolve(got);
      });
    }
  });
}

/** Reads a raw SSE response until `predicate` holds for the text so far. */
async function readUntil(res: Response, predicate: (text: string) => boolean): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!predicate(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  return text;
}

const topicUrl = (topic: string, query = '') =>
  `${server!.url}/v1/topics/${encodeURIComponent(topic)}/events${query}`;

describe('SSE endpoint', () => {
  it('sets the headers, sends retry: first, and sends heartbeat comments', async () => {
    server = await startServer({ sse: { retryMs: 1500, heartbeatIntervalMs: 20 } });
    const res = await fetch(topicUrl('chan:1:general'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const text = await readUntil(res, (t) => t.includes(': hb'));
    expect(text.startsWith(': topic chan:1:general\nretry: 1500\n\n')).toBe(true);
    // then the position of this live start on an empty topic: its log's floor, just below
    // the first ID it will issue
    const id = /^id: (\d+)-(\d+)\n\n/m.exec(text.slice(text.indexOf('\n\n') + 2));
    expect(id?.[2]).toBe(String(Number.MAX_SAFE_INTEGER));
    expect(Number(id?.[1])).toBeLessThan(Date.now());
  });

  it('names the position of a live start, so a reader cut before its first event misses nothing', async () => {
    server = await startServer();
    const before = await server.spool.publish('live', 'old');
    const res = await fetch(topicUrl('live'));
    const first = await readUntil(res, (t) => t.includes('\n\n'));
    expect(first).toContain(`id: ${before}\n`);
    expect(first).not.toContain('data:');
    // Cut before any event arrived; one is published while the reader is away.
    const missed = await server.spool.publish('live', 'missed');
    const again = await fetch(topicUrl('live'), { headers: { 'last-event-id': before } });
    const text = await readUntil(again, (t) => t.includes(`id: ${missed}`));
    expect(text).toContain(`id: ${missed}\ndata: "missed"`);
    expect(text).not.toContain('"old"');
  });

  it('streams events to a real EventSource: `message` without an event line, other names as types', async () => {
    server = await startServer();
    const es = open(topicUrl('news'));
    const got = collect(es, 2, ['message', 'headline']);
    await new Promise<void>((r) => es.addEventListener('open', () => r()));
    const a = await server.spool.publish('news', { n: 1 });
    const b = await server.spool.publish('news', { n: 2 }, { event: 'headline' });
    expect(await got).toEqual([
      { type: 'message', id: a, data: '{"n":1}' },
      { type: 'headline', id: b, data: '{"n":2}' },
    ]);
  });

  it('resumes from the lastEventId query parameter, and 0-0 means everything retained', async () => {
    server = await startServer();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await server.spool.publish('q', i));
    const all = await collect(open(topicUrl('q', '?lastEventId=0-0')), 5);
    expect(all.map((e) => Number(e.data))).toEqual([0, 1, 2, 3, 4]);
    const tail = await collect(open(topicUrl('q', `?lastEventId=${ids[2]}`)), 2);
    expect(tail.map((e) => e.id)).toEqual([ids[3], ids[4]]);
  });

  it('after a dropped connection, the EventSource reconnects with Last-Event-ID and gets every event once, in order', async () => {
    server = await startServer({ sse: { retryMs: 20 } });
    const es = open(topicUrl('drop', '?lastEventId=0-0'));
    const total = 60;
    const got = collect(es, total);
    let seen = 0;
    const halfway = new Promise<void>((resolve) =>
      es.addEventListener('message', () => {
        if (++seen === 20) resolve();
      }),
    );
    const reconnected = new Promise<void>((resolve) => {
      let opens = 0;
      es.addEventListener('open', () => {
        if (++opens === 2) resolve();
      });
    });
    for (let i = 0; i < 30; i++) await server.spool.publish('drop', i);
    await halfway;
    // Drop every connection: the browser-style client reconnects on its own.
    const http = (server.spool as unknown as { ws: { wss: unknown } }).ws && server;
    void http;
    for (const sub of (server.spool.sseEndpoint as unknown as { streams: Set<{ endStream(): void }> })
      .streams)
      sub.endStream();
    for (let i = 30; i < total; i++) await server.spool.publish('drop', i);
    await reconnected;
    const events = await got;
    expect(events.map((e) => Number(e.data))).toEqual(Array.from({ length: total }, (_, i) => i));
  });

  it('sends `event: reset` with { earliest } when the history is gone', async () => {
    server = await startServer({ topics: { retention: { maxEvents: 5, hardMaxEvents: 5 } } });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await server.spool.publish('r', i));
    const got = await collect(open(topicUrl('r', `?lastEventId=${ids[0]}`)), 6, ['reset', 'message']);
    expect(got[0]).toMatchObject({ type: 'reset', data: JSON.stringify({ earliest: ids[15] }) });
    expect(got.slice(1).map((e) => Number(e.data))).toEqual([15, 16, 17, 18, 19]);
  });

  it('takes Last-Event-ID from the header too', async () => {
    server = await startServer();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await server.spool.publish('h', i));
    const res = await fetch(topicUrl('h'), { headers: { 'last-event-id': ids[0]! } });
    const text = await readUntil(res, (t) => t.includes(`id: ${ids[2]}`));
    expect(text).not.toContain(`id: ${ids[0]}\n`);
    expect(text).toContain(`id: ${ids[1]}\n`);
    const bad = await fetch(topicUrl('h'), { headers: { 'last-event-id': 'garbage' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'INVALID_EVENT_ID' } });
    const badTopic = await fetch(topicUrl('two\nlines'));
    expect(badTopic.status).toBe(400);
    expect(await badTopic.json()).toMatchObject({ error: { code: 'INVALID_TOPIC' } });
    // ...and the server keeps serving.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('cleans up the subscription when the client disconnects', async () => {
    server = await startServer();
    const es = open(topicUrl('gone'));
    await new Promise<void>((r) => es.addEventListener('open', () => r()));
    const topic = server.spool.topics.get('gone')!;
    expect(topic.subscriberCount).toBe(1);
    es.close();
    await vi.waitFor(() => expect(topic.subscriberCount).toBe(0));
    expect((await server.spool.stats()).connections.sse).toBe(0);
  });
});
