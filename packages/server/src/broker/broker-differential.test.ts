import { createManualClock, isSpoolError, MemoryBroker, type StreamBroker } from '@spool/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBroker } from './redis-broker';
import { adminClient, deleteKeys, nextPrefix, runPrefix, TEST_REDIS_URL } from './redis-test-env';

/**
 * Differential test: random sequences of stream commands, with explicit IDs so that replies
 * are deterministic, run against MemoryBroker and real Redis 7.0 must give identical
 * replies (values, or error codes) and leave identical state. Idle times, which depend on
 * each side's clock, are the only thing left out.
 */

const KEYS = ['a', 'b'];
const GROUPS = ['g1', 'g2'];
const CONSUMERS = ['c1', 'c2', 'c3'];
const BIG = '18446744073709551615';

const key = fc.oneof({ weight: 4, arbitrary: fc.constant('a') }, { weight: 1, arbitrary: fc.constant('b') });
const group = fc.oneof(
  { weight: 3, arbitrary: fc.constant('g1') },
  { weight: 1, arbitrary: fc.constant('g2') },
);
const consumer = fc.constantFrom(...CONSUMERS);
const ms = fc.oneof(
  { weight: 16, arbitrary: fc.integer({ min: 0, max: 6 }) },
  { weight: 1, arbitrary: fc.constant(BIG) },
);
const seq = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 2 }) },
  { weight: 1, arbitrary: fc.constant(BIG) },
);
const fullId = fc.tuple(ms, seq).map(([m, s]) => `${m}-${s}`);
const badId = fc.constantFrom('bad', '-', '1-x', '18446744073709551616-0', '');
const id = fc.oneof(
  { weight: 10, arbitrary: fullId },
  { weight: 2, arbitrary: ms.map(String) },
  { weight: 1, arbitrary: badId },
);
const bound = fc.oneof(
  { weight: 4, arbitrary: id },
  { weight: 2, arbitrary: fc.constantFrom('-', '+') },
  { weight: 2, arbitrary: fullId.map((x) => `(${x}`) },
);
const idList = fc.array(id, { minLength: 1, maxLength: 4 });
const count = fc.option(fc.integer({ min: -1, max: 6 }), { nil: undefined });
const fields = fc.constantFrom<Array<[string, string]>>(
  [['f', 'v']],
  [
    ['x', '1'],
    ['y', '2'],
  ],
  [['f', 'w']],
  [['z', '']],
);
const sometimes = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const trim = sometimes(
  fc.record({
    strategy: fc.oneof(
      fc.integer({ min: 0, max: 6 }).map((maxLen) => ({ maxLen })),
      id.map((minId) => ({ minId })),
    ),
    approx: fc.boolean(),
    limit: sometimes(fc.integer({ min: 0, max: 5 })),
  }),
);
const minIdle = fc.constantFrom(0, 1_000_000_000);

type Op = { name: string; run(b: StreamBroker, ns: string): Promise<unknown> };
const op = (name: string, run: Op['run']): Op => ({ name, run });

