import { COMPLETED_STREAM } from '@spool/core';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisBroker } from '../broker/redis-broker';
import { adminClient, deleteKeys, nextPrefix, runPrefix, TEST_REDIS_URL } from '../broker/redis-test-env';

import { createSpoolInstance, type SpoolInstance } from '../spool';
import { DEMO_GROUP, type DemoWorkers, startDemoWorkers } from './demo-workers';

// The demo workers of several instances in one consumer group on the real Redis
// (docs/architecture.md, "The demo in a cluster"): each instance's consumers are its own.

const admin = adminClient();
afterAll(async () => {
  await deleteKeys(admin, runPrefix);
  admin.disconnect();
});

const sure = { poisonRate: 0, transientFailureRate: 0, maxDeliveries: 3 } as const;

describe('demo workers of two instances in one group', () => {
  it('never run an entry another live instance is working on, and leave no consumer behind when stopped', async () => {
    const prefix = nextPrefix();
    const broker = new RedisBroker({ url: TEST_REDIS_URL, keyPrefix: prefix });
    const spools: SpoolInstance[] = [];
    const workers: DemoWorkers[] = [];
    try {
      const a = createSpoolInstance({ broker });
      const b = createSpoolInstance({ broker });
      spools.push(a, b);
      // A's one worker works slowly and would claim only after a minute: the entry stays A's while A lives.
      const onA = startDemoWorkers(a, {
        ...sure,
        instance: 'a',
        workers: 1,
        workMs: [2500, 2500],
        claimIdleMs: 60_000,
      });
      workers.push(onA);
      await broker.xadd(COMPLETED_STREAM, [['messageId', 'first']]);
      await expect
        .poll(
          async () =>
            (await broker.xpendingRange(COMPLETED_STREAM, DEMO_GROUP, { start: '-', end: '+', count: 10 }))
              .length,
          { timeout: 10_000 },
        )
        .toBe(1);

      // B starts while A holds `first`: it must take only what is new.
      const onB = startDemoWorkers(b, { ...sure, instance: 'b', workMs: [1, 1], claimIdleMs: 60_000 });
      workers.push(onB);
      await broker.xadd(COMPLETED_STREAM, [['messageId', 'second']]);
      await expect.poll(() => onA.stats().processed + onB.stats().processed, { timeout: 15_000 }).toBe(2);
      // Each ran once: with shared consumer names B would also have run A's `first` (its "own" pending).
      expect([onA.stats().processed, onB.stats().processed]).toEqual([1, 1]);
      expect((await broker.xpending(COMPLETED_STREAM, DEMO_GROUP)).count).toBe(0);
      const names = (await broker.xinfoConsumers(COMPLETED_STREAM, DEMO_GROUP)).map((c) => c.name).sort();
      expect(names).toEqual(['a/worker-1', 'b/worker-1', 'b/worker-2']);

      await onA.stop();
      await onB.stop();
      expect(await broker.xinfoConsumers(COMPLETED_STREAM, DEMO_GROUP)).toEqual([]);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(spools.map((s) => s.close()));
      await broker.close();
    }
  }, 60_000);

  it('keep a stopped consumer that still holds a pending entry, so that the entry is not dropped', async () => {
    const prefix = nextPrefix();
    const broker = new RedisBroker({ url: TEST_REDIS_URL, keyPrefix: prefix });
    const spool = createSpoolInstance({ broker });
    try {
      // Every delivery fails and stays pending for a retry that this stop pre-empts.
      const w = startDemoWorkers(spool, {
        ...sure,
        transientFailureRate: 1,
        instance: 'c',
        workers: 1,
        workMs: [1, 1],
        claimIdleMs: 60_000,
      });
      await broker.xadd(COMPLETED_STREAM, [['messageId', 'kept']]);
      await expect.poll(() => w.stats().failed, { timeout: 10_000 }).toBe(1);
      await w.stop();
      const consumers = await broker.xinfoConsumers(COMPLETED_STREAM, DEMO_GROUP);
      expect(consumers.map((c) => [c.name, c.pending])).toEqual([['c/worker-1', 1]]);
    } finally {
      await spool.close();
      await broker.close();
    }
  }, 30_000);
});
