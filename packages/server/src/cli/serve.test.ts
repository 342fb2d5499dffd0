import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MemoryMessageStore } from '@spool/core';
import { SignJWT } from 'jose';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { adminClient, deleteKeys, nextPrefix, TEST_REDIS_URL } from '../broker/redis-test-env';
import { toRequest } from '../http/node-bridge';
import { internalsOf } from '../spool';
import { type ServeHandle, startServe } from './serve';
import { parseServeArgs, type ServeConfig } from './serve-options';

const silent = pino({ level: 'silent' });
let serve: ServeHandle | undefined;
let tmp: string | undefined;
afterEach(async () => {
  await serve?.shutdown('test over');
  serve = undefined;
  if (tmp) await rm(tmp, { recursive: true, force: true });
  tmp = undefined;
});

function config(argv: string[] = [], env: Record<string, string> = {}): ServeConfig {
  const c = parseServeArgs(['serve', '--port', '0', ...argv], env);
  if (c.kind !== 'serve') throw new Error('expected serve');
  return c.config;
}

async function missingDashboard(): Promise<string> {
  tmp = await mkdtemp(join(tmpdir(), 'spool-serve-'));
  return join(tmp, 'dist');
}

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('startServe', () => {
  it('answers /healthz, the API, and the dashboard page (here: how to build it)', async () => {
    serve = await startServe(config(), { dashboardDir: await missingDashboard(), logger: silent });
    expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${serve.url}/healthz`)).json()).toEqual({ ok: true });
    const page = await fetch(`${serve.url}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('pnpm --filter @spool/dashboard build');
    const unknownApi = await fetch(`${serve.url}/v1/nope`);
    expect([unknownApi.status, await unknownApi.json()]).toEqual([
      404,
      { error: { code: 'NOT_FOUND', message: 'No route for GET /v1/nope.' } },
    ]);
    expect((await fetch(`${serve.url}/readyz`)).status).toBe(200);
  });

  it('drains on shutdown: every open message, HTTP-produced or demo, ends up in the store', async () => {
    const store = new MemoryMessageStore();
    serve = await startServe(config(['--demo']), {
      dashboardDir: await missingDashboard(),
      logger: silent,
      store,
      demo: { producer: { minIntervalMs: 5, maxIntervalMs: 10, maxConcurrent: 3 } },
    });
    const url = serve.url;
    const texts = new Map<string, string>();
    for (let i = 0; i < 3; i++) {
      const opened = (await (
        await fetch(`${url}/v1/messages`, json({ channelId: 'drain', channelType: 1 }))
      ).json()) as { messageId: string };
      let text = '';
      for (let c = 0; c < i; c++) {
        await fetch(`${url}/v1/messages/${opened.messageId}/chunks`, json({ chunkId: c, text: `part${c} ` }));
        text += `part${c} `;
      }
      texts.set(opened.messageId, text);
    }
    await expect
      .poll(() => serve!.demo!.producer.stats().running, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(1);
    const open = internalsOf(serve.spool)
      .cache.listStreams()
      .map((v) => v.meta.messageId);
    expect(open.length).toBeGreaterThanOrEqual(4);

    const handle = serve;
    serve = undefined;
    await handle.shutdown('SIGTERM');

    for (const id of open) {
      const saved = await store.get(id);
      expect(saved, `message ${id} is in the store`).toBeDefined();
      expect(saved!.reason).toBe('force');
      if (texts.has(id)) expect(saved!.text).toBe(texts.get(id));
    }
    expect(internalsOf(handle.spool).cache.getStreamCount()).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('refuses a non-loopback address without a token, and a database URL with a data directory', async () => {
    const dashboardDir = await missingDashboard();
    await expect(
      startServe(config(['--host', '0.0.0.0']), { dashboardDir, logger: silent }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    // Refused before the embedded database starts: the data directory is never touched.
    await expect(
      startServe(config(['--host', '0.0.0.0', '--data', join(tmp!, 'refused')]), {
        dashboardDir,
        logger: silent,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    expect(existsSync(join(tmp!, 'refused'))).toBe(false);
    expect(() =>
      config(['--data', join(tmp!, 'data')], { SPOOL_DATABASE_URL: 'postgres://127.0.0.1/test' }),
    ).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringMatching(/both set/) }),
    );
  });

  it('with tokens, enforces them everywhere, loopback included', async () => {
    serve = await startServe(config(['--admin-token', 'admin-secret-01', '--tokens', 'user-secret-01']), {
      dashboardDir: await missingDashboard(),
      logger: silent,
    });
    expect((await fetch(`${serve.url}/v1/stats`)).status).toBe(401);
    expect(
      (await fetch(`${serve.url}/v1/stats`, { headers: { authorization: 'Bearer user-secret-01' } })).status,
    ).toBe(403);
    expect(
      (await fetch(`${serve.url}/v1/stats`, { headers: { authorization: 'Bearer admin-secret-01' } })).status,
    ).toBe(200);
    // The dashboard itself loads without a token (it asks for one).
    expect((await fetch(`${serve.url}/`)).status).toBe(200);
  });

  it('with a JWT secret, binds beyond loopback and enforces JWTs everywhere, loopback included', async () => {
    const secret = 'a-jwt-secret-for-the-serve-test-0001';
    serve = await startServe(config(['--host', '0.0.0.0'], { SPOOL_JWT_SECRET: secret }), {
      dashboardDir: await missingDashboard(),
      logger: silent,
    });
    const local = serve.url.replace('0.0.0.0', '127.0.0.1');
    expect((await fetch(`${local}/v1/stats`)).status).toBe(401);
    const token = await new SignJWT({ spool: { admin: true } })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('ops')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    expect((await fetch(`${local}/v1/stats`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    );
  });

  it('without tokens, no admin action is reachable from another address', async () => {
    serve = await startServe(config(), { dashboardDir: await missingDashboard(), logger: silent });
    const from = (remoteAddress: string, path: string, method = 'GET') =>
      // An IncomingMessage as node:http makes it for a peer at `remoteAddress` (a real socket cannot fake one).
      toRequest(
        Object.assign(Readable.from([]), {
          method,
          url: path,
          headers: { host: 'localhost' },
          rawHeaders: ['host', 'localhost'],
          socket: { remoteAddress, localAddress: '127.0.0.1' },
        }) as unknown as IncomingMessage,
      );
    for (const [path, method] of [
      ['/v1/stats', 'GET'],
      ['/v1/streams', 'GET'],
      ['/v1/streams/k/groups/g', 'DELETE'],
    ] as const) {
      const remote = await serve.spool.fetch(from('10.0.0.7', path, method));
      expect([path, remote.status]).toEqual([path, 401]);
    }
    expect((await serve.spool.fetch(from('127.0.0.1', '/v1/stats'))).status).toBe(200);
  });

  it('without tokens, refuses a rebound Host on the dashboard pages as on the API', async () => {
    serve = await startServe(config(), { dashboardDir: await missingDashboard(), logger: silent });
    const page = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${serve!.url}/`, { headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await page('evil.example')).toBe(403);
    expect(await page('localhost')).toBe(200);
  });

  it('uses RedisBroker when SPOOL_REDIS_URL is set', async () => {
    const prefix = nextPrefix();
    const admin = adminClient();
    try {
      serve = await startServe(config(['--redis-prefix', prefix], { SPOOL_REDIS_URL: TEST_REDIS_URL }), {
        dashboardDir: await missingDashboard(),
        logger: silent,
      });
      const ready = (await (await fetch(`${serve.url}/readyz`)).json()) as { ready: boolean };
      expect(ready.ready).toBe(true);
      await fetch(`${serve.url}/v1/streams/jobs/entries`, json({ fields: { a: '1' } }));
      expect(await admin.xlen(`${prefix}jobs`)).toBe(1);
      await serve.shutdown('test over');
      serve = undefined;
    } finally {
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
  });

  it('puts topics on Redis with SPOOL_REDIS_URL: /readyz checks it, GET /v1/topics reads its index, $sys stays local', async () => {
    const prefix = nextPrefix();
    const admin = adminClient();
    try {
      serve = await startServe(config(['--redis-prefix', prefix], { SPOOL_REDIS_URL: TEST_REDIS_URL }), {
        dashboardDir: await missingDashboard(),
        logger: silent,
      });
      const ready = (await (await fetch(`${serve.url}/readyz`)).json()) as {
        ready: boolean;
        checks: Record<string, { ok: boolean; kind?: string }>;
      };
      expect(ready.ready).toBe(true);
      expect(ready.checks.topics).toEqual({ ok: true, kind: 'redis' });
      const res = await fetch(`${serve.url}/v1/topics/news/events`, json({ data: { n: 1 } }));
      const { id } = (await res.json()) as { id: string };
      expect(res.status).toBe(201);
      expect((await admin.xrange(`${prefix}{news}:log`, '-', '+')).map(([entryId]) => entryId)).toEqual([id]);
      // A topic another instance appended to: listed here too, from the index.
      await admin.xadd(`${prefix}{elsewhere}:log`, '*', 'e', 'message', 'd', '1');
      await admin.zadd(`${prefix}topics`, Date.now(), 'elsewhere');
      // Subscribing to $sys must not create a Redis stream for it.
      const sys = await fetch(`${serve.url}/v1/topics/$sys/events`, {
        headers: { accept: 'text/event-stream' },
        signal: AbortSignal.timeout(5_000),
      });
      expect(sys.status).toBe(200);
      await sys.body?.cancel();
      const list = (await (await fetch(`${serve.url}/v1/topics`)).json()) as {
        items: Array<{ name: string; retainedEvents: number; lastId: string | null }>;
      };
      expect(list.items.map((t) => t.name)).toEqual(['$sys', 'elsewhere', 'news']);
      expect(list.items.find((t) => t.name === 'elsewhere')?.retainedEvents).toBe(1);
      expect(list.items.find((t) => t.name === 'news')?.lastId).toBe(id);
      expect(await admin.exists(`${prefix}{$sys}:log`)).toBe(0);
      await serve.shutdown('test over');
      serve = undefined;
    } finally {
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
  });
});
