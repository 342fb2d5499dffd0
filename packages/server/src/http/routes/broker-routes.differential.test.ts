import {
  createManualClock,
  isSpoolError,
  type ManualClock,
  MemoryBroker,
  type StreamBroker,
} from '@spool/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSpoolInstance } from '../../spool';
import { apiOf, type Reply } from './__tests__/route-kit';

/**
 * The broker routes behave as the broker: random sequences of operations go once through
 * the HTTP routes (a Spool over one MemoryBroker) and once straight to a second
 * MemoryBroker on the same manual clock; every reply must be the broker's reply in the
 * route's JSON shape, and every error the broker's error code.
 */

type Api = ReturnType<typeof apiOf>;
interface Op {
  label: string;
  http(api: Api): Promise<Reply>;
  direct(broker: StreamBroker): Promise<unknown>;
}

const key = fc.constantFrom('a', 'b');
const group = fc.constantFrom('g1', 'g2');
const consumer = fc.constantFrom('c1', 'c2', 'c3');
const fullId = fc
  .tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 2 }))
  .map(([m, s]) => `${m}-${s}`);
const id = fc.oneof(
  { weight: 8, arbitrary: fullId },
  { weight: 1, arbitrary: fc.constantFrom('bad', '1-x', '3') },
);
const bound = fc.oneof({ weight: 3, arbitrary: id }, { weight: 2, arbitrary: fc.constantFrom('-', '+') });
const count = fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined });
const fields = fc.constantFrom<Record<string, string>>({ f: 'v' }, { x: '1', y: '2' }, { z: '' });
const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : '';
};
const base = (k: string, g?: string) => `/v1/streams/${k}${g === undefined ? '' : `/groups/${g}`}`;

