import { type EventId, isSpoolError, MIN_EVENT_ID, type TopicEvent, type TrimRules } from '@spool/core';
import { encodeTopicPayload, resolveTopicRetention } from '@spool/core/internal';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { deleteKeys, nextPrefix, redisTestClients } from '../broker/redis-test-env';
import { PrivateRedis } from '../testing/private-redis';
import { RedisTopicLog } from './redis-topic-log';

/**
 * Age retention of the Redis topic log, whose script keeps the head's ID in the meta hash
 * and skips reading the stream while that head is younger than `maxAgeMs`
 * (topic-log-script.ts). Event times are placed with explicit IDs at whole 20 s steps
 * before Redis's clock, and the age limits fall 10 s between those steps, so which events
 * are old enough does not depend on how long the test takes.
 */

const { redis, admin } = redisTestClients();

const STEP = 20_000;
const AGES = [10_000, 50_000, 90_000, 130_000, 170_000, Number.POSITIVE_INFINITY];

const rulesOf = (maxAgeMs: number, maxEvents: number, drops: EventId[] = []): TrimRules => ({
  ...resolveTopicRetention({ maxEvents, maxBytes: 2 ** 30, maxAgeMs }),
  isPinned: () => false,
  onDrop: (ev) => drops.push(ev.id),
});

const payload = (n: number) => encodeTopicPayload('message', { n });

