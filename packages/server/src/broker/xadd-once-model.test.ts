import { MemoryBroker, type StreamBroker } from '@spool/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisBroker } from './redis-broker';
import { adminClient, deleteKeys, nextPrefix, runPrefix, TEST_REDIS_URL } from './redis-test-env';

/**
 * `xaddOnce` against a model, on both brokers: rounds of calls, the calls of one round run
 * concurrently (as retries and a takeover racing a completion do). The model: a once-key
 * names one entry forever (within the TTL / the bounded set); the first call with a new
 * key adds it, every other call gets its ID back and adds nothing; a stream holds exactly
 * the entries that were added, in ID order. fast-check prints the seed of a failing run
 * (and SPOOL_TEST_SEED fixes it, scripts/vitest-seed.ts).
 */

const call = fc.record({
  stream: fc.constantFrom('s1', 's2'),
  onceKey: fc.constantFrom('spool:completed:1', 'spool:completed:2', 'spool:completed:3', 'k4', 'k5'),
  n: fc.nat({ max: 99 }),
});
const rounds = fc.array(fc.array(call, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 });

async function check(
  broker: StreamBroker,
  plan: Array<Array<{ stream: string; onceKey: string; n: number }>>,
) {
  const known = new Map<string, { id: string; stream: string; n: number }>();
  for (const round of plan) {
    const replies = await Promise.all(
      round.map((c) => broker.xaddOnce(c.stream, c.onceKey, { n: String(c.n) })),
    );
    const byKey = new Map<string, number[]>();
    for (const [i, c] of round.entries()) byKey.set(c.onceKey, [...(byKey.get(c.onceKey) ?? []), i]);
    for (const [onceKey, calls] of byKey) {
      const before = known.get(onceKey);
      const got = calls.map((i) => replies[i]!);
      if (before) {
        // Known: every call gets the first entry's ID, and none adds.
        expect(got).toEqual(calls.map(() => ({ id: before.id, added: false })));
        continue;
      }
      // New: exactly one call of the round adds; the others get its ID.
      const adders = calls.filter((i) => replies[i]!.added);
      expect(adders).toHaveLength(1);
      const winner = round[adders[0]!]!;
      const id = replies[adders[0]!]!.id;
      for (const r of got) expect(r.id).toBe(id);
      known.set(onceKey, { id, stream: winner.stream, n: winner.n });
    }
  }
  for (const stream of ['s1', 's2']) {
    const expected = [...known.values()]
      .filter((e) => e.stream === stream)
      .map((e) => ({ id: e.id, fields: { n: String(e.n) } }));
    const entries = (await broker.xlen(stream)) === 0 ? [] : await broker.xrange(stream, '-', '+');
    expect(entries.map((e) => e.id)).toEqual(
      expected
        .map((e) => e.id)
        .sort((a, b) => {
          const [am, as] = a.split('-').map(BigInt);
          const [bm, bs] = b.split('-').map(BigInt);
          return am! === bm! ? Number(as! - bs!) : Number(am! - bm!);
        }),
    );
    for (const e of entries) {
      expect(expected.find((x) => x.id === e.id)?.fields).toEqual(e.fields);
    }
  }
}

describe('xaddOnce against a model', () => {
  it('MemoryBroker', async () => {
    await fc.assert(
      fc.asyncProperty(rounds, async (plan) => {
        await check(new MemoryBroker(), plan);
      }),
      { numRuns: 200 },
    );
  });

  const admin = adminClient();
  afterAll(async () => {
    await deleteKeys(admin, runPrefix);
    admin.disconnect();
  });

  it('RedisBroker (a fresh key prefix per run)', async () => {
    await fc.assert(
      fc.asyncProperty(rounds, async (plan) => {
        const broker = new RedisBroker({ url: TEST_REDIS_URL, keyPrefix: nextPrefix() });
        try {
          await check(broker, plan);
        } finally {
          await broker.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
