/**
 * The Redis of the Redis benchmarks: a private `redis-server` on a free port (no
 * persistence), so command counts are the benchmark's alone, or the one
 * `SPOOL_BENCH_REDIS_URL` names; and its counters.
 */
import { PrivateRedis } from '@spool/server/testing';
import type { Redis } from 'ioredis';

/** A private redis-server on a free port, or the one SPOOL_BENCH_REDIS_URL names. */
export async function startRedis(): Promise<{ url: string; stop(): Promise<void>; shared: boolean }> {
  const given = process.env['SPOOL_BENCH_REDIS_URL'];
  if (given) return { url: given, stop: async () => {}, shared: true };
  const redis = await PrivateRedis.start();
  return { url: redis.url, shared: false, stop: () => redis.stop() };
}

/** Redis's CPU time so far (µs, user + system), from `INFO cpu`. */
export async function redisCpuUs(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0);
  const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
  return (user + sys) * 1e6;
}

/** Calls per command from `INFO commandstats` (all but INFO itself), summed. */
export async function commandCount(admin: Redis): Promise<number> {
  let n = 0;
  for (const m of (await admin.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    if (m[1] !== 'info') n += Number(m[2]);
  return n;
}
