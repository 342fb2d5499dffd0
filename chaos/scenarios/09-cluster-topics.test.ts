/**
 * Scenario 9: three `spool serve` processes on one Redis (`SPOOL_REDIS_URL`), each with its
 * own clients: topics live on Redis and every instance fans out the others' events
 * (docs/architecture.md, "Topics across instances").
 * - Exact text across instances: a reply produced on A with the SDK, and events POSTed on
 *   A, reach the SDK over WebSocket on B and SSE (the SDK's and the `eventsource`
 *   package's) on C, exactly, in order, once.
 * - A subscriber that leaves B resumes on C with `Last-Event-ID` and gets every event once.
 * - Redis restarted empty (a redis-server of the scenario's own, never the shared one):
 *   every subscriber gets a `reset`, none is skipped ahead silently, and publishing goes
 *   on without restarting Spool.
 */
import { randomUUID } from 'node:crypto';
import { channelTopic } from '@spool/core';
import { PrivateRedis } from '@spool/server/testing';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { type CheckedClient, checkedClient, sdkClient, until } from '../src/clients';
import { report } from '../src/figures';
import { profile } from '../src/profile';
import { announce, cleanupAfterEach } from '../src/scenario';
import { type SpoolProcess, startSpool } from '../src/spool-process';
import { eventSourceTape, mustPublish, publish, sdkTape, strictlyIncreasing } from '../src/topic-tapes';
import { produceReply } from '../src/workload';

const SHARED_REDIS = process.env['SPOOL_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const cleanup = cleanupAfterEach();

async function cluster(n: number, url: string, prefix: string): Promise<SpoolProcess[]> {
  const env = { SPOOL_REDIS_URL: url, SPOOL_REDIS_PREFIX: prefix, SPOOL_SSE_RETRY_MS: '5' };
  return Promise.all(Array.from({ length: n }, () => startSpool(env)));
}

/** Every key under `prefix` on the shared Redis, removed. */
async function deleteKeys(prefix: string): Promise<void> {
  const admin = new Redis(SHARED_REDIS, { maxRetriesPerRequest: 1 });
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await admin.del(...keys);
  } while (cursor !== '0');
  admin.disconnect();
}

