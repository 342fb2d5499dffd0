import { createManualClock } from '@spool/core';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { wsTransportOf } from '../node/ws-transport';
import { createSpoolInstance } from '../spool';
import { serverFixture, startServer, type TestServer } from './helpers';

const fixture = serverFixture();
const client = fixture.client;
let server: TestServer | undefined;

/** A bystander keeps working while another client misbehaves. */
async function stillServes(): Promise<void> {
  const c = await client();
  c.send({ op: 'sub', topic: 'ok' });
  await c.next((f) => f.op === 'subok');
  await server!.spool.publish('ok', 'fine');
  expect((await c.events('ok', 1))[0]!.data).toBe('fine');
}

describe('bad input on the WebSocket', () => {
  it('answers each bad frame with its code, keeps the ref when readable, and closes 1007 after repeated garbage', async () => {
    server = fixture.track(await startServer({ ws: { maxBadFrames: 3 } }));
    const c = await client();
    c.send('{not json');
    expect(await c.next((f) => f.op === 'err')).toMatchObject({ code: 'BAD_FRAME' });
    c.send({ op: 'teleport', ref: 5 });
    expect(await c.next((f) => f.op === 'err')).toMatchObject({ code: 'UNKNOWN_OP', ref: 5 });
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await c.next((f) => f.op === 'err')).toMatchObject({ code: 'BAD_FRAME' });
    expect((await c.closed).code).toBe(1007);
    await stillServes();
  });

  it('closes with 1008 after repeated invalid messages', async () => {
    server = fixture.track(await startServer({ ws: { maxBadFrames: 2 } }));
    const c = await client();
    c.send({ op: 'sub' });
    expect(await c.next((f) => f.op === 'err')).toMatchObject({ code: 'INVALID_MESSAGE' });
    c.send({ op: 'sub', topic: 't', after: 'yesterday' });
    expect(await c.next((f) => f.op === 'err')).toMatchObject({ code: 'INVALID_MESSAGE', topic: 't' });
    expect((await c.closed).code).toBe(1008);
    await stillServes();
  });

  it('closes with 1009 on a frame over the size limit', async () => {
    server = fixture.track(await startServer({ ws: { maxFrameBytes: 1024 } }));
    const c = await client();
    c.send({ op: 'pub', ref: 1, topic: 't', data: 'x'.repeat(2048) });
    expect((await c.closed).code).toBe(1009);
    await stillServes();
  });

  it('enforces one subscription per topic and the subscription limit', async () => {
    server = fixture.track(await startServer({ ws: { maxSubscriptions: 2 } }));
    const c = await client();
    c.send({ op: 'sub', topic: 'a' });
    c.send({ op: 'sub', topic: 'a' });
    expect(await c.next((f) => f.op === 'err')).toMatchObject({ code: 'ALREADY_SUBSCRIBED' });
    c.send({ op: 'sub', topic: 'b' });
    c.send({ op: 'sub', topic: 'c' });
    expect(await c.next((f) => f.op === 'err')).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS' });
    c.send({ op: 'unsub', topic: 'zzz' });
    expect(await c.next((f) => f.op === 'err')).toMatchObject({ code: 'NOT_SUBSCRIBED', topic: 'zzz' });
    c.send({ op: 'credit', topic: 'zzz', n: 5 });
    expect(await c.next((f) => f.op === 'err')).toMatchObject({ code: 'NOT_SUBSCRIBED' });
    c.send({ op: 'unsub', topic: 'a' });
    c.send({ op: 'sub', topic: 'c' });
    expect(await c.next((f) => f.op === 'subok' && f.topic === 'c')).toBeTruthy();
    c.send({ op: 'unsub', topic: 'c' });
    c.send({ op: 'sub', topic: 'bad topic\n' });
    expect(await c.next((f) => f.op === 'err')).toMatchObject({ code: 'INVALID_TOPIC' });
  });

  it('limits the publish rate per connection', async () => {
    server = fixture.track(await startServer({ ws: { publishRatePerSec: 1, publishBurst: 2 } }));
    const c = await client();
    const codes = [];
    for (let i = 0; i < 3; i++)
      codes.push((await c.request({ op: 'pub', topic: 't', data: i })).op === 'ack' ? 'ack' : 'err');
    expect(codes).toEqual(['ack', 'ack', 'err']);
    const other = await client();
    expect((await other.request({ op: 'pub', topic: 't', data: 'x' })).op).toBe('ack');
  });

  it('applies a retried publish with the same idempotency key once', async () => {
    server = fixture.track(await startServer());
    const watcher = await client();
    watcher.send({ op: 'sub', topic: 'pay' });
    await watcher.next((f) => f.op === 'subok');
    const c = await client();
    const first = await c.request({ op: 'pub', topic: 'pay', data: { amount: 5 }, key: 'order-17' });
    const retry = await c.request({ op: 'pub', topic: 'pay', data: { amount: 5 }, key: 'order-17' });
    expect(retry.id).toBe(first.id);
    await server.spool.publish('pay', 'after');
    expect((await watcher.events('pay', 2)).map((f) => f.data)).toEqual([{ amount: 5 }, 'after']);
  });

  it('answers ping with pong, and sends the heartbeat and ws pings', async () => {
    server = fixture.track(await startServer({ ws: { heartbeatIntervalMs: 50 } }));
    const c = await client();
    const pinged = new Promise<void>((r) => c.ws.once('ping', () => r()));
    c.send({ op: 'ping', ref: 9 });
    expect(await c.next((f) => f.op === 'pong')).toEqual({ op: 'pong', ref: 9 });
    expect(await c.next((f) => f.op === 'hb')).toEqual({ op: 'hb' });
    await pinged;
  });

  it('terminates a peer that stops answering pings', async () => {
    server = fixture.track(await startServer({ ws: { heartbeatIntervalMs: 50 } }));
    const c = await client();
    const [connection] = wsTransportOf(server.spool).connections;
    const gone = new Promise<void>((r) => connection!.ws.once('close', () => r()));
    // The peer stops reading: it never sees the pings, so it never answers them.
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await gone;
    expect(wsTransportOf(server.spool).connections.size).toBe(0);
    (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await c.closed;
  });

  it('keeps a peer that answers the pings across several sweeps', async () => {
    server = fixture.track(await startServer({ ws: { heartbeatIntervalMs: 20 } }));
    const c = await client();
    // The ws client answers every ping with a pong by itself; three pings are three sweeps.
    let pings = 0;
    await new Promise<void>((resolve) =>
      c.ws.on('ping', () => {
        if (++pings === 3) resolve();
      }),
    );
    expect(wsTransportOf(server.spool).connections.size).toBe(1);
    c.send({ op: 'ping', ref: 1 });
    expect(await c.next((f) => f.op === 'pong')).toEqual({ op: 'pong', ref: 1 });
  });

  it('leaves no timer behind once closed: the sweep stops with the server', async () => {
    const clock = createManualClock(0);
    const spool = createSpoolInstance({ clock });
    expect(clock.pending()).toBeGreaterThan(0);
    await spool.close();
    expect(clock.pending()).toBe(0);
  });

  it('refuses a client that offers subprotocols but not spool.v1', async () => {
    server = fixture.track(await startServer());
    const ws = new WebSocket(server.wsUrl, ['chat.v2']);
    ws.on('error', () => {});
    const upgrade = await new Promise<{ headers: Record<string, unknown> }>((resolve) =>
      ws.once('upgrade', resolve),
    );
    expect(upgrade.headers['sec-websocket-protocol']).toBeUndefined();
    await new Promise((resolve) => ws.once('close', resolve));
    await stillServes();
  });
});
