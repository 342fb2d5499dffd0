import { compareEventIds, isSpoolError, MIN_EVENT_ID, type TopicEvent, type TrimRules } from '@spool/core';
import { encodeTopicPayload, resolveTopicRetention } from '@spool/core/internal';
import { topicLogContract } from '@spool/core/testing';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { deleteKeys, nextPrefix, redisTestClients, TEST_REDIS_URL } from '../broker/redis-test-env';
import { type RecreatedInfo, RedisTopicLog } from './redis-topic-log';
import { topicLogKeys } from './topic-log-keys';

// ioredis 6 speaks RESP3 by default: the script's replies are arrays either way.
const { redis, admin } = redisTestClients();

topicLogContract('RedisTopicLog', async () => {
  const prefix = nextPrefix();
  const log = await RedisTopicLog.open(redis, 'chan:1:general', { keyPrefix: prefix });
  return { log, cleanup: () => deleteKeys(admin, prefix) };
});

const payload = (n: number) => encodeTopicPayload('message', { n });
const keepAll = (over: Partial<TrimRules> = {}): TrimRules => ({
  ...resolveTopicRetention({ maxEvents: 1_000_000, maxBytes: 2 ** 40, maxAgeMs: Number.POSITIVE_INFINITY }),
  isPinned: () => false,
  ...over,
});

/** A client of its own that counts the script calls (EVALSHA, or EVAL after NOSCRIPT) sent on it. */
function countingClient(): { client: Redis; calls(): number } {
  const client = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  let calls = 0;
  const send = client.sendCommand.bind(client);
  client.sendCommand = (command, stream) => {
    if (/^eval/i.test(command.name)) calls++;
    return send(command, stream);
  };
  return { client, calls: () => calls };
}

