import { MemoryBroker, type StreamBroker } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { createSpoolInstance } from '../spool';
import { brokerStreamSnapshot, KnownStreamKeys, trackStreamKeys } from './known-stream-keys';

describe('KnownStreamKeys', () => {
  it('remembers written keys, most recent last, and forgets the oldest past maxKeys (pinned stay)', () => {
    const keys = new KnownStreamKeys(['pinned'], { maxKeys: 3 });
    keys.touch('a');
    keys.touch('b');
    keys.touch('a');
    expect(keys.recent(10)).toEqual(['a', 'b', 'pinned']);
    keys.touch('c');
    expect(keys.list()).toEqual(['a', 'c', 'pinned']);
    keys.forget('pinned');
    keys.forget('a');
    expect(keys.list()).toEqual(['c', 'pinned']);
    expect(() => new KnownStreamKeys([], { maxKeys: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});

describe('trackStreamKeys', () => {
  it('notes keys written by XADD and XGROUP CREATE MKSTREAM, and passes everything else through', async () => {
    const memory = new MemoryBroker();
    const keys = new KnownStreamKeys();
    const broker = trackStreamKeys(memory, keys);
    await broker.xadd('jobs', { a: '1' });
    await broker.xgroupCreate('made', 'g', '$', { mkStream: true });
    expect(await broker.xadd('never', { a: '1' }, { noMkStream: true })).toBeNull();
    await expect(broker.xgroupCreate('missing', 'g', '$')).rejects.toMatchObject({ code: 'NO_SUCH_KEY' });
    expect(keys.list()).toEqual(['jobs', 'made']);
    expect(await broker.xlen('jobs')).toBe(1);
    expect((broker as MemoryBroker).blockedReaders).toBe(memory.blockedReaders);
    await broker.close();
    await expect(memory.xlen('jobs')).rejects.toMatchObject({ code: 'BROKER_CLOSED' });
  });

  it('is how a Spool knows the streams written through it', async () => {
    const spool = createSpoolInstance();
    await spool.broker.xadd('custom', { a: '1' });
    expect(spool.streamKeys.list()).toEqual(['custom', 'spool:completed', 'spool:completed:dead']);
    expect((await spool.stats()).broker.streams.map((s) => s.key)).toEqual(['custom']);
    await spool.close();
  });
});

describe('brokerStreamSnapshot', () => {
  it('describes a stream with its groups, and is undefined for a missing one', async () => {
    const broker: StreamBroker = new MemoryBroker();
    expect(await brokerStreamSnapshot(broker, 'jobs')).toBeUndefined();
    await broker.xgroupCreate('jobs', 'g', '0', { mkStream: true });
    expect(await brokerStreamSnapshot(broker, 'jobs')).toEqual({
      key: 'jobs',
      length: 0,
      lastId: null,
      groups: [{ name: 'g', consumers: 0, pending: 0, lag: 0, lastDeliveredId: '0-0' }],
    });
    await broker.xadd('jobs', { a: '1' }, { id: '5-1' });
    expect(await brokerStreamSnapshot(broker, 'jobs')).toMatchObject({
      length: 1,
      lastId: '5-1',
      groups: [{ lag: 1 }],
    });
  });
});
