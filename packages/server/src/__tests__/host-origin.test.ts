import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { listen } from '../node/attach';
import { wsTransportOf } from '../node/ws-transport';
import type { SpoolOptions } from '../options';
import { createSpoolInstance, type SpoolInstance } from '../spool';
import { closeCodeOf, OPCODE_CLOSE, RawWsClient } from './raw-ws';

// DNS rebinding: a page on http://evil.example:PORT whose name is re-pointed at 127.0.0.1
// reaches the local server as a same-origin page; only its Host (and Origin) betray it.
// docs/http-api.md, "Host, Origin and CORS".

let spool: SpoolInstance | undefined;
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  spool = close = undefined;
});

async function start(options: SpoolOptions = {}): Promise<number> {
  spool = createSpoolInstance(options);
  const server = await listen(spool, { port: 0 });
  close = server.close;
  return server.port;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with exactly the headers given (Host included), as a browser or curl would send it. */
function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const codeOf = (r: Reply) => (JSON.parse(r.body) as { error: { code: string } }).error.code;
const publishBody = JSON.stringify({ data: { hello: 'world' } });
const json = { 'content-type': 'application/json' };

describe('the open local mode against DNS rebinding', () => {
  it('refuses a foreign Host with 403 HOST_NOT_ALLOWED on publish, admin, SSE and unknown routes alike', async () => {
    const port = await start();
    const evil = { host: `evil.example:${port}`, origin: `http://evil.example:${port}` };
    const publish = await send(port, 'POST', '/v1/topics/t/events', { ...evil, ...json }, publishBody);
    expect([publish.status, codeOf(publish)]).toEqual([403, 'HOST_NOT_ALLOWED']);
    expect(spool!.topics.get('t')).toBeUndefined(); // nothing was published
    for (const path of ['/v1/stats', '/v1/topics/t/events', '/metrics', '/healthz', '/v1/nope']) {
      const r = await send(port, 'GET', path, evil);
      expect([path, r.status, codeOf(r)]).toEqual([path, 403, 'HOST_NOT_ALLOWED']);
    }
    // Without an Origin (curl through a rebound name), the Host alone is refused.
    const curl = await send(port, 'GET', '/v1/stats', { host: `evil.example:${port}` });
    expect([curl.status, codeOf(curl)]).toEqual([403, 'HOST_NOT_ALLOWED']);
  });

  it('guards the SSE endpoint when it is mounted on its own, outside the router', async () => {
    spool = createSpoolInstance();
    close = () => spool!.close();
    const rebound = await spool.sse(new Request('http://evil.example:8080/v1/topics/t/events'), 't');
    expect([rebound.status, (await rebound.json()).error.code]).toEqual([403, 'HOST_NOT_ALLOWED']);
    const local = await spool.sse(new Request('http://localhost:8080/v1/topics/t/events'), 't');
    expect(local.status).toBe(200);
    await local.body!.cancel();
  });

  it('cannot be fooled by a target that names another authority', async () => {
    const port = await start();
    const r = await send(port, 'GET', '//127.0.0.1/v1/stats', { host: `evil.example:${port}` });
    expect([r.status, codeOf(r)]).toEqual([403, 'HOST_NOT_ALLOWED']);
    const userinfo = await send(port, 'GET', '/v1/stats', { host: `evil.example@127.0.0.1:${port}` });
    expect([userinfo.status, codeOf(userinfo)]).toEqual([400, 'BAD_REQUEST']);
  });

  it('serves loopback names and addresses', async () => {
    const port = await start();
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost']) {
      const r = await send(port, 'GET', '/v1/stats', { host });
      expect([host, r.status]).toEqual([host, 200]);
    }
  });

  it('refuses a foreign Origin on every route with 403 ORIGIN_NOT_ALLOWED, and serves loopback origins', async () => {
    const port = await start();
    const host = `127.0.0.1:${port}`;
    for (const origin of ['https://evil.example', 'null']) {
      const publish = await send(port, 'POST', '/v1/topics/t/events', { host, origin, ...json }, publishBody);
      expect([origin, publish.status, codeOf(publish)]).toEqual([origin, 403, 'ORIGIN_NOT_ALLOWED']);
      const stats = await send(port, 'GET', '/v1/stats', { host, origin });
      expect([origin, stats.status, codeOf(stats)]).toEqual([origin, 403, 'ORIGIN_NOT_ALLOWED']);
    }
    expect(spool!.topics.get('t')).toBeUndefined();
    const local = await send(
      port,
      'POST',
      '/v1/topics/t/events',
      { host, origin: 'http://localhost:5173', ...json },
      publishBody,
    );
    expect(local.status).toBe(201);
    expect(local.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(local.headers.vary).toBe('Origin');
  });

  it('refuses the WebSocket upgrade of a rebound page: close 1008 HOST_NOT_ALLOWED before any frame', async () => {
    const port = await start();
    const client = await RawWsClient.connect(port, '/v1/ws', {
      Host: `evil.example:${port}`,
      Origin: `http://evil.example:${port}`,
    });
    await client.until((frames) => frames.length > 0);
    client.closeBack(1008);
    await client.ended;
    expect(client.frames.map((f) => f.opcode)).toEqual([OPCODE_CLOSE]);
    expect(closeCodeOf(client.frames[0]!)).toBe(1008);
    expect(client.frames[0]!.payload.subarray(2).toString()).toBe('HOST_NOT_ALLOWED');
    expect(wsTransportOf(spool!).connections.size).toBe(0);
  });

  it('answers a WebSocket upgrade with a malformed Host with 400, without a handshake', async () => {
    const port = await start();
    await expect(RawWsClient.connect(port, '/v1/ws', { Host: 'a b' })).rejects.toThrow(/400 Bad Request/);
  });

  it('leaves the Host alone when tokens protect the server (a rebound page has no token)', async () => {
    const port = await start({ auth: { tokens: { admin: ['admin-token-01'] } } });
    const host = `spool.example:${port}`;
    expect((await send(port, 'GET', '/v1/stats', { host })).status).toBe(401);
    const r = await send(port, 'GET', '/v1/stats', { host, authorization: 'Bearer admin-token-01' });
    expect(r.status).toBe(200);
  });
});

describe('CORS', () => {
  const preflight = (origin: string, method = 'POST') => ({
    origin,
    'access-control-request-method': method,
    'access-control-request-headers': 'content-type, authorization',
  });

  it('answers a preflight from a loopback origin in the local mode with the path’s methods', async () => {
    const port = await start();
    const r = await send(port, 'OPTIONS', '/v1/topics/t/events', {
      host: `127.0.0.1:${port}`,
      ...preflight('http://localhost:5173'),
    });
    expect(r.status).toBe(204);
    expect(r.body).toBe('');
    expect(r.headers).toMatchObject({
      'access-control-allow-origin': 'http://localhost:5173',
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'authorization, content-type, last-event-id',
      'access-control-max-age': '600',
      vary: 'Origin',
    });
    expect(r.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('refuses a preflight from a foreign origin in the local mode, without CORS headers', async () => {
    const port = await start();
    const r = await send(port, 'OPTIONS', '/v1/topics/t/events', {
      host: `127.0.0.1:${port}`,
      ...preflight('https://evil.example'),
    });
    expect([r.status, codeOf(r)]).toEqual([403, 'ORIGIN_NOT_ALLOWED']);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers a plain OPTIONS with Allow, and OPTIONS on an unknown path with 404', async () => {
    const port = await start();
    const host = `127.0.0.1:${port}`;
    const plain = await send(port, 'OPTIONS', '/v1/stats', { host });
    expect([plain.status, plain.headers.allow]).toEqual([204, 'GET, OPTIONS']);
    expect(plain.headers['access-control-allow-methods']).toBeUndefined();
    const unknown = await send(port, 'OPTIONS', '/v1/nope', { host });
    expect([unknown.status, codeOf(unknown)]).toEqual([404, 'NOT_FOUND']);
  });

  it('with tokens and no allow-list, serves any origin (tokens travel in headers, not cookies)', async () => {
    const port = await start({ auth: { tokens: { user: ['user-token-01'] } } });
    const host = `spool.example:${port}`;
    const pre = await send(port, 'OPTIONS', '/v1/topics/t/events', {
      host,
      ...preflight('https://app.example'),
    });
    expect([pre.status, pre.headers['access-control-allow-origin']]).toEqual([204, 'https://app.example']);
    const r = await send(
      port,
      'POST',
      '/v1/topics/t/events',
      { host, origin: 'https://app.example', authorization: 'Bearer user-token-01', ...json },
      publishBody,
    );
    expect([r.status, r.headers['access-control-allow-origin']]).toEqual([201, 'https://app.example']);
  });

  it('with an allow-list, refuses other origins on every route, preflight included', async () => {
    const port = await start({
      auth: { tokens: { user: ['user-token-01'] }, allowedOrigins: ['https://app.example'] },
    });
    const host = `spool.example:${port}`;
    const auth = { authorization: 'Bearer user-token-01' };
    const pre = await send(port, 'OPTIONS', '/v1/topics/t/events', {
      host,
      ...preflight('https://other.example'),
    });
    expect([pre.status, codeOf(pre)]).toEqual([403, 'ORIGIN_NOT_ALLOWED']);
    const other = await send(
      port,
      'POST',
      '/v1/topics/t/events',
      { host, origin: 'https://other.example', ...auth, ...json },
      publishBody,
    );
    expect([other.status, codeOf(other)]).toEqual([403, 'ORIGIN_NOT_ALLOWED']);
    const listed = await send(
      port,
      'POST',
      '/v1/topics/t/events',
      { host, origin: 'https://app.example', ...auth, ...json },
      publishBody,
    );
    expect([listed.status, listed.headers['access-control-allow-origin']]).toEqual([
      201,
      'https://app.example',
    ]);
    // Not a browser (no Origin): the allow-list does not apply.
    expect(
      (await send(port, 'POST', '/v1/topics/t/events', { host, ...auth, ...json }, publishBody)).status,
    ).toBe(201);
  });
});
