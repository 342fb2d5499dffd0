import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { listen } from '../node/attach';
import { wsTransportOf } from '../node/ws-transport';
import { createSpoolInstance, type SpoolInstance } from '../spool';
import { closeCodeOf, DATA_OPCODES, OPCODE_CLOSE, RawWsClient } from './raw-ws';

// RFC 6455 §5.5.1: after sending a Close frame, an endpoint must not send any more data
// frames. ws writes the Close frame itself when the peer breaks the protocol (1009, 1007)
// and when it answers the peer's own Close frame.
// When the socket is backed up (a client that reads slowly), that Close frame waits in the
// socket's buffer and ws only ends the socket once it is flushed: a batched write of data
// frames in between would land on the wire after it.

let spool: SpoolInstance | undefined;
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  spool = close = undefined;
});

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function start(): Promise<number> {
  spool = createSpoolInstance({ ws: { maxFrameBytes: 1024, maxQueuedBytes: 64 * 1024 * 1024 } });
  const server = await listen(spool, { port: 0 });
  close = server.close;
  return (server.server.address() as AddressInfo).port;
}

/** Publishes one 8 KiB event on `topic` every event-loop turn until stopped. */
function publishEveryTurn(s: SpoolInstance, topic: string): { stop(): void; count(): number } {
  let running = true;
  let i = 0;
  const pad = 'x'.repeat(8 * 1024);
  const tick = () => {
    if (!running) return;
    void s.publish(topic, { i: i++, pad });
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop: () => {
      running = false;
    },
    count: () => i,
  };
}

function serverSocket(s: SpoolInstance): WebSocket {
  const [connection] = wsTransportOf(s).connections;
  if (!connection) throw new Error('no connection');
  return connection.ws;
}

async function closeWhileBackedUp(closeFromClient: (c: RawWsClient) => void): Promise<RawWsClient> {
  const port = await start();
  const client = await RawWsClient.connect(port);
  client.sendJson({ op: 'sub', topic: 'busy', credit: 16_384 });
  const publisher = publishEveryTurn(spool!, 'busy');
  try {
    await client.until(() => client.texts().some((t) => t.op === 'ev'));
    const ws = serverSocket(spool!);
    const [connection] = wsTransportOf(spool!).connections;
    // The client stops reading until the server's socket has a backlog of its own.
    client.pauseReading();
    while (connection!.queue.queuedBytes < 512 * 1024) await turn();
    closeFromClient(client);
    while (ws.readyState === ws.OPEN) await turn(); // ws has written its Close frame (into the backlog)
    const from = publisher.count();
    while (publisher.count() < from + 10) await turn(); // ten more batched flushes are due
    publisher.stop();
    client.resumeReading();
    await client.until((frames) => frames.some((f) => f.opcode === OPCODE_CLOSE));
    const closeFrame = client.frames.find((f) => f.opcode === OPCODE_CLOSE)!;
    client.closeBack(closeCodeOf(closeFrame));
    await client.ended;
  } finally {
    publisher.stop();
  }
  return client;
}

function closeCode(client: RawWsClient): number {
  return closeCodeOf(client.frames.find((f) => f.opcode === OPCODE_CLOSE)!);
}

function dataFramesAfterClose(client: RawWsClient): number {
  const at = client.frames.findIndex((f) => f.opcode === OPCODE_CLOSE);
  return client.frames.slice(at + 1).filter((f) => DATA_OPCODES.has(f.opcode)).length;
}

describe('the WebSocket adapter after a close frame', () => {
  it('writes no data frame after ws closes with 1009 (oversized message), even with a backlog', async () => {
    const client = await closeWhileBackedUp((c) => c.sendHeaderOnly(0x1, 1024 * 1024));
    expect(closeCode(client)).toBe(1009);
    expect(client.texts().filter((t) => t.op === 'ev').length).toBeGreaterThan(0);
    expect(dataFramesAfterClose(client)).toBe(0);
  });

  it('writes no data frame after ws closes with 1007 (invalid UTF-8), even with a backlog', async () => {
    const client = await closeWhileBackedUp((c) => c.sendFrame(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])));
    expect(closeCode(client)).toBe(1007);
    expect(client.texts().filter((t) => t.op === 'ev').length).toBeGreaterThan(0);
    expect(dataFramesAfterClose(client)).toBe(0);
  });

  it("writes no data frame after answering the peer's own Close frame, even with a backlog", async () => {
    const client = await closeWhileBackedUp((c) => c.sendFrame(OPCODE_CLOSE, Buffer.from([0x03, 0xe8])));
    expect(closeCode(client)).toBe(1000);
    expect(client.texts().filter((t) => t.op === 'ev').length).toBeGreaterThan(0);
    expect(dataFramesAfterClose(client)).toBe(0);
  });

  it('releases the subscriptions as soon as ws has closed, without waiting for the TCP close', async () => {
    const port = await start();
    const client = await RawWsClient.connect(port);
    client.sendJson({ op: 'sub', topic: 't', credit: 16 });
    await client.until(() => client.texts().some((t) => t.op === 'subok'));
    expect(wsTransportOf(spool!).connections.size).toBe(1);
    const errored = new Promise<void>((resolve) => serverSocket(spool!).once('error', () => resolve()));
    client.sendHeaderOnly(0x1, 1024 * 1024);
    await errored;
    // The peer has not answered the Close frame: the connection is released all the same.
    expect(wsTransportOf(spool!).connections.size).toBe(0);
    expect(spool!.topics.get('t')?.stats().subscribers).toBe(0);
    client.destroy();
  });
});