describe('RedisTopicLog on real Redis', () => {
  it('keeps a topic in one stream under the prefix, its keys in one hash slot', async () => {
    const prefix = nextPrefix();
    const topic = 'chan:1:{odd}%name}';
    const log = await RedisTopicLog.open(redis, topic, { keyPrefix: prefix });
    const ev = await log.append(payload(1));
    const keys = topicLogKeys(prefix, topic);
    expect(keys.stream).toBe(`${prefix}{chan:1:%7Bodd%7D%25name%7D}:log`);
    expect(log.keys).toEqual(keys);
    const entries = await admin.xrange(keys.stream, '-', '+');
    expect(entries).toEqual([[ev.id, ['e', 'message', 'd', '{"n":1}']]]);
    const slots = await Promise.all(
      [keys.stream, keys.meta, keys.pins].map((k) =>
        admin.call('CLUSTER', 'KEYSLOT', k).catch(() => 'no cluster'),
      ),
    );
    // Outside cluster mode KEYSLOT may be refused; where it answers, the three agree.
    expect(new Set(slots).size).toBe(1);
    expect(topicLogKeys(prefix, 'a').stream).not.toBe(topicLogKeys(prefix, 'a}').stream);
    await deleteKeys(admin, prefix);
  });

  it('sends the appends of one event-loop turn in one script call', async () => {
    const prefix = nextPrefix();
    const counted = countingClient();
    const log = await RedisTopicLog.open(counted.client, 'burst', { keyPrefix: prefix });
    try {
      const rules = keepAll();
      const before = counted.calls();
      const events = await Promise.all(Array.from({ length: 50 }, (_, n) => log.append(payload(n), rules)));
      expect(counted.calls() - before).toBe(1);
      for (let i = 1; i < events.length; i++)
        expect(compareEventIds(events[i]!.id, events[i - 1]!.id)).toBeGreaterThan(0);
      await log.append(payload(50), rules);
      await log.append(payload(51), rules);
      expect(counted.calls() - before).toBe(3);
      expect((await log.read(MIN_EVENT_ID, 100)).events.map((ev) => ev.data)).toEqual(
        Array.from({ length: 52 }, (_, n) => ({ n })),
      );
    } finally {
      counted.client.disconnect();
    }
    await deleteKeys(admin, prefix);
  });

  it('splits a huge turn into calls of at most 512 appends, in order', async () => {
    const prefix = nextPrefix();
    const counted = countingClient();
    const log = await RedisTopicLog.open(counted.client, 'bulk', { keyPrefix: prefix });
    try {
      const rules = keepAll();
      const before = counted.calls();
      const events = await Promise.all(Array.from({ length: 1200 }, (_, n) => log.append(payload(n), rules)));
      expect(counted.calls() - before).toBe(3);
      const page = await log.read(MIN_EVENT_ID, 2000);
      expect(page.events.map((ev) => ev.id)).toEqual(events.map((ev) => ev.id));
      expect(page.events.map((ev) => ev.data)).toEqual(Array.from({ length: 1200 }, (_, n) => ({ n })));
    } finally {
      counted.client.disconnect();
      await deleteKeys(admin, prefix);
    }
  });

  it('fails only the append whose hook threw, and settles every other append of the batch', async () => {
    const prefix = nextPrefix();
    const log = await RedisTopicLog.open(redis, 'hooks', { keyPrefix: prefix });
    const boom = new Error('hook failed');
    const rules = keepAll({
      onAppend: (ev) => {
        if ((ev.data as { n: number }).n === 1) throw boom;
      },
    });
    const settled = await Promise.allSettled([0, 1, 2].map((n) => log.append(payload(n), rules)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const [, failed] = settled;
    expect(failed?.status === 'rejected' && failed.reason).toBe(boom);
    // The event is in the log all the same, as with the memory log.
    expect(log.length).toBe(3);
    const dropBoom = keepAll({
      maxEvents: 1,
      onDrop: () => {
        throw boom;
      },
    });
    expect(await log.trim(dropBoom).catch((e: unknown) => e)).toBe(boom);
    expect(log.length).toBe(1);
    await deleteKeys(admin, prefix);
  });

  it('refuses one explicit ID in a batch with ID_TOO_SMALL and appends the others', async () => {
    const prefix = nextPrefix();
    const log = await RedisTopicLog.open(redis, 'ids', { keyPrefix: prefix, creationFloor: '0-0' });
    const [a, b, c] = await Promise.allSettled([
      log.append({ ...payload(0), id: { ms: 10, seq: 1 } }),
      log.append({ ...payload(1), id: { ms: 10, seq: 1 } }),
      log.append({ ...payload(2), id: { ms: 10, seq: 2 } }),
    ]);
    expect(a.status === 'fulfilled' && a.value.id).toBe('10-1');
    expect(b.status === 'rejected' && isSpoolError(b.reason) && b.reason.code).toBe('ID_TOO_SMALL');
    expect(c.status === 'fulfilled' && c.value.id).toBe('10-2');
    expect(log.creationFloor).toBe('0-0');
    await deleteKeys(admin, prefix);
  });

  it('records the creation floor once: a second open of the same topic keeps it', async () => {
    const prefix = nextPrefix();
    const first = await RedisTopicLog.open(redis, 't', { keyPrefix: prefix, creationFloor: '5-5' });
    expect(first.floor).toBe('5-5');
    const err = await first.append({ ...payload(0), id: { ms: 5, seq: 5 } }).catch((e: unknown) => e);
    expect(isSpoolError(err) && err.code).toBe('ID_TOO_SMALL');
    const ev = await first.append(payload(1));
    const second = await RedisTopicLog.open(redis, 't', { keyPrefix: prefix, creationFloor: '9-9' });
    expect(second.creationFloor).toBe('5-5');
    expect(second.lastId).toBe(ev.id);
    expect(second.length).toBe(1);
    const fresh = await RedisTopicLog.open(redis, 'u', { keyPrefix: prefix });
    const [sec, micro] = await admin.time();
    const now = Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
    // Just below Redis's clock at creation: below the first ID it will issue.
    expect(compareEventIds(fresh.creationFloor, `${now + 1}-0`)).toBeLessThan(0);
    expect(compareEventIds(fresh.creationFloor, `${now - 60_000}-0`)).toBeGreaterThan(0);
    expect(fresh.creationFloor).toMatch(/^\d+-9007199254740991$/);
    await deleteKeys(admin, prefix);
  });

  it('shares one log between instances: reads, trims and pins hold across them', async () => {
    const prefix = nextPrefix();
    const other = new Redis(TEST_REDIS_URL, { protocol: 2, maxRetriesPerRequest: 1 });
    try {
      const a = await RedisTopicLog.open(redis, 'chan:1:x', { keyPrefix: prefix });
      const b = await RedisTopicLog.open(other, 'chan:1:x', { keyPrefix: prefix });
      const open = new Set(['42']);
      const rulesA = keepAll({
        maxEvents: 2,
        hardMaxEvents: 100,
        isPinned: (ev) => open.has(ev.messageId ?? ''),
      });
      const pinned = await a.append(
        encodeTopicPayload('msg.delta', { messageId: '42', chunkId: 0, text: 'x' }),
        rulesA,
      );
      // B knows nothing of message 42, yet its trims leave it (and what follows) in place.
      const dropped: TopicEvent[] = [];
      const rulesB = keepAll({ maxEvents: 2, hardMaxEvents: 100, onDrop: (ev) => dropped.push(ev) });
      for (let n = 0; n < 4; n++) await b.append(payload(n), rulesB);
      expect(dropped).toEqual([]);
      const page = await b.read(MIN_EVENT_ID, 10);
      expect(page.events[0]!.id).toBe(pinned.id);
      expect(page.events).toHaveLength(5);
      expect(b.lastId).toBe(page.events.at(-1)!.id);
      // A's message is persisted: A's next trim lifts the pin, and the log is trimmed.
      open.delete('42');
      expect(await a.trim(rulesA)).toBe(3);
      expect(await admin.scard(a.keys.pins)).toBe(0);
      const after = await b.read(MIN_EVENT_ID, 10);
      expect(after.events).toHaveLength(2);
      expect(compareEventIds(after.floor, pinned.id)).toBeGreaterThan(0);
    } finally {
      other.disconnect();
      await deleteKeys(admin, prefix);
    }
  });

  it('unpins a message whose msg.end says persisted, in the same call that appends it', async () => {
    const prefix = nextPrefix();
    const log = await RedisTopicLog.open(redis, 'chan:1:y', { keyPrefix: prefix });
    // A topic's ledger pins a message's events until a msg.end with persisted: true.
    const rules = keepAll({
      maxEvents: 1,
      hardMaxEvents: 100,
      isPinned: (ev) =>
        ev.messageId !== undefined &&
        !(ev.event === 'msg.end' && (ev.data as { persisted?: boolean }).persisted === true),
    });
    await Promise.all([
      log.append(encodeTopicPayload('msg.open', { messageId: '7', meta: {} }), rules),
      log.append(encodeTopicPayload('msg.delta', { messageId: '7', chunkId: 0, text: 'a' }), rules),
    ]);
    expect(await admin.smembers(log.keys.pins)).toEqual(['m:7']);
    expect(log.length).toBe(2);
    await log.append(
      encodeTopicPayload('msg.end', { messageId: '7', reason: 'success', persisted: true }),
      rules,
    );
    expect(await admin.scard(log.keys.pins)).toBe(0);
    expect(log.length).toBe(1);
    await deleteKeys(admin, prefix);
  });

  it('trims by age on Redis time', async () => {
    const prefix = nextPrefix();
    const log = await RedisTopicLog.open(redis, 'aged', { keyPrefix: prefix });
    const rules = keepAll({ maxAgeMs: 20 });
    const old = await log.append(payload(0), rules);
    await new Promise((r) => setTimeout(r, 40));
    const young = await log.append(payload(1), rules);
    expect(log.floor).toBe(old.id);
    expect(log.firstId).toBe(young.id);
    expect(log.length).toBe(1);
    await deleteKeys(admin, prefix);
  });

  it('detects a stream that vanished: a new life with a floor above the old one, and onRecreated', async () => {
    const prefix = nextPrefix();
    const seen: RecreatedInfo[] = [];
    const log = await RedisTopicLog.open(redis, 'lost', {
      keyPrefix: prefix,
      onRecreated: (i) => seen.push(i),
    });
    const other = await RedisTopicLog.open(redis, 'lost', { keyPrefix: prefix });
    const before = await log.append(payload(0));
    const firstLife = log.creationFloor;
    await admin.del(log.keys.stream, log.keys.meta, log.keys.pins); // Redis lost the data
    // The next call recreates the stream; its floor is above everything the first life issued.
    const page = await log.read(before.id, 10);
    expect(seen).toEqual([
      { previousCreationFloor: firstLife, creationFloor: log.creationFloor, lastKnownId: before.id },
    ]);
    expect(compareEventIds(log.creationFloor, before.id)).toBeGreaterThanOrEqual(0);
    expect(page).toEqual({ events: [], floor: log.creationFloor, holdsAfter: false });
    // Publishing works again, above the new floor; another instance sees the same new life.
    const next = await log.append(payload(1));
    expect(compareEventIds(next.id, log.creationFloor)).toBeGreaterThan(0);
    const otherPage = await other.read(MIN_EVENT_ID, 10);
    expect(other.creationFloor).toBe(log.creationFloor);
    expect(otherPage.floor).toBe(log.creationFloor);
    expect(otherPage.events.map((ev) => ev.id)).toEqual([next.id]);
    await deleteKeys(admin, prefix);
  });

  it('rejects every append of a batch with BROKER_UNAVAILABLE when Redis cannot be reached', async () => {
    const down = new Redis({
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    try {
      const err = await RedisTopicLog.open(down, 'x').catch((e: unknown) => e);
      expect(isSpoolError(err) && err.code).toBe('BROKER_UNAVAILABLE');
    } finally {
      down.disconnect();
    }
  });
});
