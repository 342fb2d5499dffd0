import { SpoolError } from '@spool/core';

/** The Redis engine entry's module (`@spool/server/redis`). */
export type RedisEngine = typeof import('../redis');

/**
 * Loads the Redis engine entry, only when Redis is configured: `ioredis` is an optional
 * peer dependency, so memory mode runs without it (docs/architecture.md, "Engines as entries").
 *
 * @throws SpoolError `INVALID_OPTION` when the driver is not installed
 */
export async function loadRedisEngine(): Promise<RedisEngine> {
  try {
    return await import('../redis');
  } catch (cause) {
    throw new SpoolError(
      'INVALID_OPTION',
      'SPOOL_REDIS_URL is set, but the Redis engine cannot load: install its driver next to @spool/server (npm install ioredis@6).',
      { cause },
    );
  }
}