async function redisNow(client: Redis): Promise<number> {
  const [s, us] = await client.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/** The stream's first entry, and the head the meta hash records. */
async function heads(log: RedisTopicLog): Promise<{ stream: string | null; meta: string | null }> {
  const first = (await admin.xrange(log.keys.stream, '-', '+', 'COUNT', 1))[0];
  return { stream: first?.[0] ?? null, meta: await admin.hget(log.keys.meta, 'h') };
}

type Op =
  | { op: 'old'; steps: number }
  | { op: 'oldBurst'; count: number }
  | { op: 'now'; count: number }
  | { op: 'limits'; age: number; maxEvents: number }
  | { op: 'trim' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('old' as const), steps: fc.integer({ min: 0, max: 2 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('oldBurst' as const), count: fc.integer({ min: 2, max: 4 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('now' as const), count: fc.integer({ min: 1, max: 3 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('limits' as const),
      age: fc.constantFrom(...AGES),
      maxEvents: fc.constantFrom(3, 1_000),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'trim' as const }) },
);

describe('RedisTopicLog age retention', () => {
  it('drops exactly the events older than maxAgeMs, and its recorded head is always the stream’s', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
        const prefix = nextPrefix();
        try {
          const log = await RedisTopicLog.open(redis, 'aged', { keyPrefix: prefix, creationFloor: '1-0' });
          const base = (await redisNow(admin)) - 10 * STEP;
          /** The model: what the log holds, oldest first, with each event's millisecond. */
          const held: Array<{ id: EventId; ms: number }> = [];
          const drops: EventId[] = [];
          const expectedDrops: EventId[] = [];
          let age = Number.POSITIVE_INFINITY;
          let maxEvents = 1_000;
          let step = 0;
          let seq = 0;
          /** The log's last ID (its creation floor at first): explicit IDs must be above it. */
          let last = { ms: 1, seq: 0 };
          const trimModel = () => {
            const cutoff = Date.now() - age;
            while (held.length > 0 && (held.length > maxEvents || held[0]!.ms <= cutoff))
              expectedDrops.push(held.shift()!.id);
          };
          /** Appends with an explicit ID at `base + step * STEP` (refused once IDs passed it). */
          const old = async (count: number) => {
            const rules = rulesOf(age, maxEvents, drops);
            const ms = base + step * STEP;
            const inputs = Array.from({ length: count }, (_, k) => ({
              ...payload(k),
              id: { ms, seq: seq + k },
            }));
            const outcomes = await Promise.all(
              inputs.map((input) => log.append(input, rules).catch((err: unknown) => err)),
            );
            if (ms > last.ms || (ms === last.ms && seq > last.seq)) {
              // Accepted: the batch's IDs go up from above the last.
              for (const out of outcomes) {
                expect(isSpoolError(out)).toBe(false);
                held.push({ id: (out as TopicEvent).id, ms });
              }
              last = { ms, seq: seq + count - 1 };
              seq += count;
              trimModel();
            } else {
              for (const out of outcomes) expect(isSpoolError(out) && out.code).toBe('ID_TOO_SMALL');
            }
          };
          for (const op of ops) {
            switch (op.op) {
              case 'old':
                if (op.steps > 0 && step < 9) {
                  step = Math.min(9, step + op.steps);
                  seq = 0;
                }
                await old(1);
                break;
              case 'oldBurst':
                await old(op.count);
                break;
              case 'now': {
                const rules = rulesOf(age, maxEvents, drops);
                const evs = await Promise.all(
                  Array.from({ length: op.count }, (_, k) => log.append(payload(k), rules)),
                );
                for (const ev of evs) held.push({ id: ev.id, ms: ev.ms });
                last = { ms: evs.at(-1)!.ms, seq: evs.at(-1)!.seq };
                trimModel();
                break;
              }
              case 'limits':
                age = op.age;
                maxEvents = op.maxEvents;
                break;
              case 'trim':
                await log.trim(rulesOf(age, maxEvents, drops));
                trimModel();
                break;
            }
            const page = await log.read(MIN_EVENT_ID, 1_000);
            expect(page.events.map((ev) => ev.id)).toEqual(held.map((e) => e.id));
            expect(drops).toEqual(expectedDrops);
            expect(log.length).toBe(held.length);
            const { stream, meta } = await heads(log);
            expect(meta).toBe(stream);
            expect(stream).toBe(held[0]?.id ?? null);
          }
        } finally {
          await deleteKeys(admin, prefix);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('drops the head once it ages past maxAgeMs, after appends that found it young', async () => {
    const prefix = nextPrefix();
    try {
      const log = await RedisTopicLog.open(redis, 'aging', { keyPrefix: prefix, creationFloor: '1-0' });
      const now = await redisNow(admin);
      const old = await log.append({ ...payload(0), id: { ms: now - 30_000, seq: 0 } }, rulesOf(60_000, 100));
      const kept = await log.append(payload(1), rulesOf(60_000, 100));
      expect((await heads(log)).meta).toBe(old.id);
      // The same head, now older than the limit: the next append drops it.
      const drops: EventId[] = [];
      await log.append(payload(2), rulesOf(20_000, 100, drops));
      expect(drops).toEqual([old.id]);
      expect(log.floor).toBe(old.id);
      expect(log.firstId).toBe(kept.id);
      expect(await heads(log)).toEqual({ stream: kept.id, meta: kept.id });
    } finally {
      await deleteKeys(admin, prefix);
    }
  });

  it('reads the head when the meta hash does not record it, and records it', async () => {
    const prefix = nextPrefix();
    try {
      const log = await RedisTopicLog.open(redis, 'unknown-head', {
        keyPrefix: prefix,
        creationFloor: '1-0',
      });
      const now = await redisNow(admin);
      const old = await log.append({ ...payload(0), id: { ms: now - 30_000, seq: 0 } }, rulesOf(60_000, 100));
      const next = await log.append(
        { ...payload(1), id: { ms: now - 20_000, seq: 0 } },
        rulesOf(60_000, 100),
      );
      // A stream written before the head was recorded.
      await admin.hdel(log.keys.meta, 'h');
      const drops: EventId[] = [];
      await log.trim(rulesOf(25_000, 100, drops));
      expect(drops).toEqual([old.id]);
      expect(await heads(log)).toEqual({ stream: next.id, meta: next.id });
    } finally {
      await deleteKeys(admin, prefix);
    }
  });

  it('clears the recorded head when a trim empties the stream, and records the next append', async () => {
    const prefix = nextPrefix();
    try {
      const log = await RedisTopicLog.open(redis, 'emptied', { keyPrefix: prefix, creationFloor: '1-0' });
      const now = await redisNow(admin);
      await log.append({ ...payload(0), id: { ms: now - 30_000, seq: 0 } }, rulesOf(60_000, 100));
      await log.trim(rulesOf(5_000, 100));
      expect(log.length).toBe(0);
      expect(await heads(log)).toEqual({ stream: null, meta: null });
      const ev = await log.append(payload(1), rulesOf(5_000, 100));
      expect(await heads(log)).toEqual({ stream: ev.id, meta: ev.id });
    } finally {
      await deleteKeys(admin, prefix);
    }
  });

  it('reads no entry to check the age while the recorded head is younger than maxAgeMs', async () => {
    // A private server: its command counts are this test's alone.
    const server = await PrivateRedis.start();
    const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
    try {
      const log = await RedisTopicLog.open(client, 'young', { keyPrefix: 'p:' });
      const rules = rulesOf(3_600_000, 1_000);
      await log.append(payload(0), rules);
      await client.config('RESETSTAT');
      for (let n = 1; n <= 5; n++) await log.append(payload(n), rules);
      const stats = await client.info('commandstats');
      expect(stats).toMatch(/cmdstat_xadd:calls=5,/);
      expect(stats).not.toMatch(/cmdstat_xrange:/);
      expect(stats).not.toMatch(/cmdstat_scard:/);
      expect(log.length).toBe(6);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
