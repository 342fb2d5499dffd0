import { brokerContract } from '@spool/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisBroker } from './redis-broker';
import { adminClient, deleteKeys, nextPrefix, runPrefix, TEST_REDIS_URL } from './redis-test-env';

const admin = adminClient();

beforeAll(async () => {
  // Fail loudly, never skip, when Redis is not there.
  await admin.ping();
});

afterAll(async () => {
  await deleteKeys(admin, runPrefix);
  await admin.quit();
});

brokerContract('RedisBroker', async () => {
  const keyPrefix = nextPrefix();
  const broker = new RedisBroker({ url: TEST_REDIS_URL, keyPrefix, poolSize: 4 });
  await broker.ping();
  return {
    broker,
    blockedReaders: () => broker.blockedOnServer(),
    cleanup: () => deleteKeys(admin, keyPrefix),
  };
});

describe('RedisBroker', () => {
  const open: RedisBroker[] = [];
  const make = (options: ConstructorParameters<typeof RedisBroker>[0] = {}) => {
    const keyPrefix = nextPrefix();
    const broker = new RedisBroker({ url: TEST_REDIS_URL, keyPrefix, ...options });
    open.push(broker);
    return { broker, keyPrefix };
  };
  afterEach(async () => {
    for (const b of open.splice(0)) await b.close();
  });

  it('gives each concurrent blocking read its own pooled connection, and queues beyond the pool', async () => {
    const { broker } = make({ poolSize: 3 });
    const reads = ['a', 'b', 'c', 'd'].map((k) => broker.xread([[k, '$']], { block: 0 }));
    await vi.waitFor(async () => expect(await broker.blockedOnServer()).toBe(3), { interval: 5 });
    for (const k of ['a', 'b', 'c', 'd']) await broker.xadd(k, { k }, { id: '1-0' });
    const replies = await Promise.all(reads);
    expect(replies.map((r) => r?.[0]?.key)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('applies its key prefix to every key and strips it from replies', async () => {
    const { broker, keyPrefix } = make();
    await broker.xadd('jobs', { f: 'v' }, { id: '1-0' });
    await broker.xgroupCreate('jobs', 'g', '0');
    expect(await admin.call('XLEN', `${keyPrefix}jobs`)).toBe(1);
    expect(await admin.exists('jobs')).toBe(0);
    expect((await broker.xreadgroup('g', 'c', [['jobs', '>']]))?.[0]?.key).toBe('jobs');
    await expect(broker.xpending('other', 'g')).rejects.toMatchObject({
      code: 'NOGROUP',
      message: expect.not.stringContaining(keyPrefix),
    });
  });

  it('reconnects after its connection is killed', async () => {
    const name = `spool-test-${Date.now()}`;
    const { broker } = make({ redis: { connectionName: name } });
    await broker.xadd('s', { f: 'v' }, { id: '1-0' });
    const clients = String(await admin.call('CLIENT', 'LIST', 'TYPE', 'normal'));
    const line = clients.split('\n').find((l) => l.includes(` name=${name} `))!;
    const id = /id=(\d+)/.exec(line)![1]!;
    await admin.call('CLIENT', 'KILL', 'ID', id);
    expect(await broker.xadd('s', { f: 'v' }, { id: '2-0' })).toBe('2-0');
    expect(await broker.xlen('s')).toBe(2);
  });

  it('reports an unreachable Redis as BROKER_UNAVAILABLE from ping, and validates options', async () => {
    const { broker } = make({ url: 'redis://127.0.0.1:1', pingTimeoutMs: 200 });
    await expect(broker.ping()).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    expect(() => new RedisBroker({ poolSize: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(() => new RedisBroker({ url: 'http://x' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });

  it('xaddOnce keeps its key under the prefix, with the ID it added and a 24-hour expiry', async () => {
    const { broker, keyPrefix } = make();
    const { id } = await broker.xaddOnce('done', 'spool:completed:42', { messageId: '42' });
    expect(await admin.get(`${keyPrefix}once:spool:completed:42`)).toBe(id);
    const ttl = await admin.ttl(`${keyPrefix}once:spool:completed:42`);
    expect(ttl).toBeGreaterThan(86_000);
    expect(ttl).toBeLessThanOrEqual(86_400);
    expect(() => new RedisBroker({ onceTtlSeconds: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});
