import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { wsTransportOf } from '../node/ws-transport';
import { startServer, TestClient, type TestServer } from './helpers';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap plus Buffers (frames are Buffers, outside the JS heap), after a full GC. */
function memory(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

let server: TestServer | undefined;
let client: TestClient | undefined;
afterEach(async () => {
  client?.ws.terminate(); // its socket may still be paused: do not wait for a close handshake
  await server?.close();
  server = client = undefined;
});

const MB = 2 ** 20;
const EVENTS = 200_000; // × ~1.1 KB of JSON each: over 200 MiB
const CONTROL_EVENTS = EVENTS / 4;
const PAD = 'x'.repeat(1100);

async function publishAll(topic: string, count: number, onBatch?: () => void): Promise<void> {
  for (let i = 0; i < count; i++) {
    const p = server!.spool.publish(topic, { i, pad: PAD });
    // Yield each 500 events so the server's flushes run as they would under real load.
    if (i % 500 === 499) {
      await p;
      await new Promise<void>((r) => setImmediate(r));
      onBatch?.();
    }
  }
}

describe('a slow consumer', () => {
  it('is paused, told lag and cut back to catchup; memory stays bounded; after it resumes it has every event', async () => {
    const maxQueuedBytes = MB;
    server = await startServer({
      // Retention holds the whole run, so "every event" stays recoverable from the log.
      topics: { retention: { maxEvents: 2 * EVENTS, maxBytes: 1024 * MB, maxAgeMs: 10 * 60_000 } },
      ws: { maxQueuedBytes, maxCredit: 16_384, heartbeatIntervalMs: 10 * 60_000 },
    });
    // The control: what the log alone costs per event, on a topic nobody reads (a quarter
    // of the volume, scaled: every event has the same shape).
    const base = memory();
    await publishAll('control', CONTROL_EVENTS);
    const control = ((memory() - base) * EVENTS) / CONTROL_EVENTS;

    client = await TestClient.connect(server.wsUrl);
    client.send({ op: 'sub', topic: 'firehose', credit: 16_384 });
    await client.next((f) => f.op === 'subok');
    // The client stops reading at the TCP level.
    const socket = (client.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();

    const before = memory();
    let maxQueued = 0;
    await publishAll('firehose', EVENTS, () => {
      for (const h of wsTransportOf(server!.spool).health()) maxQueued = Math.max(maxQueued, h.queuedBytes);
    });
    const grown = memory() - before;
    const stats = await server.spool.stats();
    const retained = stats.topics.list.find((t) => t.name === 'firehose')!.retainedBytes;
    expect(retained).toBeGreaterThan(200 * MB);

    // The lagging path was taken...
    const [connection] = wsTransportOf(server.spool).connections;
    const sub = (
      connection as unknown as { subs: Map<string, { lagCount: number; lagging: boolean }> }
    ).subs.get('firehose')!;
    expect(sub.lagCount).toBeGreaterThanOrEqual(1);
    expect(stats.connections.lagging).toBe(1);
    expect(stats.connectionHealth[0]).toMatchObject({ lagging: true, healthy: false });
    // ...the send queue never passed its bound (plus the one event that crossed it)...
    expect(maxQueued).toBeLessThanOrEqual(maxQueuedBytes + 2048);
    // ...and the server holds the log and little else: an unbounded queue would add 200 MB.
    expect(grown - control).toBeLessThan(48 * MB);

    // The client reads again and gets every event, in order, exactly once.
    let received = 0;
    let lagged = false;
    let lastId = '0-0';
    let sinceCredit = 0;
    const done = new Promise<void>((resolve, reject) => {
      client!.ws.on('message', (raw: Buffer) => {
        const f = JSON.parse(raw.toString()) as { op: string; id: string; data: { i: number } };
        if (f.op === 'lag') lagged = true;
        if (f.op !== 'ev') return;
        if (f.data.i !== received)
          reject(new Error(`expected event ${received}, got ${f.data.i} (${f.id} after ${lastId})`));
        lastId = f.id;
        received++;
        if (++sinceCredit === 4096) {
          sinceCredit = 0;
          client!.send({ op: 'credit', topic: 'firehose', n: 4096 });
        }
        if (received === EVENTS) resolve();
      });
    });
    socket.resume();
    await done;
    expect(lagged).toBe(true);
    expect(received).toBe(EVENTS);
  }, 120_000);
});
