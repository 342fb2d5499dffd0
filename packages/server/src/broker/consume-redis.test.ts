import { consume } from '@spool/core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisBroker } from './redis-broker';
import { adminClient, deleteKeys, nextPrefix, runPrefix, TEST_REDIS_URL } from './redis-test-env';

const admin = adminClient();
const until = (check: () => void | Promise<void>) => vi.waitFor(check, { timeout: 10_000, interval: 5 });

describe('consume over RedisBroker (real Redis)', () => {
  let broker: RedisBroker;
  beforeAll(async () => {
    await admin.ping();
  });
  afterEach(async () => {
    await broker.close();
  });
  afterAll(async () => {
    await deleteKeys(admin, runPrefix);
    await admin.quit();
  });

  it('a consumer killed mid-batch loses nothing: its entries are claimed and handled by another', async () => {
    broker = new RedisBroker({ url: TEST_REDIS_URL, keyPrefix: nextPrefix(), poolSize: 8 });
    await broker.xgroupCreate('jobs', 'g', '0', { mkStream: true });
    for (let i = 1; i <= 20; i++) await broker.xadd('jobs', { n: String(i) });
    const batch = await broker.xreadgroup('g', 'doomed', [['jobs', '>']], { count: 10 });
    const taken = batch![0]!.entries.map((e) => e.id);
    await broker.xack('jobs', 'g', taken.slice(0, 4));
    const handled = new Set<string>();
    const worker = consume(broker, 'jobs', 'g', 'rescuer', (e) => void handled.add(e.id), {
      concurrency: 4,
      claimIdleMs: 200,
      blockMs: 100,
    });
    await until(() => expect(handled.size).toBe(16));
    for (const id of taken.slice(4)) expect(handled.has(id)).toBe(true);
    expect(await broker.xpending('jobs', 'g')).toMatchObject({ count: 0 });
    const stats = await worker.stop();
    expect(stats).toMatchObject({ processed: 16, failed: 0, claimed: 6 });
    expect(await broker.blockedOnServer()).toBe(0);
  });

  it('poison entries land in the dead-letter stream after maxDeliveries; the rest are processed', async () => {
    broker = new RedisBroker({ url: TEST_REDIS_URL, keyPrefix: nextPrefix(), poolSize: 8 });
    const worker = consume(
      broker,
      'jobs',
      'g',
      'w1',
      (e) => {
        if (e.fields['poison']) throw new Error(`bad payload ${e.fields['poison']}`);
      },
      { concurrency: 3, claimIdleMs: 100, blockMs: 50, maxDeliveries: 2 },
    );
    const poison = [await broker.xadd('jobs', { poison: 'a' }), await broker.xadd('jobs', { poison: 'b' })];
    for (let i = 0; i < 10; i++) await broker.xadd('jobs', { n: String(i) });
    await until(() => expect(worker.stats().deadLettered).toBe(2));
    const dead = await broker.xrange('jobs:dead', '-', '+');
    expect(dead.map((e) => e.fields!['dead.id']).sort()).toEqual([...poison].sort());
    for (const e of dead) {
      expect(e.fields).toMatchObject({ 'dead.deliveries': '2', 'dead.group': 'g', 'dead.key': 'jobs' });
      expect(e.fields!['dead.reason']).toBe(`bad payload ${e.fields!['poison']}`);
    }
    expect(await broker.xpending('jobs', 'g')).toMatchObject({ count: 0 });
    expect(await worker.stop()).toMatchObject({ processed: 10, failed: 4, deadLettered: 2 });
  });
});