const ops: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc
      .record({
        k: key,
        f: fields,
        id: fc.oneof(
          id,
          ms.map((m) => `${m}-*`),
          ms.map((m) => `${m}-*`),
        ),
        t: trim,
        noMk: fc.oneof(
          { weight: 5, arbitrary: fc.constant(false) },
          { weight: 1, arbitrary: fc.constant(true) },
        ),
      })
      .map(({ k, f, id, t, noMk }) =>
        op(`xadd ${k} ${id} ${JSON.stringify(t)} nomk=${noMk}`, (b, ns) =>
          b.xadd(ns + k, f, { id, noMkStream: noMk, ...t?.strategy, approx: t?.approx, limit: t?.limit }),
        ),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ k: key, ids: idList })
      .map(({ k, ids }) => op(`xdel ${k} ${ids}`, (b, ns) => b.xdel(ns + k, ids))),
  },
  {
    weight: 2,
    arbitrary: fc.record({ k: key, t: trim }).map(({ k, t }) =>
      op(`xtrim ${k} ${JSON.stringify(t)}`, (b, ns) =>
        b.xtrim(ns + k, (t?.strategy ?? { maxLen: 3 }) as { maxLen: number }, {
          approx: t?.approx,
          limit: t?.limit,
        }),
      ),
    ),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ k: key, s: bound, e: bound, c: count, rev: fc.boolean() })
      .map(({ k, s, e, c, rev }) =>
        op(`${rev ? 'xrevrange' : 'xrange'} ${k} ${s} ${e} ${c}`, (b, ns) =>
          rev ? b.xrevrange(ns + k, e, s, c) : b.xrange(ns + k, s, e, c),
        ),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        ids: fc.array(fc.tuple(key, fc.oneof(id, fc.constant('$'))), { minLength: 1, maxLength: 2 }),
        c: count,
      })
      .map(({ ids, c }) =>
        op(`xread ${JSON.stringify(ids)} ${c}`, (b, ns) =>
          b.xread(
            ids.map(([k, i]) => [ns + k, i] as const),
            { count: c },
          ),
        ),
      ),
  },
  {
    weight: 4,
    arbitrary: fc
      .record({
        k: key,
        g: group,
        id: fc.oneof(id, fc.constant('$')),
        mk: fc.boolean(),
        er: fc.option(fc.integer({ min: -2, max: 8 }), { nil: undefined }),
      })
      .map(({ k, g, id, mk, er }) =>
        op(`xgroupCreate ${k} ${g} ${id} mk=${mk} er=${er}`, (b, ns) =>
          b.xgroupCreate(ns + k, g, id, { mkStream: mk, entriesRead: er }),
        ),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        k: key,
        g: group,
        id: fc.oneof(id, fc.constantFrom('$', '-', '+')),
        er: fc.option(fc.integer({ min: -1, max: 8 }), { nil: undefined }),
      })
      .map(({ k, g, id, er }) =>
        op(`xgroupSetId ${k} ${g} ${id} er=${er}`, (b, ns) =>
          b.xgroupSetId(ns + k, g, id, { entriesRead: er }),
        ),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ k: key, g: group, c: consumer, what: fc.constantFrom('destroy', 'create', 'del') })
      .map(({ k, g, c, what }) =>
        op(`xgroup ${what} ${k} ${g} ${c}`, (b, ns) =>
          what === 'destroy'
            ? b.xgroupDestroy(ns + k, g)
            : what === 'create'
              ? b.xgroupCreateConsumer(ns + k, g, c)
              : b.xgroupDelConsumer(ns + k, g, c),
        ),
      ),
  },
  {
    weight: 8,
    arbitrary: fc
      .record({
        g: group,
        c: consumer,
        streams: fc.array(
          fc.tuple(key, fc.oneof({ weight: 4, arbitrary: fc.constant('>') }, { weight: 2, arbitrary: id })),
          {
            minLength: 1,
            maxLength: 2,
          },
        ),
        n: count,
        noAck: fc.boolean(),
      })
      .map(({ g, c, streams, n, noAck }) =>
        op(`xreadgroup ${g} ${c} ${JSON.stringify(streams)} ${n} noack=${noAck}`, (b, ns) =>
          b.xreadgroup(
            g,
            c,
            streams.map(([k, i]) => [ns + k, i] as const),
            { count: n, noAck },
          ),
        ),
      ),
  },
  {
    weight: 4,
    arbitrary: fc
      .record({ k: key, g: group, ids: idList })
      .map(({ k, g, ids }) => op(`xack ${k} ${g} ${ids}`, (b, ns) => b.xack(ns + k, g, ids))),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ k: key, g: group })
      .map(({ k, g }) => op(`xpending ${k} ${g}`, (b, ns) => b.xpending(ns + k, g))),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        k: key,
        g: group,
        s: bound,
        e: bound,
        n: fc.integer({ min: -1, max: 6 }),
        c: fc.option(consumer, { nil: undefined }),
      })
      .map(({ k, g, s, e, n, c }) =>
        op(`xpendingRange ${k} ${g} ${s} ${e} ${n} ${c}`, (b, ns) =>
          b.xpendingRange(ns + k, g, { start: s, end: e, count: n, consumer: c }),
        ),
      ),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        k: key,
        g: group,
        c: consumer,
        idle: minIdle,
        ids: idList,
        force: fc.boolean(),
        justId: fc.boolean(),
        retry: fc.option(fc.integer({ min: -1, max: 5 }), { nil: undefined }),
      })
      .map(({ k, g, c, idle, ids, force, justId, retry }) =>
        op(`xclaim ${k} ${g} ${c} ${idle} ${ids} force=${force} justId=${justId} retry=${retry}`, (b, ns) =>
          b.xclaim(ns + k, g, c, idle, ids, { force, justId, retryCount: retry }),
        ),
      ),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        k: key,
        g: group,
        c: consumer,
        idle: minIdle,
        s: bound,
        n: fc.integer({ min: 0, max: 4 }),
        justId: fc.boolean(),
      })
      .map(({ k, g, c, idle, s, n, justId }) =>
        op(`xautoclaim ${k} ${g} ${c} ${idle} ${s} ${n} justId=${justId}`, (b, ns) =>
          b.xautoclaim(ns + k, g, c, idle, s, { count: n, justId }),
        ),
      ),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ k: key, g: group, what: fc.constantFrom('stream', 'groups', 'consumers', 'len') })
      .map(({ k, g, what }) =>
        op(`xinfo ${what} ${k} ${g}`, (b, ns) =>
          what === 'stream'
            ? b.xinfoStream(ns + k)
            : what === 'groups'
              ? b.xinfoGroups(ns + k)
              : what === 'consumers'
                ? b.xinfoConsumers(ns + k, g)
                : b.xlen(ns + k),
        ),
      ),
  },
);

