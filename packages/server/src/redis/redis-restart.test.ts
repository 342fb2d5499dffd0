import { compareEventIds, type EventId, Topic } from '@spool/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateRedis } from '../testing/private-redis';
import { RedisTopicLog } from './redis-topic-log';

// Redis restarted empty, for real: a redis-server of this test's own on a free port (never
// the shared one) is shut down without saving and started again. The script cache is gone
// too, so the next call also exercises EVALSHA's fallback to EVAL.

let server: PrivateRedis;

beforeAll(async () => {
  server = await PrivateRedis.start();
});

afterAll(async () => {
  await server.stop({ kill: true });
});

function until(check: () => boolean, ms = 10_000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) resolve();
      else if (Date.now() - start > ms) reject(new Error('timed out waiting'));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

describe('RedisTopicLog when Redis restarts empty', () => {
  it('recreates the stream above its old life, gives subscribers a reset, and publishing goes on', async () => {
    const redis = new Redis({ port: server.port, enableAutoPipelining: true, retryStrategy: () => 50 });
    redis.on('error', () => {}); // reconnecting: reported by the calls that fail
    try {
      const log = await RedisTopicLog.open(redis, 'chan:1:restart', { keyPrefix: 'spool:' });
      const topic = new Topic('chan:1:restart', { log, retainUntilPersisted: 'messages' });
      const seen: string[] = [];
      topic.subscribe({
        onEvent: (ev) => seen.push(`ev ${ev.id}`),
        onReset: (earliest: EventId) => seen.push(`reset ${earliest}`),
      });
      const before = await topic.append('message', { n: 0 });
      await until(() => seen.length === 1);

      await server.stop();
      await server.restart();

      // The first call after the restart may fail while the client reconnects; a publisher retries.
      let after: Awaited<ReturnType<Topic['append']>> | undefined;
      for (let i = 0; i < 100 && !after; i++) {
        after = await topic.append('message', { n: 1 }).catch(() => undefined);
        if (!after) await new Promise((r) => setTimeout(r, 50));
      }
      expect(after).toBeDefined();
      await until(() => seen.includes(`ev ${after!.id}`));
      expect(seen).toEqual([`ev ${before.id}`, `reset ${after!.id}`, `ev ${after!.id}`]);
      expect(compareEventIds(log.creationFloor, before.id)).toBeGreaterThanOrEqual(0);
      expect(compareEventIds(after!.id, before.id)).toBeGreaterThan(0);
      const page = await log.read(before.id, 10);
      expect(page.holdsAfter).toBe(false);
      expect(page.floor).toBe(log.creationFloor);
      expect(page.events.map((ev) => ev.id)).toEqual([after!.id]);
      await topic.close();
    } finally {
      redis.disconnect();
    }
  });
});
