/**
 * How the client reports a server that refuses it or cannot be reached (docs/protocol.md
 * "Close codes"), in Node and in a browser-like environment alike.
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createConnection as connectNet, createServer as createNetServer } from 'node:net';
import { createManualClock, type ManualClock, type SpoolError } from '@spool/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONNECT_FAILED_AFTER } from '../src/connection';
import type { SpoolClientOptions } from '../src/options';
import { SpoolClient } from '../src/spool-client';
import { type FakeServer, startFakeServer, TestWebSocket, until, ws } from './fake-server';

let server: FakeServer;
let clock: ManualClock;
let delays: number[];
const clients: SpoolClient[] = [];
const LIVENESS = 10_000;
/** Node's `ws` shows the HTTP status of a refused upgrade; a browser's WebSocket (happy-dom here) does not. */
const seesHttpStatus = TestWebSocket === ws.WebSocket;

beforeEach(async () => {
  server = await startFakeServer();
  clock = createManualClock(1_000_000);
  delays = [];
  // Records every reconnect delay (the liveness timer is the only other timer).
  const setTimeout = clock.setTimeout.bind(clock);
  clock.setTimeout = (fn, ms) => {
    if (ms !== LIVENESS) delays.push(ms);
    return setTimeout(fn, ms);
  };
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.close();
});

function connect(
  options: SpoolClientOptions = {},
  url = server.url,
): { client: SpoolClient; errors: SpoolError[] } {
  const client = new SpoolClient(url, {
    WebSocket: TestWebSocket,
    clock,
    random: () => 0.5,
    livenessTimeoutMs: LIVENESS,
    backoff: { baseMs: 100, maxMs: 1000 },
    ...options,
  });
  clients.push(client);
  const errors: SpoolError[] = [];
  client.on('error', (e) => errors.push(e));
  return { client, errors };
}

describe('a server that closes with 4401', () => {
  it('reports UNAUTHENTICATED even with no reason, then retries with backoff and a fresh token', async () => {
    let asked = 0;
    const { client, errors } = connect({ getToken: () => `t${++asked}` });
    (await server.connection(0)).close(4401);
    await until(() => errors.length === 1, 'the error');
    expect(errors[0]).toMatchObject({ code: 'UNAUTHENTICATED', details: { close: 4401 } });
    expect(client.state).toBe('reconnecting');
    expect(delays).toEqual([50]); // 0.5 of the first ceiling, 100 ms

    await clock.advanceAsync(50);
    const second = await server.connection(1);
    expect(second.url).toBe('/v1/ws?access_token=t2');
    second.close(4401, 'TOKEN_EXPIRED');
    await until(() => errors.length === 2, 'the second error');
    expect(errors[1]).toMatchObject({ code: 'TOKEN_EXPIRED', details: { close: 4401 } });
    // The socket never carried a frame, so the backoff keeps growing.
    expect(delays).toEqual([50, 100]);

    await clock.advanceAsync(100);
    const third = await server.connection(2);
    expect(third.url).toBe('/v1/ws?access_token=t3');
    await until(() => client.state === 'open', 'open with the fresh token');
  });

  it('keeps requests queued across the refusals and sends them once a token gets in', async () => {
    const { client, errors } = connect({ token: 'tok-00001' });
    const pub = client.publish('t', { n: 1 });
    (await server.connection(0)).close(4401, 'UNAUTHENTICATED');
    await until(() => errors.length === 1, 'the error');
    await clock.advanceAsync(50);
    const conn = await server.connection(1);
    const f = await conn.next((x) => x.op === 'pub');
    conn.send({ op: 'ack', ref: f.ref, id: '1-0' });
    expect(await pub).toBe('1-0');
  });
});

