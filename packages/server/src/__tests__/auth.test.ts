import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { attach, listen } from '../node/attach';
import { createSpoolInstance } from '../spool';
import { serverFixture, startServer, TestClient, type TestServer } from './helpers';

const fixture = serverFixture();
let server: TestServer | undefined;

const ADMIN = 'admin-secret-1';
const USER = 'user-secret-1';
const tokens = { admin: [ADMIN], user: [USER] };

/** Opens a socket and reports how it ended: opened (and the selected protocol), or the close code. */
function attempt(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}) {
  const ws = new WebSocket(url, options.protocols ?? ['spool.v1'], { headers: options.headers ?? {} });
  return new Promise<{ code: number; protocol: string }>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('close', (code) => resolve({ code, protocol: ws.protocol }));
  });
}

describe('WebSocket authentication', () => {
  it('closes with 4401 without a token or with a wrong one', async () => {
    server = fixture.track(await startServer({ auth: { tokens } }));
    expect((await attempt(server.wsUrl)).code).toBe(4401);
    expect((await attempt(`${server.wsUrl}?access_token=nope-nope-nope`)).code).toBe(4401);
  });

  it('accepts a token as a bearer header, an access_token parameter or a subprotocol entry, answering spool.v1', async () => {
    server = fixture.track(await startServer({ auth: { tokens } }));
    for (const c of [
      await TestClient.connect(server.wsUrl, { headers: { authorization: `Bearer ${USER}` } }),
      await TestClient.connect(`${server.wsUrl}?access_token=${USER}`),
      await TestClient.connect(server.wsUrl, { protocols: ['spool.v1', `spool.token.${USER}`] }),
      await TestClient.connect(server.wsUrl, { protocols: ['spool.v1', `spool.auth.${USER}`] }),
    ]) {
      fixture.keep(c);
      expect(c.ws.protocol).toBe('spool.v1');
      expect((await c.request({ op: 'pub', topic: 't', data: 1 })).op).toBe('ack');
    }
  });

  it('forbids $sys to users and pushes stats on it to admins', async () => {
    server = fixture.track(await startServer({ auth: { tokens }, statsIntervalMs: 20 }));
    const user = await TestClient.connect(`${server.wsUrl}?access_token=${USER}`);
    const admin = await TestClient.connect(`${server.wsUrl}?access_token=${ADMIN}`);
    fixture.keep(user, admin);
    user.send({ op: 'sub', topic: '$sys' });
    expect(await user.next((f) => f.op === 'err')).toMatchObject({ code: 'FORBIDDEN', topic: '$sys' });
    admin.send({ op: 'sub', topic: '$sys' });
    const [stats] = await admin.events('$sys', 1);
    expect(stats!.event).toBe('stats');
    expect(stats!.data).toMatchObject({
      connections: { ws: 2 },
      breakers: { store: 'closed', broker: 'closed' },
    });
  });

  it('closes with 4403 when authorize refuses the connection, and 1008 for a foreign origin', async () => {
    server = fixture.track(
      await startServer({
        auth: {
          tokens,
          allowedOrigins: ['https://app.example'],
          authorize: (p, action) => !(action === 'connect' && p.role === 'user'),
        },
      }),
    );
    expect((await attempt(`${server.wsUrl}?access_token=${USER}`)).code).toBe(4403);
    const foreign = await attempt(`${server.wsUrl}?access_token=${ADMIN}`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.code).toBe(1008);
    const allowed = await TestClient.connect(`${server.wsUrl}?access_token=${ADMIN}`, {
      headers: { origin: 'https://app.example' },
    });
    fixture.keep(allowed);
    expect(allowed.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('in the open local mode, serves loopback as admin but refuses foreign origins', async () => {
    server = fixture.track(await startServer());
    const c = await TestClient.connect(server.wsUrl, { headers: { origin: 'http://localhost:5173' } });
    fixture.keep(c);
    c.send({ op: 'sub', topic: '$sys' });
    expect(await c.next((f) => f.op === 'subok')).toMatchObject({ topic: '$sys' });
    expect((await attempt(server.wsUrl, { headers: { origin: 'https://evil.example' } })).code).toBe(1008);
  });
});

describe('HTTP and SSE authentication', () => {
  it('answers 401 without a token and 403 for $sys as a user, with the JSON error body', async () => {
    server = fixture.track(await startServer({ auth: { tokens } }));
    const none = await fetch(`${server.url}/v1/topics/t/events`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    const sys = await fetch(`${server.url}/v1/topics/%24sys/events`, {
      headers: { authorization: `Bearer ${USER}` },
    });
    expect(sys.status).toBe(403);
    expect(await sys.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const foreign = await fetch(`${server.url}/v1/topics/t/events?access_token=${USER}`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(200); // tokens set and no allow-list: any origin
    await foreign.body?.cancel();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('the `spool serve` defaults', () => {
  it('refuses to listen beyond loopback without a token, and listens with one', async () => {
    await expect(listen(createSpoolInstance(), { host: '0.0.0.0', port: 0 })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
    const withToken = createSpoolInstance({ auth: { tokens } });
    const s = await listen(withToken, { host: '0.0.0.0', port: 0 });
    expect((await fetch(`http://127.0.0.1:${s.port}/v1/topics/t/events`)).status).toBe(401);
    await s.close();
  });

  it('attach checks the bound address of a node:http server', async () => {
    const spool = createSpoolInstance();
    const http = createServer();
    await new Promise<void>((r) => http.listen(0, '0.0.0.0', r));
    expect(() => attach(spool, http)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    // Attached before listening: the check runs when it starts listening, and stops it.
    const later = createServer();
    attach(spool, later);
    const failed = new Promise<unknown>((resolve) => later.once('error', resolve));
    later.listen(0, '0.0.0.0');
    expect(await failed).toMatchObject({ code: 'INVALID_OPTION' });
    await new Promise<void>((r) => http.close(() => r()));
    await spool.close();
  });

  it('attach on loopback serves requests and upgrades of an existing server', async () => {
    const spool = createSpoolInstance();
    const http = createServer();
    const detach = attach(spool, http);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const { port } = http.address() as AddressInfo;
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const c = await TestClient.connect(`ws://127.0.0.1:${port}/v1/ws`);
    c.send({ op: 'ping', ref: 1 });
    expect(await c.next((f) => f.op === 'pong')).toEqual({ op: 'pong', ref: 1 });
    await c.close();
    detach();
    await spool.close();
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  });
});
