import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSpoolError } from '../errors';
import { compareEventIds, formatEventId } from '../protocol/event-id';
import { createManualClock } from '../time/clock';
import { MemoryTopicLog } from './memory-topic-log';
import { resolveTopicRetention, type TrimRules } from './retention';
import { encodeTopicPayload, type TopicEvent } from './topic-event';

const payload = (n: number) => encodeTopicPayload('message', { n });
const rules = (over: Partial<TrimRules> = {}): TrimRules => ({
  ...resolveTopicRetention({ maxEvents: 1_000_000, maxBytes: 2 ** 40 }),
  isPinned: () => false,
  ...over,
});

async function fill(log: MemoryTopicLog, n: number, trim?: TrimRules): Promise<TopicEvent[]> {
  const out: TopicEvent[] = [];
  for (let i = 0; i < n; i++) out.push(await log.append(payload(i), trim));
  return out;
}

describe('MemoryTopicLog', () => {
  it('generates IDs by Redis rule on its clock, also when the clock goes back', async () => {
    const clock = createManualClock(1000);
    const log = new MemoryTopicLog({ clock });
    const ids: string[] = [];
    ids.push((await log.append(payload(0))).id);
    ids.push((await log.append(payload(1))).id);
    clock.advance(5);
    ids.push((await log.append(payload(2))).id);
    const back = createManualClock(900); // a clock that went back
    const log2 = new MemoryTopicLog({ clock: back });
    await log2.append({ ...payload(0), id: { ms: 1005, seq: 7 } });
    ids.push((await log2.append(payload(1))).id);
    expect(ids).toEqual(['1000-0', '1000-1', '1005-0', '1005-8']);
    expect(log.lastId).toBe('1005-0');
  });

  it('appends with an explicit ID only when it is greater than the last', async () => {
    // A replica of older IDs declares where its history starts.
    const log = new MemoryTopicLog({ clock: createManualClock(50), creationFloor: '0-0' });
    await log.append({ ...payload(0), id: { ms: 10, seq: 5 } });
    for (const id of [
      { ms: 10, seq: 5 },
      { ms: 9, seq: 99 },
      { ms: 0, seq: 0 },
    ]) {
      const err = await log.append({ ...payload(1), id }).catch((e: unknown) => e);
      expect(isSpoolError(err) && err.code).toBe('ID_TOO_SMALL');
    }
    expect((await log.append({ ...payload(2), id: { ms: 10, seq: 6 } })).id).toBe('10-6');
    expect(log.length).toBe(2);
  });

  it('starts with its floor just below the first ID it issues, and keeps it until it trims', async () => {
    const clock = createManualClock(1_700_000_000_000);
    const log = new MemoryTopicLog({ clock });
    expect(log.creationFloor).toBe('1699999999999-9007199254740991');
    expect(log.floor).toBe(log.creationFloor);
    expect(await log.read(log.creationFloor, 0)).toEqual({
      events: [],
      floor: log.creationFloor,
      holdsAfter: false,
    });
    const [a, b] = await fill(log, 2);
    expect(a!.id).toBe('1700000000000-0');
    // nothing can lie between the floor and the first ID
    expect(compareEventIds(log.floor, a!.id)).toBeLessThan(0);
    expect(await log.trim(rules({ maxEvents: 1 }))).toBe(1);
    expect([log.floor, log.creationFloor]).toEqual([a!.id, '1699999999999-9007199254740991']);
    expect((await log.read(b!.id, 0)).holdsAfter).toBe(true);
    expect((await log.read(a!.id, 0)).holdsAfter).toBe(false);
    // at time 0 the floor is 0-0, the smallest ID
    expect(new MemoryTopicLog({ clock: createManualClock(0) }).floor).toBe('0-0');
  });

  it('refuses an explicit ID at or below its floor', async () => {
    const log = new MemoryTopicLog({ clock: createManualClock(50), creationFloor: '40-0' });
    const err = await log.append({ ...payload(0), id: { ms: 40, seq: 0 } }).catch((e: unknown) => e);
    expect(isSpoolError(err) && err.code).toBe('ID_TOO_SMALL');
    expect((await log.append(payload(1))).id).toBe('50-0');
  });

  it('reads after any ID exactly like a filter over the retained events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 200 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 8 })), {
          maxLength: 20,
        }),
        fc.integer({ min: 1, max: 50 }),
        async (n, keep, probes, limit) => {
          const clock = createManualClock(0);
          const log = new MemoryTopicLog({ clock });
          const all: TopicEvent[] = [];
          for (let i = 0; i < n; i++) {
            if (i % 3 === 0) clock.advance(1);
            all.push(await log.append(payload(i), rules({ maxEvents: Math.max(1, keep) })));
          }
          const retained = all.slice(Math.max(0, n - Math.max(1, keep)));
          for (const [ms, seq] of probes) {
            const after = formatEventId({ ms, seq });
            const page = await log.read(after, limit);
            const expected = retained.filter((e) => compareEventIds(e.id, after) > 0).slice(0, limit);
            expect(page.events.map((e) => e.id)).toEqual(expected.map((e) => e.id));
            expect(page.holdsAfter, after).toBe(retained.some((e) => e.id === after));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('trims by count, by bytes and by age, and tracks the floor', async () => {
    const clock = createManualClock(0);
    const log = new MemoryTopicLog({ clock });
    const events = await fill(log, 10, rules({ maxEvents: 4 }));
    expect(log.length).toBe(4);
    expect(log.firstId).toBe(events[6]!.id);
    expect(log.floor).toBe(events[5]!.id);
    expect(log.bytes).toBe(events.slice(6).reduce((s, e) => s + e.size, 0));

    const size = events[0]!.size;
    const dropped: string[] = [];
    const onDrop = (ev: TopicEvent) => dropped.push(ev.id);
    expect(await log.trim(rules({ maxBytes: 2 * size, onDrop }))).toBe(2);
    expect(dropped).toEqual([events[6]!.id, events[7]!.id]);

    clock.advance(1000);
    const entered: string[] = [];
    const fresh = await log.append(payload(99), rules({ onAppend: (ev) => entered.push(ev.id) }));
    expect(entered).toEqual([fresh.id]);
    expect(await log.trim(rules({ maxAgeMs: 500, onDrop }))).toBe(2);
    expect(dropped.slice(2)).toEqual([events[8]!.id, events[9]!.id]);
    expect(log.firstId).toBe(fresh.id);
    expect((await log.read('0-0', 10)).floor).toBe(events[9]!.id);
  });

  it('stops soft trimming at a pinned head; the hard limits still win', async () => {
    const log = new MemoryTopicLog({ clock: createManualClock(0) });
    const events = await fill(log, 3);
    const pinned = new Set([events[1]!.id]);
    const isPinned = (ev: TopicEvent) => pinned.has(ev.id);
    const more = await fill(log, 4, rules({ maxEvents: 2, hardMaxEvents: 6, isPinned }));
    expect(log.length).toBe(6);
    expect(log.firstId).toBe(events[1]!.id);
    more.push(...(await fill(log, 1, rules({ maxEvents: 2, hardMaxEvents: 6, isPinned }))));
    // events[0] went; events[1] was pinned and held everything behind it, up to the hard
    // cap of 6; squeezed out then, it let the soft limit trim down to 2 again
    expect(log.length).toBe(2);
    expect(log.floor).toBe(more[2]!.id);
    expect(log.firstId).toBe(more[3]!.id);
  });

  it('stays correct across many head compactions', async () => {
    const log = new MemoryTopicLog({ clock: createManualClock(0) });
    const events = await fill(log, 10_000, rules({ maxEvents: 100 }));
    expect(log.length).toBe(100);
    const page = await log.read(events[9_949]!.id, 10);
    expect(page.events.map((e) => e.id)).toEqual(events.slice(9_950, 9_960).map((e) => e.id));
    expect((await log.read('0-0', 1)).events[0]!.id).toBe(events[9_900]!.id);
  });

  it('empties on close', async () => {
    const log = new MemoryTopicLog();
    await fill(log, 3);
    await log.close();
    expect(log.length).toBe(0);
    expect(log.bytes).toBe(0);
  });
});
