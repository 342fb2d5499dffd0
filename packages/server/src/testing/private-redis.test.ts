import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { PrivateRedis } from './private-redis';

describe('PrivateRedis', () => {
  it('pauses, crashes empty, restarts on its port and stops: the server README’s block', async () => {
    const redis = await PrivateRedis.start();
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    try {
      await client.set('k', 'v');
      const pausedAt = performance.now();
      await redis.pause(300); // CLIENT PAUSE 300 ALL
      expect(await client.get('k')).toBe('v');
      // The read waited for the pause to end: Redis's own timer, so no flakiness from load.
      expect(performance.now() - pausedAt).toBeGreaterThanOrEqual(250);

      await redis.stop({ kill: true }); // a crash: the data is gone
      await redis.restart(); // empty, on the same port
      expect(await client.get('k')).toBeNull();
    } finally {
      client.disconnect();
      await redis.stop();
    }
    const gone = new Redis(redis.url, { lazyConnect: true, retryStrategy: () => null });
    gone.on('error', () => {});
    await expect(gone.connect()).rejects.toThrow();
  });

  it('is what the server’s README shows, verbatim', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /```ts\n(import \{ PrivateRedis \}[\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const source = readFileSync(new URL(import.meta.url), 'utf8');
    // The README imports the package by name; this file imports its source.
    for (const line of block!.trimEnd().split('\n').slice(2)) expect(source).toContain(line);
  });
});
