import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll } from 'vitest';

/**
 * Test support for the real Redis at 127.0.0.1:6379 (SPOOL_TEST_REDIS_URL overrides it):
 * a unique key prefix per run, and removal of every key under it afterwards.
 */
export const TEST_REDIS_URL = process.env['SPOOL_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const runPrefix = `spool-test:${randomUUID()}:`;

let counter = 0;
/** A fresh prefix under this run's. */
export function nextPrefix(): string {
  counter++;
  return `${runPrefix}${counter}:`;
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(admin: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await admin.del(...keys);
  } while (cursor !== '0');
}

/** An admin connection that fails at once (no offline queue) when Redis is down. */
export function adminClient(): Redis {
  return new Redis(TEST_REDIS_URL, { protocol: 2, maxRetriesPerRequest: 1, enableOfflineQueue: true });
}

/**
 * A test file's Redis connections: `redis` (auto-pipelining, as Spool connects) and an
 * `admin` one; after the file's tests every key of this run is deleted and both disconnect.
 */
export function redisTestClients(options: RedisOptions = {}): { redis: Redis; admin: Redis } {
  const redis = new Redis(TEST_REDIS_URL, {
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    ...options,
  });
  const admin = adminClient();
  afterAll(async () => {
    await deleteKeys(admin, runPrefix);
    redis.disconnect();
    admin.disconnect();
  });
  return { redis, admin };
}
