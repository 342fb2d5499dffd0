import { once } from 'node:events';
import { SpoolClient } from '@spool/client';
import { createSseParserStream } from '@spool/core';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHonoApp } from './hono-app';
import { GET, spool as nextSpool, POST } from './next-route';

afterAll(() => nextSpool.close());

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** Reads the first SSE event of a response, then lets go of the stream. */
async function firstSseEvent(res: Response, controller: AbortController) {
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const reader = res.body!.pipeThrough(createSseParserStream()).getReader();
  const { value } = await reader.read();
  controller.abort();
  await reader.cancel().catch(() => {});
  return value;
}

describe('Spool in a Hono app (spool.fetch) with its WebSocket on the same server', () => {
  it('serves the API, SSE and the WebSocket next to the app’s own routes', async () => {
    let port = 0;
    const { spool, server } = startHonoApp(0, (p) => (port = p));
    if (!server.listening) await once(server, 'listening');
    const base = `http://127.0.0.1:${port}`;
    const client = new SpoolClient(`ws://127.0.0.1:${port}/v1/ws`, { WebSocket });
    try {
      expect(await (await fetch(`${base}/`)).text()).toBe('my app');
      expect((await fetch(`${base}/healthz`)).status).toBe(200);

      const got: unknown[] = [];
      const sub = client.subscribe('news', { after: '0-0', onEvent: (ev) => got.push(ev.data) });
      const res = await fetch(`${base}/v1/topics/news/events`, json({ data: { n: 1 } }));
      expect(res.status).toBe(201);
      await expect.poll(() => got).toEqual([{ n: 1 }]);
      sub.unsubscribe();

      const ctl = new AbortController();
      const sse = await fetch(`${base}/v1/topics/news/events?lastEventId=0-0`, { signal: ctl.signal });
      expect(JSON.parse((await firstSseEvent(sse, ctl))!.data)).toEqual({ n: 1 });
    } finally {
      client.close();
      await spool.close();
      server.close();
    }
  });
});

describe('Spool in Next.js route handlers (spool.fetch)', () => {
  it('publishes, reads history and streams SSE through the exported handlers', async () => {
    const url = (path: string) => `http://127.0.0.1:3000${path}`;
    const published = await POST(new Request(url('/v1/topics/next-news/events'), json({ data: 'hello' })));
    expect(published.status).toBe(201);
    const { id } = (await published.json()) as { id: string };

    const history = await GET(new Request(url('/v1/topics/next-news/history?after=0-0')));
    expect(await history.json()).toEqual([{ id, event: 'message', data: 'hello' }]);

    const ctl = new AbortController();
    const sse = await GET(
      new Request(url('/v1/topics/next-news/events'), {
        headers: { 'last-event-id': '0-0' },
        signal: ctl.signal,
      }),
    );
    const ev = await firstSseEvent(sse, ctl);
    expect(ev).toMatchObject({ id, data: '"hello"' });

    const unknown = await GET(new Request(url('/v1/nothing-here')));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: expect.any(String) } });
  });
});