/** Every sequence starts from a stream with entries and groups, so most commands have something to act on. */
const SETUP: Op[] = [
  op('setup xadd a 1-0', (b, ns) => b.xadd(`${ns}a`, { f: 'v' }, { id: '1-0' })),
  op('setup xadd a 2-0', (b, ns) => b.xadd(`${ns}a`, { f: 'w' }, { id: '2-0' })),
  op('setup xadd a 3-0', (b, ns) => b.xadd(`${ns}a`, { x: '1', y: '2' }, { id: '3-0' })),
  op('setup xgroupCreate a g1 0', (b, ns) => b.xgroupCreate(`${ns}a`, 'g1', '0')),
  op('setup xgroupCreate b g1 $', (b, ns) => b.xgroupCreate(`${ns}b`, 'g1', '$', { mkStream: true })),
];

/** A reply with clock-dependent fields removed, or the error's code. */
async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: stripIdle(await run()) };
  } catch (err) {
    if (isSpoolError(err)) return { error: err.code };
    throw err;
  }
}

function stripIdle(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripIdle);
  if (value && typeof value === 'object') {
    const { idle: _idle, ...rest } = value as Record<string, unknown>;
    return Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, stripIdle(v)]));
  }
  return value;
}

/** Everything observable about the keys, for the final comparison. */
async function snapshot(b: StreamBroker, ns: string): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const k of KEYS) {
    const key = ns + k;
    out[k] = {
      info: await outcome(() => b.xinfoStream(key)),
      entries: await outcome(() => b.xrange(key, '-', '+')),
      groups: await outcome(() => b.xinfoGroups(key)),
      pel: await Promise.all(
        GROUPS.map(async (g) => ({
          consumers: await outcome(() => b.xinfoConsumers(key, g)),
          pending: await outcome(() => b.xpendingRange(key, g, { count: 1000 })),
        })),
      ),
    };
  }
  return out;
}

describe('MemoryBroker and Redis 7.0 agree (differential, fast-check)', () => {
  const admin = adminClient();
  const keyPrefix = nextPrefix();
  let redis: RedisBroker;

  beforeAll(async () => {
    await admin.ping();
    redis = new RedisBroker({ url: TEST_REDIS_URL, keyPrefix });
    await redis.ping();
  });

  afterAll(async () => {
    await redis.close();
    await deleteKeys(admin, runPrefix);
    await admin.quit();
  });

  it('random command sequences give identical replies and identical final state', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(ops, { minLength: 1, maxLength: 60, size: 'max' }), async (sequence) => {
        const ns = `${run++}:`;
        const memory = new MemoryBroker({ clock: createManualClock(1_700_000_000_000) });
        try {
          for (const [i, step] of [...SETUP, ...sequence].entries()) {
            const fromMemory = await outcome(() => step.run(memory, ns));
            const fromRedis = await outcome(() => step.run(redis, ns));
            expect({ step: i, op: step.name, reply: fromMemory }).toEqual({
              step: i,
              op: step.name,
              reply: fromRedis,
            });
          }
          expect(await snapshot(memory, ns)).toEqual(await snapshot(redis, ns));
        } finally {
          await memory.close();
          await deleteKeys(admin, `${keyPrefix}${ns}`);
        }
      }),
      { numRuns: 200 },
    );
  });
});
