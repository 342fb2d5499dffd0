/**
 * `spool.fetch` mounted in a Hono app and called in process with `app.request` (no socket,
 * no port): the probe, a publish, a history read, an SSE stream and an auth refusal pass
 * through Hono unchanged. The block the server's README shows ("Inside Hono, in process")
 * is verbatim in this file.
 */
import { readFileSync } from 'node:fs';
import { createSseParserStream } from '@spool/core';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { createSpool } from '../index';

const adminToken = 'hono-admin-token-01';
const userToken = 'hono-user-token-01';

const spool = createSpool({ auth: { tokens: { admin: [adminToken], user: [userToken] } } });
const app = new Hono();
app.get('/', (c) => c.text('my app'));
// Spool's HTTP API and SSE at the paths of docs/http-api.md, and its probes.
app.all('/v1/*', (c) => spool.fetch(c.req.raw));
app.get('/healthz', (c) => spool.fetch(c.req.raw));
app.get('/readyz', (c) => spool.fetch(c.req.raw));

afterAll(() => spool.close());

const asUser = { authorization: `Bearer ${userToken}` };
const publish = (topic: string, data: unknown) =>
  app.request(`/v1/topics/${topic}/events`, {
    method: 'POST',
    headers: { ...asUser, 'content-type': 'application/json' },
    body: JSON.stringify({ data }),
  });

describe('spool.fetch inside a Hono app (app.request, in process)', () => {
  it('answers the probes next to the app’s own route', async () => {
    expect(await (await app.request('/')).text()).toBe('my app');
    const health = await app.request('/healthz');
    expect([health.status, await health.json()]).toEqual([200, { ok: true }]);
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true });
  });

  it('publishes an event and reads it back from the topic history', async () => {
    const published = await publish('hono-news', { n: 1 });
    expect(published.status).toBe(201);
    const { id } = (await published.json()) as { id: string };
    const history = await app.request('/v1/topics/hono-news/history?after=0-0', { headers: asUser });
    expect(history.status).toBe(200);
    expect(await history.json()).toEqual([{ id, event: 'message', data: { n: 1 } }]);
  });

  it('streams SSE: the retained events first, then a live one; aborting ends the stream', async () => {
    const first = (await (await publish('hono-live', 'a')).json()) as { id: string };
    const ctl = new AbortController();
    const res = await app.request('/v1/topics/hono-live/events', {
      headers: { ...asUser, 'last-event-id': '0-0' },
      signal: ctl.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.pipeThrough(createSseParserStream()).getReader();
    expect((await reader.read()).value).toMatchObject({ id: first.id, data: '"a"' });
    expect((await spool.stats()).connections.sse).toBe(1);

    const second = (await (await publish('hono-live', 'b')).json()) as { id: string };
    expect((await reader.read()).value).toMatchObject({ id: second.id, data: '"b"' });

    // The abort reaches Spool through Hono's `c.req.raw`: the subscription goes away.
    ctl.abort();
    await expect.poll(async () => (await spool.stats()).connections.sse).toBe(0);
    await reader.cancel().catch(() => {});
  });

  it('refuses with the documented codes: no token is 401, a user on an admin route is 403', async () => {
    const anonymous = await app.request('/v1/topics/hono-news/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: 1 }),
    });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });

    const user = await app.request('/v1/stats', { headers: asUser });
    expect(user.status).toBe(403);
    expect(await user.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });

  it('is the mount the server’s README shows, verbatim', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Inside Hono, in process'));
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBeDefined();
    const source = readFileSync(new URL(import.meta.url), 'utf8');
    const lines = block!.trimEnd().split('\n');
    const imports = lines.filter((l) => l.startsWith('import '));
    const body = lines
      .filter((l) => !l.startsWith('import '))
      .join('\n')
      .trim();
    // The README imports the package by name; this file imports its source.
    for (const line of imports) expect(source).toContain(line.replace("'@spool/server'", "'../index'"));
    expect(source).toContain(body);
  });
});