const op: fc.Arbitrary<Op> = fc.oneof(
  fc
    .record({
      k: key,
      f: fields,
      i: fc.option(id, { nil: undefined }),
      maxLen: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    })
    .map(
      ({ k, f, i, maxLen }): Op => ({
        label: `add ${k} ${i} ${maxLen}`,
        http: (api) => api.post(`${base(k)}/entries`, { fields: f, id: i, maxLen }),
        direct: async (b) => ({ id: await b.xadd(k, f, { id: i, maxLen }) }),
      }),
    ),
  fc.record({ k: key, s: bound, e: bound, n: count, rev: fc.boolean() }).map(
    ({ k, s, e, n, rev }): Op => ({
      label: `range ${k} ${s} ${e} ${n} ${rev}`,
      http: (api) =>
        api.get(`${base(k)}/entries${q({ start: s, end: e, count: n, rev: rev ? 1 : undefined })}`),
      direct: async (b) => ({
        entries: rev ? await b.xrevrange(k, e, s, n ?? 100) : await b.xrange(k, s, e, n ?? 100),
      }),
    }),
  ),
  fc.record({ k: key, g: group, i: fc.oneof(fc.constant('$'), fc.constant('0'), id), mk: fc.boolean() }).map(
    ({ k, g, i, mk }): Op => ({
      label: `create ${k} ${g} ${i} ${mk}`,
      http: (api) => api.post(`${base(k)}/groups`, { group: g, id: i, mkStream: mk }),
      direct: async (b) => {
        await b.xgroupCreate(k, g, i, { mkStream: mk });
        return { ok: true };
      },
    }),
  ),
  fc
    .record({
      k: key,
      g: group,
      c: consumer,
      n: count,
      i: fc.oneof({ weight: 3, arbitrary: fc.constant('>') }, { weight: 1, arbitrary: fc.constant('0') }),
    })
    .map(
      ({ k, g, c, n, i }): Op => ({
        label: `read ${k} ${g} ${c} ${n} ${i}`,
        http: (api) =>
          api.get(`${base(k, g)}/consumers/${c}${q({ count: n, id: i === '>' ? undefined : i })}`),
        direct: async (b) => ({
          entries: (await b.xreadgroup(g, c, [[k, i]], { count: n ?? 100 }))?.[0]?.entries ?? [],
        }),
      }),
    ),
  fc.record({ k: key, g: group, ids: fc.array(id, { minLength: 1, maxLength: 3 }) }).map(
    ({ k, g, ids }): Op => ({
      label: `ack ${k} ${g} ${ids}`,
      http: (api) => api.post(`${base(k, g)}/ack`, { ids }),
      direct: async (b) => ({ acked: await b.xack(k, g, ids) }),
    }),
  ),
  fc.record({ k: key, g: group }).map(
    ({ k, g }): Op => ({
      label: `pending ${k} ${g}`,
      http: (api) => api.get(`${base(k, g)}/pending`),
      direct: (b) => b.xpending(k, g),
    }),
  ),
  fc
    .record({
      k: key,
      g: group,
      s: bound,
      e: bound,
      n: fc.integer({ min: 1, max: 5 }),
      c: fc.option(consumer, { nil: undefined }),
    })
    .map(
      ({ k, g, s, e, n, c }): Op => ({
        label: `pendingRange ${k} ${g} ${s} ${e} ${n} ${c}`,
        http: (api) => api.get(`${base(k, g)}/pending${q({ start: s, end: e, count: n, consumer: c })}`),
        direct: async (b) => ({
          entries: await b.xpendingRange(k, g, { start: s, end: e, count: n, consumer: c }),
        }),
      }),
    ),
  fc
    .record({
      k: key,
      g: group,
      c: consumer,
      idle: fc.integer({ min: 0, max: 30 }),
      s: fc.oneof(fc.constant('0-0'), id),
      n: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    })
    .map(
      ({ k, g, c, idle, s, n }): Op => ({
        label: `autoclaim ${k} ${g} ${c} ${idle} ${s} ${n}`,
        http: (api) =>
          api.post(`${base(k, g)}/autoclaim`, { consumer: c, minIdleMs: idle, start: s, count: n }),
        direct: (b) => b.xautoclaim(k, g, c, idle, s, { count: n ?? 100 }),
      }),
    ),
  key.map(
    (k): Op => ({
      label: `info ${k}`,
      http: (api) => api.get(base(k)),
      direct: async (b) => {
        const info = await b.xinfoStream(k);
        const groups = await b.xinfoGroups(k);
        return {
          key: k,
          length: info.length,
          firstId: info.firstEntry?.id ?? null,
          lastId: info.lastEntry?.id ?? null,
          groups: await Promise.all(
            groups.map(async (g) => ({
              name: g.name,
              consumers: await b.xinfoConsumers(k, g.name),
              pending: g.pending,
              lastDeliveredId: g.lastDeliveredId,
              entriesRead: g.entriesRead,
              lag: g.lag,
            })),
          ),
        };
      },
    }),
  ),
  fc.record({ k: key, g: group, c: consumer }).map(
    ({ k, g, c }): Op => ({
      label: `delconsumer ${k} ${g} ${c}`,
      http: (api) => api.delete(`${base(k, g)}/consumers/${c}`),
      direct: async (b) => ({ pending: await b.xgroupDelConsumer(k, g, c) }),
    }),
  ),
  fc.record({ k: key, g: group }).map(
    ({ k, g }): Op => ({
      label: `destroy ${k} ${g}`,
      http: (api) => api.delete(base(k, g)),
      direct: async (b) => ({ destroyed: (await b.xgroupDestroy(k, g)) === 1 }),
    }),
  ),
);

const step = fc.oneof(
  { weight: 12, arbitrary: op },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20 }) },
);

async function runScript(clock: ManualClock, steps: Array<Op | number>): Promise<void> {
  const reference = new MemoryBroker({ clock });
  const spool = createSpoolInstance({ broker: new MemoryBroker({ clock }), clock });
  const api = apiOf(spool, 'admin');
  try {
    for (const s of steps) {
      if (typeof s === 'number') {
        clock.advance(s);
        continue;
      }
      let expected: { ok: true; value: unknown } | { ok: false; code: string };
      try {
        expected = { ok: true, value: JSON.parse(JSON.stringify(await s.direct(reference))) };
      } catch (err) {
        if (!isSpoolError(err)) throw err;
        expected = { ok: false, code: err.code };
      }
      const reply = await s.http(api);
      const got =
        reply.status < 300
          ? { ok: true, value: reply.body }
          : { ok: false, code: (reply.body as { error: { code: string } }).error.code };
      expect({ step: s.label, ...got }).toEqual({ step: s.label, ...expected });
    }
  } finally {
    await spool.close();
  }
}

describe('broker routes against the broker', () => {
  it('give the broker’s replies and error codes for random command sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), async (steps) => {
        await runScript(createManualClock(1_700_000_000_000), steps);
      }),
      { numRuns: 60 },
    );
  });
});
