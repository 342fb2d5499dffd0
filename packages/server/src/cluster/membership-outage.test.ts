import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateRedis } from '../testing/private-redis';
import type { InstanceRef } from './membership';
import { RedisMembership, type RedisMembershipOptions } from './redis-membership';

// Redis paused past the TTL, and Redis restarted empty, for real: a redis-server of this
// test's own on a free port (never the shared one). docs/architecture.md, "Instances and
// incarnations", says what membership does then; these tests hold it to that.

let redis: PrivateRedis;
const members: RedisMembership[] = [];

beforeAll(async () => {
  redis = await PrivateRedis.start();
});
afterAll(async () => {
  await Promise.all(members.map((m) => m.close()));
  await redis.stop({ kill: true });
});

async function member(instanceId: string, evicted: string[] = [], options: RedisMembershipOptions = {}) {
  const m = await RedisMembership.start({
    url: redis.url,
    keyPrefix: 'outage:',
    ttlMs: 600,
    instanceId,
    onEvicted: (why) => evicted.push(why),
    ...options,
  });
  members.push(m);
  return m;
}

describe('RedisMembership when Redis fails', () => {
  it('paused past the TTL: every incarnation is evicted (expired) and joins again as a new one; the old ones are claimed', async () => {
    const evicted: string[] = [];
    const a = await member('a', evicted);
    const b = await member('b', evicted);
    const old = [a.self.incarnation, b.self.incarnation];
    redis.process.kill('SIGSTOP');
    // Longer than the TTL on Redis's clock, which runs on while the server is stopped.
    await new Promise((r) => setTimeout(r, 1_200));
    redis.process.kill('SIGCONT');
    await expect.poll(() => evicted, { timeout: 10_000 }).toEqual(['expired', 'expired']);
    await expect
      .poll(() => [a.self.incarnation, b.self.incarnation].filter((i) => !old.includes(i)).length)
      .toBe(2);
    const c = await member('c');
    const dead: InstanceRef[] = [];
    c.onIncarnationDead((d) => dead.push(d));
    await c.tick();
    expect(dead.map((d) => d.incarnation).sort()).toEqual([...old].sort());
    expect(await c.claimTakeover(old[0]!)).toEqual({ won: true });
    expect(await c.claimTakeover(old[1]!)).toEqual({ won: true });
    expect((await c.instances()).map((i) => [i.instanceId, i.incarnation])).toEqual([
      ['a', a.self.incarnation],
      ['b', b.self.incarnation],
      ['c', c.self.incarnation],
    ]);
  });

  it('restarted empty: every incarnation finds its record gone, is evicted (removed) and joins again', async () => {
    const evicted: string[] = [];
    await member('d', evicted);
    await redis.stop({ kill: true });
    await redis.restart();
    await expect.poll(() => evicted, { timeout: 10_000 }).toEqual(['removed']);
    // Every member (a to c of the test before too) joins the empty Redis again, and a new start at once.
    const e = await member('e');
    await expect
      .poll(async () => (await e.instances()).map((i) => i.instanceId))
      .toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
