import {
  MemoryBroker,
  MemoryMessageStore,
  type MessageStore,
  SpoolError,
  type StreamBroker,
} from '@spool/core';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonResponse } from '../http/errors';
import { createSpoolInstance } from '../spool';
import { startServer, TestClient, type TestServer } from './helpers';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const down = () => new SpoolError('BROKER_UNAVAILABLE', 'broker down');

describe('fetch dispatch', () => {
  it('answers unknown paths with 404 NOT_FOUND and wrong methods with 405 and Allow', async () => {
    const spool = createSpoolInstance();
    const missing = await spool.fetch(new Request('http://localhost/v1/nope'));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const wrong = await spool.fetch(new Request('http://localhost/healthz', { method: 'DELETE' }));
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect(await wrong.json()).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } });
    await spool.close();
  });

  it('runs routes registered on the router, with auth, admin checks, JSON bodies and error mapping', async () => {
    const spool = createSpoolInstance({
      auth: { tokens: { admin: ['admin-secret-1'], user: ['user-secret-1'] } },
      maxBodyBytes: 64,
    });
    spool.router.post('/v1/echo', async (_req, _params, ctx) =>
      jsonResponse({ body: await ctx.json(), who: ctx.principal.role }),
    );
    spool.router.get('/v1/admin-only', () => jsonResponse({ ok: true }), { access: 'admin' });
    spool.router.get('/v1/boom', () => {
      throw new Error('secret detail');
    });
    const as = (token: string, init: RequestInit = {}) => ({
      ...init,
      headers: { authorization: `Bearer ${token}`, ...init.headers },
    });
    const echo = await spool.fetch(
      new Request(
        'http://localhost/v1/echo',
        as('user-secret-1', {
          method: 'POST',
          body: '{"a":1}',
          headers: { 'content-type': 'application/json' },
        }),
      ),
    );
    expect(await echo.json()).toEqual({ body: { a: 1 }, who: 'user' });
    const big = await spool.fetch(
      new Request(
        'http://localhost/v1/echo',
        as('user-secret-1', { method: 'POST', body: JSON.stringify({ a: 'x'.repeat(100) }) }),
      ),
    );
    expect([big.status, ((await big.json()) as { error: { code: string } }).error.code]).toEqual([
      413,
      'PAYLOAD_TOO_LARGE',
    ]);
    const notJson = await spool.fetch(
      new Request(
        'http://localhost/v1/echo',
        as('user-secret-1', { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } }),
      ),
    );
    expect(notJson.status).toBe(400);
    expect(
      (await spool.fetch(new Request('http://localhost/v1/admin-only', as('user-secret-1')))).status,
    ).toBe(403);
    expect(
      (await spool.fetch(new Request('http://localhost/v1/admin-only', as('admin-secret-1')))).status,
    ).toBe(200);
    expect((await spool.fetch(new Request('http://localhost/v1/admin-only'))).status).toBe(401);
    const boom = await spool.fetch(new Request('http://localhost/v1/boom', as('user-secret-1')));
    expect(boom.status).toBe(500);
    expect(JSON.stringify(await boom.json())).not.toContain('secret detail');
    await spool.close();
  });
});

describe('readiness and circuit breakers', () => {
  it('shows an open broker breaker in /readyz and in stats', async () => {
    const memory = new MemoryBroker();
    const broker = new Proxy(memory, {
      get(target, key, receiver) {
        if (key === 'ping' || key === 'xadd') return async () => Promise.reject(down());
        return Reflect.get(target, key, receiver);
      },
    }) as StreamBroker;
    server = await startServer({
      broker,
      breaker: { failureThreshold: 2, cooldownMs: 60_000 },
      retry: { maxAttempts: 1 },
    });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const first = await fetch(`${server.url}/readyz`);
    expect(first.status).toBe(503);
    await fetch(`${server.url}/readyz`);
    const body = (await (await fetch(`${server.url}/readyz`)).json()) as {
      ready: boolean;
      checks: Record<string, { ok: boolean; breaker: string }>;
    };
    expect(body).toMatchObject({
      ready: false,
      checks: { broker: { ok: false, breaker: 'open' }, store: { ok: true, breaker: 'closed' } },
    });
    expect((await server.spool.stats()).breakers).toEqual({ store: 'closed', broker: 'open' });
    await memory.close();
  });

  it('sends msg.end with persisted: false and dead-letters the message when the store keeps failing', async () => {
    const real = new MemoryMessageStore();
    const store: MessageStore = {
      save: async () => Promise.reject(new SpoolError('STORE_UNAVAILABLE', 'disk on fire')),
      get: (id) => real.get(id),
      listAfter: (c, a, o) => real.listAfter(c, a, o),
      listBefore: (c, b, o) => real.listBefore(c, b, o),
      listBySender: (u, b, o) => real.listBySender(u, b, o),
      listByField: (f, v, b, o) => real.listByField(f, v, b, o),
      close: () => real.close(),
    };
    server = await startServer({
      store,
      breaker: { failureThreshold: 2 },
      retry: { maxAttempts: 2, baseMs: 1, maxMs: 1 },
    });
    const c = await TestClient.connect(server.wsUrl);
    c.send({ op: 'sub', topic: 'chan:1:g' });
    await c.next((f) => f.op === 'subok');
    const run = await server.spool.run({ channelId: 'g', channelType: 1 }, async (write) => {
      await write('unsaved');
    });
    expect(await run.done).toBe('success');
    const end = await c.next((f) => f.op === 'ev' && f.event === 'msg.end');
    expect(end.data).toEqual({ messageId: run.messageId, reason: 'success', persisted: false });
    expect(server.spool.messages.deadLetters.map((d) => [d.messageId, d.text])).toEqual([
      [run.messageId, 'unsaved'],
    ]);
    const stats = await server.spool.stats();
    expect(stats.breakers.store).toBe('open');
    expect(stats.cache.deadLettered).toBe(1);
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as {
      checks: { store: { breaker: string } };
    };
    expect(ready.checks.store.breaker).toBe('open');
    await c.close();
  });
});

describe('createSpool options', () => {
  it('rejects unknown and invalid options with INVALID_OPTION', () => {
    expect(() => createSpoolInstance({ nope: 1 } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => createSpoolInstance({ ws: { maxQueuedBytes: -1 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => createSpoolInstance({ ws: { maxCredits: 5 } as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => createSpoolInstance({ sse: { retryMs: 0 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => createSpoolInstance({ broker: {} as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => createSpoolInstance({ statsIntervalMs: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});