describe('scenario 9: topics across instances on one Redis', () => {
  it('exact text across instances: produced and published on A, read on B (WebSocket) and C (SSE)', async () => {
    const { seed, stream } = announce(9, 'three instances, exact text');
    const random = stream(0);
    const prefix = `spool-chaos:${randomUUID()}:`;
    cleanup.push(() => deleteKeys(prefix));
    const [a, b, c] = await cluster(3, SHARED_REDIS, prefix);
    const CHANNEL = 'cluster';
    const chat = channelTopic(1, CHANNEL);
    const readers: CheckedClient[] = [
      checkedClient('sdk-ws', b!.port, chat, 'B sdk-ws'),
      checkedClient('sdk-sse', c!.port, chat, 'C sdk-sse'),
      checkedClient('eventsource', c!.port, chat, 'C eventsource'),
    ];
    for (const r of readers) cleanup.push(() => r.close());
    const onB = sdkTape(b!.port, 'news', '0-0');
    const onC = eventSourceTape(c!.url, 'news', '0-0');
    cleanup.push(
      () => onB.close(),
      () => onC.close(),
    );
    await until(() => readers.every((r) => r.isOpen()), 'every reader connected');

    const producer = sdkClient(`ws://127.0.0.1:${a!.port}/v1/ws`);
    cleanup.push(() => producer.close());
    const [reply, published] = await Promise.all([
      produceReply(producer, CHANNEL, Math.floor(profile.cutChunks / 4), random, { inFlight: 16 }),
      (async () => {
        const ids: string[] = [];
        for (let n = 0; n < 200; n++)
          ids.push(await mustPublish(a!.url, 'news', { n, text: `évènement ${n} 😀` }));
        return ids;
      })(),
    ]);
    await until(
      () => readers.every((r) => r.check.ended(reply.messageId)),
      'the reply ended on every reader',
    );
    await until(
      () => onB.tape.entries.length >= published.length && onC.tape.entries.length >= published.length,
      'every published event on B and C',
    );
    for (const r of readers) r.check.verify(reply);
    for (const r of readers) expect(r.check.violations).toEqual([]);
    for (const r of readers) expect(r.check.resets).toBe(0);
    for (const t of [onB.tape, onC.tape]) {
      expect(t.entries).toEqual(published);
      expect(published.map((id) => t.data.get(id))).toEqual(
        published.map((_, n) => ({ n, text: `évènement ${n} 😀` })),
      );
    }

    // A subscriber leaves B and resumes on C from its last event: each event once, in order.
    // A resume from the last event: whatever is published before it subscribes, it catches up.
    const leaving = sdkTape(b!.port, 'news', published.at(-1)!);
    const more: string[] = [];
    for (let n = 0; n < 20; n++) more.push(await mustPublish(a!.url, 'news', { n: 200 + n }));
    await until(() => leaving.tape.entries.length >= 10, 'ten live events on B');
    leaving.close();
    const seenOnB = [...leaving.tape.entries];
    for (let n = 0; n < 20; n++) more.push(await mustPublish(a!.url, 'news', { n: 220 + n }));
    const resumed = eventSourceTape(c!.url, 'news', seenOnB.at(-1)!);
    cleanup.push(() => resumed.close());
    await until(() => seenOnB.length + resumed.tape.entries.length >= more.length, 'the rest on C');
    expect([...seenOnB, ...resumed.tape.entries]).toEqual(more);

    report({
      scenario: '09-cluster-topics exact text',
      seed,
      profile: profile.name,
      instances: 3,
      replyChunks: reply.chunks.length,
      published: published.length + more.length,
      readers: readers.length + 2,
      mismatches: readers.reduce((s, r) => s + r.check.violations.length, 0),
    });
  });

  it('Redis restarted empty: every subscriber gets a reset, none skips ahead, publishing goes on', async () => {
    const { seed } = announce(9, 'Redis restarted empty under two instances');
    const redis = await PrivateRedis.start();
    cleanup.push(() => redis.stop());
    const prefix = 'spool-chaos:';
    const [a, b] = await cluster(2, redis.url, prefix);
    const subscribers = [
      sdkTape(b!.port, 'news', '0-0'),
      eventSourceTape(b!.url, 'news', '0-0'),
      sdkTape(a!.port, 'news', '0-0'),
    ];
    for (const s of subscribers) cleanup.push(() => s.close());
    const before: string[] = [];
    for (let n = 0; n < 5; n++) before.push(await mustPublish(a!.url, 'news', { n }));
    await until(() => subscribers.every((s) => s.tape.entries.length >= 5), 'the first events everywhere');

    await redis.stop({ kill: true });
    await redis.restart();
    // Publishing comes back by itself: the same processes, a new life of the stream.
    const after: string[] = [];
    const start = Date.now();
    while (after.length === 0) {
      const { status, id } = await publish(a!.url, 'news', { n: 5 });
      if (status === 201 && id) after.push(id);
      else if (Date.now() - start > 30_000)
        throw new Error(`publishing never came back (last status ${status})`);
      else await new Promise((r) => setTimeout(r, 50));
    }
    for (let n = 6; n < 10; n++) after.push(await mustPublish(a!.url, 'news', { n }));
    await until(
      () => subscribers.every((s) => after.every((id) => s.tape.entries.includes(id))),
      'the new events everywhere',
    );
    for (const { tape: t } of subscribers) {
      const firstReset = t.entries.findIndex((e) => e.startsWith('reset '));
      // The old life in order, then a reset before anything of the new one.
      expect(t.entries.slice(0, 5)).toEqual(before);
      expect(firstReset).toBe(5);
      const lastReset = t.entries.findLastIndex((e) => e.startsWith('reset '));
      expect(t.entries.slice(lastReset + 1)).toEqual(after);
      expect(strictlyIncreasing(t.ids().slice(0, 5))).toBe(true);
    }
    report({
      scenario: '09-cluster-topics Redis restarted empty',
      seed,
      profile: profile.name,
      instances: 2,
      subscribers: subscribers.length,
      resets: subscribers.map((s) => s.tape.entries.filter((e) => e.startsWith('reset ')).length),
    });
  });
});