describe('a server that closes with 4403', () => {
  it('reports FORBIDDEN and stops: closed, no retry, queued requests reject with it', async () => {
    const { client, errors } = connect({ token: 'tok-00001' });
    const states: string[] = [];
    client.on('state', (s) => states.push(s));
    const pub = client.publish('t', 1).catch((e: SpoolError) => e);
    (await server.connection(0)).close(4403, 'FORBIDDEN');
    await until(() => client.state === 'closed', 'closed');
    expect(errors.map((e) => [e.code, e.details])).toEqual([['FORBIDDEN', { close: 4403 }]]);
    expect(await pub).toBe(errors[0]);
    expect(states).toEqual(['open', 'closed']);
    expect(delays).toEqual([]);
    expect(clock.pending()).toBe(0);
    await expect(client.publish('t', 2)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('starts over on reconnect()', async () => {
    const { client } = connect();
    (await server.connection(0)).close(4403, 'FORBIDDEN');
    await until(() => client.state === 'closed', 'closed');
    client.reconnect();
    await server.connection(1);
    await until(() => client.state === 'open', 'open again');
    const conn = server.connections[1]!;
    const pub = client.publish('t', 3);
    const f = await conn.next((x) => x.op === 'pub');
    conn.send({ op: 'ack', ref: f.ref, id: '2-0' });
    expect(await pub).toBe('2-0');
  });
});

describe('attempts that never open', () => {
  let refusing: Server;
  let url: string;

  beforeEach(async () => {
    // Answers every upgrade with 404, as a wrong path does; a browser sees only a failure.
    refusing = createServer((_req, res) => res.writeHead(404).end());
    refusing.on('upgrade', (_req, socket) => {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(refusing.address() as AddressInfo).port}/`;
  });

  afterEach(async () => {
    refusing.closeAllConnections();
    await new Promise((resolve) => refusing.close(resolve));
  });

  it(`report CONNECT_FAILED after ${CONNECT_FAILED_AFTER} in a row and keep retrying with backoff`, async () => {
    await server.close();
    const { client, errors } = connect({}, server.url); // nothing listens there any more
    for (let i = 1; i <= CONNECT_FAILED_AFTER + 1; i++) {
      await until(() => delays.length === i, `attempt ${i}`);
      expect(errors.length).toBe(i < CONNECT_FAILED_AFTER ? 0 : 1);
      await clock.advanceAsync(delays[i - 1]!);
    }
    expect(errors[0]!.code).toBe('CONNECT_FAILED');
    expect(errors[0]!.message).toContain(server.url);
    expect(client.state).toBe('reconnecting');
    // Still backing off: 0.5 of 100, 200, 400, 800, then the 1000 cap.
    expect(delays).toEqual([50, 100, 200, 400, 500, 500]);
  });

  it('count only failures in a row: an attempt that opens starts the count over', async () => {
    // A gate in front of the server: shut, it drops each connection before the handshake.
    let shut = true;
    const gate = createNetServer((socket) => {
      if (shut) return socket.destroy();
      const upstream = connectNet(server.port, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
      socket.on('error', () => {});
      upstream.on('error', () => {});
    });
    await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
    try {
      const { client, errors } = connect({}, `ws://127.0.0.1:${(gate.address() as AddressInfo).port}/v1/ws`);
      // Each ended attempt schedules one retry delay: the n-th delay means n attempts ended.
      let ended = 0;
      const attemptEnds = () => until(() => delays.length >= ended, `attempt ${++ended} to end`);
      const retryNow = () => clock.advanceAsync(delays[ended - 1]!);
      for (let i = 1; i < CONNECT_FAILED_AFTER; i++) {
        if (i > 1) await retryNow();
        await attemptEnds();
      }
      shut = false;
      await retryNow();
      await until(() => client.state === 'open', 'open through the gate');
      shut = true;
      (await server.connection(0)).terminate();
      await attemptEnds(); // this one opened: it does not count
      for (let i = 1; i < CONNECT_FAILED_AFTER; i++) {
        await retryNow();
        await attemptEnds();
      }
      expect(errors).toEqual([]);
      await retryNow();
      await attemptEnds();
      expect(errors.map((e) => e.code)).toEqual(['CONNECT_FAILED']);
    } finally {
      await new Promise((resolve) => gate.close(resolve));
    }
  });

  it('a wrong path: the client says so instead of reconnecting forever in silence', async () => {
    const { client, errors } = connect({}, url);
    if (seesHttpStatus) {
      // Node's `ws` shows the 404: reported with the status, and the client stops.
      await until(() => client.state === 'closed', 'closed');
      expect(errors.map((e) => [e.code, e.details])).toEqual([['NOT_FOUND', { status: 404 }]]);
      expect(delays).toEqual([]);
    } else {
      // A browser sees only failures: reported once they are CONNECT_FAILED_AFTER in a row.
      for (let i = 0; i < CONNECT_FAILED_AFTER; i++) {
        await until(() => delays.length === i + 1, `attempt ${i + 1}`);
        await clock.advanceAsync(delays[i]!);
      }
      expect(errors.map((e) => e.code)).toEqual(['CONNECT_FAILED']);
      expect(client.state).not.toBe('closed');
    }
  });
});
