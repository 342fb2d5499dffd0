import { SpoolError } from '@spool/core';
import type { RedisOptions } from 'ioredis';

/** ioredis connection options from a `redis://` or `rediss://` URL. */
export function parseRedisUrl(url: string): RedisOptions {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new SpoolError(
      'INVALID_OPTION',
      `\`url\` must be a redis:// or rediss:// URL, got ${JSON.stringify(url)}.`,
    );
  }
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db !== undefined && Number.isInteger(db) ? { db } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}
