import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Clock, createManualClock, realClock } from '../time/clock';
import { MemoryBroker, memoryBrokerDefaults, memoryBrokerServeLimits } from './memory-broker';
import { streamOverview } from './stream-overview';
import { brokerContract } from './testing';

brokerContract('MemoryBroker', () => {
  const clock = createManualClock(1_700_000_000_000);
  const broker = new MemoryBroker({ clock });
  return { broker, clock, blockedReaders: async () => broker.blockedReaders };
});

/** A clock that can also go back, like a wall clock corrected by NTP. */
function settableClock(start: number): Clock & { set(ms: number): void } {
  let now = start;
  return {
    ...realClock,
    now: () => now,
    set(ms) {
      now = ms;
    },
  };
}

describe('MemoryBroker', () => {
  it('generates auto IDs from its clock, by Redis’s rule when the clock goes back', async () => {
    const clock = settableClock(5_000);
    const broker = new MemoryBroker({ clock });
    expect(await broker.xadd('s', { f: 'v' })).toBe('5000-0');
    expect(await broker.xadd('s', { f: 'v' })).toBe('5000-1');
    clock.set(4_000);
    expect(await broker.xadd('s', { f: 'v' })).toBe('5000-2');
    clock.set(6_000);
    expect(await broker.xadd('s', { f: 'v' })).toBe('6000-0');
  });

  it('is plain Redis by default: no stream cap, no pending cap', async () => {
    expect(memoryBrokerDefaults).toEqual({
      maxStreamLength: Infinity,
      maxPendingMessages: Infinity,
      maxOnceKeys: 100_000,
    });
    const broker = new MemoryBroker({ clock: createManualClock(1) });
    for (let i = 0; i < 2_000; i++) await broker.xadd('s', { i: String(i) });
    expect(await broker.xlen('s')).toBe(2_000);
    await broker.xgroupCreate('s', 'g', '0');
    const reply = await broker.xreadgroup('g', 'c', [['s', '>']]);
    expect(reply![0]!.entries).toHaveLength(2_000);
  });

  it('maxStreamLength trims on every add like MAXLEN ~ (whole nodes of 100)', async () => {
    const broker = new MemoryBroker({ clock: createManualClock(1), maxStreamLength: 250 });
    const lengths: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      await broker.xadd('s', { i: String(i) });
      lengths.push(await broker.xlen('s'));
    }
    expect(Math.max(...lengths)).toBeLessThan(350);
    expect(Math.min(...lengths.slice(250))).toBeGreaterThanOrEqual(250);
    const [last] = await broker.xrevrange('s', '+', '-', 1);
    expect(last!.fields).toEqual({ i: '999' });
    expect(memoryBrokerServeLimits).toEqual({ maxStreamLength: 10_000, maxPendingMessages: 1_000 });
  });

  it('maxPendingMessages holds back new deliveries until acks make room', async () => {
    const broker = new MemoryBroker({ clock: createManualClock(1), maxPendingMessages: 3 });
    await broker.xgroupCreate('s', 'g', '0', { mkStream: true });
    for (let i = 1; i <= 6; i++) await broker.xadd('s', { n: String(i) }, { id: `${i}-0` });
    const first = await broker.xreadgroup('g', 'c', [['s', '>']], { count: 10 });
    expect(first![0]!.entries.map((e) => e.id)).toEqual(['1-0', '2-0', '3-0']);
    expect(await broker.xreadgroup('g', 'c', [['s', '>']])).toBeNull();
    // Other consumers have their own allowance; NOACK reads add nothing to a PEL.
    expect((await broker.xreadgroup('g', 'other', [['s', '>']], { count: 1 }))![0]!.entries).toHaveLength(1);
    expect(
      (await broker.xreadgroup('g', 'c', [['s', '>']], { count: 1, noAck: true }))![0]!.entries,
    ).toHaveLength(1);
    const blocked = broker.xreadgroup('g', 'c', [['s', '>']], { block: 0 });
    expect(broker.blockedReaders).toBe(1);
    await broker.xack('s', 'g', ['1-0', '2-0']);
    expect((await blocked)![0]!.entries.map((e) => e.id)).toEqual(['6-0']);
    expect(await broker.xpending('s', 'g')).toMatchObject({ count: 3 });
  });

  it('xaddOnce remembers its maxOnceKeys most recent keys; an older one adds again', async () => {
    const broker = new MemoryBroker({ clock: createManualClock(1), maxOnceKeys: 2 });
    const a = await broker.xaddOnce('s', 'a', { k: 'a' });
    await broker.xaddOnce('s', 'b', { k: 'b' });
    expect(await broker.xaddOnce('s', 'a', { k: 'a' })).toEqual({ id: a.id, added: false });
    await broker.xaddOnce('s', 'c', { k: 'c' });
    // 'a' was the least recently added of three: forgotten, so it adds a second entry.
    expect((await broker.xaddOnce('s', 'a', { k: 'a' })).added).toBe(true);
    expect(await broker.xlen('s')).toBe(4);
  });

  it('validates its options eagerly', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => new MemoryBroker({ maxOnceKeys: bad })).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION' }),
      );
      expect(() => new MemoryBroker({ maxStreamLength: bad })).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION' }),
      );
      expect(() => new MemoryBroker({ maxPendingMessages: bad })).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION' }),
      );
    }
  });

  it('XACK matches a set model whatever the order, duplicates and spelling of the IDs', async () => {
    // XACK walks the PEL from the previous hit before it parses and searches: lists in
    // delivery order, reversed, shuffled, repeated or spelled with leading zeros must all
    // count the same.
    const spell = fc.constantFrom('canonical', 'zeros', 'copy');
    const ackList = fc.record({
      from: fc.nat({ max: 60 }),
      length: fc.integer({ min: 1, max: 25 }),
      order: fc.constantFrom('delivery', 'reversed', 'shuffled'),
      duplicate: fc.boolean(),
      spelling: spell,
      seed: fc.nat(),
    });
    // Three entries per millisecond, so that IDs differ in either part.
    const idOf = (n: number) => `${Math.floor(n / 3) + 1}-${n % 3}`;
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('read' as const),
        consumer: fc.nat({ max: 2 }),
        count: fc.integer({ min: 1, max: 20 }),
      }),
      fc.record({ kind: fc.constant('ack' as const), list: ackList }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const broker = new MemoryBroker({ clock: createManualClock(1) });
        for (let i = 1; i <= 60; i++) await broker.xadd('s', { n: String(i) }, { id: idOf(i) });
        await broker.xgroupCreate('s', 'g', '0');
        const pending = new Set<number>();
        for (const st of steps) {
          if (st.kind === 'read') {
            const reply = await broker.xreadgroup('g', `c${st.consumer}`, [['s', '>']], { count: st.count });
            for (const e of reply?.[0]?.entries ?? []) pending.add(Number(e.fields!['n']));
            continue;
          }
          const { from, length, order, duplicate, spelling, seed } = st.list;
          let ns = Array.from({ length }, (_, i) => from + i + 1);
          if (order === 'reversed') ns.reverse();
          if (order === 'shuffled')
            ns = ns
              .map((n, i) => [((seed * (i + 7)) % 31) as number, n] as const)
              .sort((a, b) => a[0] - b[0])
              .map(([, n]) => n);
          if (duplicate) ns = [...ns, ...ns.slice(0, 3)];
          const texts = ns.map((n) => {
            const [ms, seq] = idOf(n).split('-');
            return spelling === 'zeros'
              ? `00${ms}-00${seq}`
              : spelling === 'copy'
                ? [ms, '-', seq].join('')
                : idOf(n);
          });
          const expected = new Set(ns.filter((n) => pending.has(n))).size;
          expect(await broker.xack('s', 'g', texts)).toBe(expected);
          for (const n of ns) pending.delete(n);
        }
        const summary = await broker.xpending('s', 'g');
        expect(summary.count).toBe(pending.size);
        const rest = await broker.xpendingRange('s', 'g', { start: '-', end: '+', count: 100 });
        expect(rest.map((p) => p.id)).toEqual([...pending].sort((a, b) => a - b).map(idOf));
      }),
      { numRuns: 150 },
    );
  });

  it('an invalid ID anywhere in XACK fails the call and acknowledges nothing', async () => {
    const broker = new MemoryBroker({ clock: createManualClock(1) });
    for (let i = 1; i <= 5; i++) await broker.xadd('s', { f: 'v' }, { id: `${i}-0` });
    await broker.xgroupCreate('s', 'g', '0');
    const reply = await broker.xreadgroup('g', 'c', [['s', '>']]);
    const ids = reply![0]!.entries.map((e) => e.id);
    await expect(broker.xack('s', 'g', [...ids.slice(0, 3), 'nope', ...ids.slice(3)])).rejects.toMatchObject({
      code: 'INVALID_STREAM_ID',
    });
    expect((await broker.xpending('s', 'g')).count).toBe(5);
    expect(await broker.xack('s', 'g', ids)).toBe(5);
  });

  it('replies cannot change the stream: the shared fields record is frozen', async () => {
    const broker = new MemoryBroker({ clock: createManualClock(1) });
    const input = { f: 'v' };
    await broker.xadd('s', input, { id: '1-0' });
    input.f = 'changed after xadd';
    const [entry] = await broker.xrange('s', '-', '+');
    expect(Object.isFrozen(entry!.fields)).toBe(true);
    expect(() => {
      (entry!.fields as Record<string, string>)['f'] = 'changed';
    }).toThrow(TypeError);
    expect((await broker.xrange('s', '-', '+'))[0]!.fields).toEqual({ f: 'v' });
  });

  it('keeps a field named __proto__ as data, from a record too', async () => {
    const broker = new MemoryBroker({ clock: createManualClock(1) });
    await broker.xadd('s', JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, string>, { id: '1-0' });
    const [entry] = await broker.xrange('s', '-', '+');
    expect(Object.entries(entry!.fields!)).toEqual([
      ['__proto__', 'x'],
      ['a', 'b'],
    ]);
    expect(Object.getPrototypeOf(entry!.fields)).toBe(Object.prototype);
  });

  it('keeps a field named __proto__ as data', async () => {
    const broker = new MemoryBroker({ clock: createManualClock(1) });
    await broker.xadd(
      's',
      [
        ['__proto__', 'x'],
        ['a', 'b'],
      ],
      { id: '1-0' },
    );
    const [entry] = await broker.xrange('s', '-', '+');
    expect(Object.entries(entry!.fields!)).toEqual([
      ['__proto__', 'x'],
      ['a', 'b'],
    ]);
  });

  it('streamOverview gathers the stream, its groups and their consumers (null for a missing key)', async () => {
    const broker = new MemoryBroker({ clock: createManualClock(1) });
    expect(await streamOverview(broker, 'jobs')).toBeNull();
    await broker.xadd('jobs', { f: 'v' }, { id: '1-0' });
    await broker.xgroupCreate('jobs', 'b', '0');
    await broker.xgroupCreate('jobs', 'a', '$');
    await broker.xreadgroup('b', 'w1', [['jobs', '>']]);
    const overview = await streamOverview(broker, 'jobs');
    expect(overview).toMatchObject({ key: 'jobs', length: 1, groups: 2 });
    expect(overview!.groupList.map((g) => [g.name, g.pending, g.consumerList.map((c) => c.name)])).toEqual([
      ['a', 0, []],
      ['b', 1, ['w1']],
    ]);
  });
});
