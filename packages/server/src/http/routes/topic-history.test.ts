import type { AddressInfo } from 'node:net';
import { type EventId, MemoryTopicLog, type TopicLogPage } from '@spool/core';
import { afterEach, describe, expect, it } from 'vitest';
import { listen } from '../../node/attach';
import { createSpoolInstance, type SpoolInstance } from '../../spool';

/** A memory log that counts the events handed to readers, so a test sees how far the server read ahead. */
class CountingLog extends MemoryTopicLog {
  eventsRead = 0;
  override async read(after: EventId, limit: number): Promise<TopicLogPage> {
    const page = await super.read(after, limit);
    this.eventsRead += page.events.length;
    return page;
  }
}

const EVENTS = 20_000;
const filler = 'x'.repeat(1000);

let spool: SpoolInstance | undefined;
let closeServer: (() => Promise<void>) | undefined;
afterEach(async () => {
  await closeServer?.();
  await spool?.close();
  spool = closeServer = undefined;
});

/** Lets every pending promise and stream pull run (no timer: nothing here waits on time). */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

async function bigTopic(): Promise<{ spool: SpoolInstance; log: () => CountingLog }> {
  let log: CountingLog | undefined;
  const s = createSpoolInstance({
    topics: {
      retention: { maxEvents: EVENTS * 2, maxBytes: 256 * 2 ** 20 },
      createLog: (name, clock) => {
        const made = new CountingLog({ clock });
        if (name === 'big') log = made;
        return made;
      },
    },
  });
  for (let i = 0; i < EVENTS; i++) await s.publish('big', { i, filler }, { event: 'row' });
  return { spool: s, log: () => log! };
}

describe('history of a large topic', () => {
  it('is read from the log only as fast as the client reads: never buffered whole', async () => {
    const made = await bigTopic();
    spool = made.spool;
    const res = await spool.fetch(new Request('http://localhost/v1/topics/big/history'));
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    await settle();
    // The client took one chunk (~32 KiB) and stopped: the server read at most a couple of log
    // pages (256 events each) ahead, not the 20,000 events (~20 MB) of the topic.
    const readAhead = made.log().eventsRead;
    expect(readAhead).toBeGreaterThan(0);
    expect(readAhead).toBeLessThanOrEqual(3 * 256);

    // Reading on delivers every event, in order, as one valid JSON array.
    const decoder = new TextDecoder();
    let text = decoder.decode(first.value, { stream: true });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    text += decoder.decode();
    const items = JSON.parse(text) as Array<{ id: string; data: { i: number } }>;
    expect(items).toHaveLength(EVENTS);
    expect(items.every((item, i) => item.data.i === i)).toBe(true);
    expect(made.log().eventsRead).toBe(EVENTS);
  });

  it('stops reading the log when the client goes away mid-stream, over a real socket', async () => {
    const made = await bigTopic();
    spool = made.spool;
    const { server } = await listen(spool, { host: '127.0.0.1', port: 0 });
    closeServer = () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    const port = (server.address() as AddressInfo).port;
    // Resolves when the server sees the response's socket close (what cancels the pipeline).
    const serverSawClose = new Promise<void>((resolve) => {
      server.on('request', (_req, res) => res.once('close', () => resolve()));
    });
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/v1/topics/big/history`, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.cancel().catch(() => {});
    await serverSawClose;
    await settle();
    const stopped = made.log().eventsRead;
    await settle();
    expect(made.log().eventsRead).toBe(stopped);
    expect(stopped).toBeLessThan(EVENTS);
  });
});
