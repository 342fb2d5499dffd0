import { expect, it } from 'vitest';
import { type BrokerFixture, elapse, expectCode, fill, ids } from './fixture';

/** Consumer groups: XGROUP, XREADGROUP, XACK, XPENDING, XINFO GROUPS / CONSUMERS and lag (after stream-cgroups.tcl). */
export function groupCases(get: () => BrokerFixture): void {
  it('XGROUP CREATE: NO_SUCH_KEY without MKSTREAM, BUSYGROUP twice, INVALID_STREAM_ID, ENTRIESREAD checks', async () => {
    const { broker } = get();
    await expectCode(broker.xgroupCreate('s', 'g', '$'), 'NO_SUCH_KEY');
    await broker.xgroupCreate('s', 'g', '$', { mkStream: true });
    expect(await broker.xlen('s')).toBe(0);
    await expectCode(broker.xgroupCreate('s', 'g', '0'), 'BUSYGROUP');
    await expectCode(broker.xgroupCreate('s', 'g2', 'bad'), 'INVALID_STREAM_ID');
    await expectCode(broker.xgroupCreate('s', 'g2', '-'), 'INVALID_STREAM_ID');
    await expectCode(broker.xgroupCreate('s', 'g2', '0', { entriesRead: -2 }), 'SYNTAX_ERROR');
    expect((await broker.xinfoGroups('s')).map((g) => g.name)).toEqual(['g']);
  });

  it('XREADGROUP on a missing key or group fails with NOGROUP; $ is INVALID_STREAM_ID', async () => {
    const { broker } = get();
    await expectCode(broker.xreadgroup('g', 'c', [['s', '>']]), 'NOGROUP');
    await fill(broker, 's', 1, 1);
    await expectCode(broker.xreadgroup('g', 'c', [['s', '>']]), 'NOGROUP');
    await broker.xgroupCreate('s', 'g', '0');
    await expectCode(broker.xreadgroup('g', 'c', [['s', '$']]), 'INVALID_STREAM_ID');
    await expectCode(broker.xreadgroup('g', 'c', [['s', 'x']]), 'INVALID_STREAM_ID');
  });

  it('XREADGROUP > delivers each entry to one consumer, in order, COUNT at a time', async () => {
    const { broker } = get();
    await fill(broker, 's', 1, 5);
    await broker.xgroupCreate('s', 'g', '0');
    const a = await broker.xreadgroup('g', 'alice', [['s', '>']], { count: 2 });
    const b = await broker.xreadgroup('g', 'bob', [['s', '>']]);
    expect(ids(a![0]!.entries)).toEqual(['1-0', '2-0']);
    expect(ids(b![0]!.entries)).toEqual(['3-0', '4-0', '5-0']);
    expect(await broker.xreadgroup('g', 'carol', [['s', '>']])).toBeNull();
    expect(await broker.xpending('s', 'g')).toEqual({
      count: 5,
      smallest: '1-0',
      largest: '5-0',
      consumers: [
        { name: 'alice', pending: 2 },
        { name: 'bob', pending: 3 },
      ],
    });
    expect((await broker.xinfoConsumers('s', 'g')).map((c) => c.name)).toEqual(['alice', 'bob']);
  });

  it('XREADGROUP with the largest possible ID reads new entries, as > does (Redis 7.0 encodes > so)', async () => {
    const { broker } = get();
    await fill(broker, 's', 1, 2);
    await broker.xgroupCreate('s', 'g', '0');
    const max = '18446744073709551615-18446744073709551615';
    expect(ids((await broker.xreadgroup('g', 'c', [['s', max]]))![0]!.entries)).toEqual(['1-0', '2-0']);
    expect(await broker.xreadgroup('g', 'c', [['s', max]])).toBeNull();
  });

  it('a group created with $ only sees entries added later', async () => {
    const { broker } = get();
    await fill(broker, 's', 1, 3);
    await broker.xgroupCreate('s', 'g', '$');
    expect(await broker.xreadgroup('g', 'c', [['s', '>']])).toBeNull();
    await broker.xadd('s', { n: '4' }, { id: '4-0' });
    expect(ids((await broker.xreadgroup('g', 'c', [['s', '>']]))![0]!.entries)).toEqual(['4-0']);
  });

  it('history reads return only this consumer’s pending entries after the ID, deleted ones with null fields', async () => {
    const { broker } = get();
    await fill(broker, 's', 1, 4);
    await broker.xgroupCreate('s', 'g', '0');
    await broker.xreadgroup('g', 'c1', [['s', '>']], { count: 3 });
    await broker.xreadgroup('g', 'c2', [['s', '>']]);
    expect(await broker.xack('s', 'g', ['2-0'])).toBe(1);
    await broker.xdel('s', ['3-0']);
    expect(await broker.xreadgroup('g', 'c1', [['s', '0']])).toEqual([
      {
        key: 's',
        entries: [
          { id: '1-0', fields: { n: '1' } },
          { id: '3-0', fields: null },
        ],
      },
    ]);
    expect(ids((await broker.xreadgroup('g', 'c1', [['s', '1-0']]))![0]!.entries)).toEqual(['3-0']);
    expect(ids((await broker.xreadgroup('g', 'c1', [['s', '0']], { count: 1 }))![0]!.entries)).toEqual([
      '1-0',
    ]);
    expect(ids((await broker.xreadgroup('g', 'c2', [['s', '0']]))![0]!.entries)).toEqual(['4-0']);
  });

  it('delivery counts: history reads count, deleted entries do not', async () => {
    const { broker } = get();
    await fill(broker, 's', 1, 2);
    await broker.xgroupCreate('s', 'g', '0');
    await broker.xreadgroup('g', 'c', [['s', '>']]);
    await broker.xreadgroup('g', 'c', [['s', '0']]);
    await broker.xdel('s', ['2-0']);
    await broker.xreadgroup('g', 'c', [['s', '0']]);
    const pending = await broker.xpendingRange('s', 'g', { count: 10 });
    expect(pending.map((p) => [p.id, p.consumer, p.deliveries])).toEqual([
      ['1-0', 'c', 3],
      ['2-0', 'c', 2],
    ]);
  });

  it('XACK counts acknowledged IDs and answers 0 for a missing key or group', async () => {
    const { broker } = get();
    await fill(broker, 's', 1, 3);
    await broker.xgroupCreate('s', 'g', '0');
    await broker.xreadgroup('g', 'c', [['s', '>']]);
    expect(await broker.xack('s', 'g', ['1-0', '2-0', '9-0'])).toBe(2);
    expect(await broker.xack('s', 'g', ['1-0'])).toBe(0);
    expect(await broker.xack('s', 'nogroup', ['3-0'])).toBe(0);
    expect(await broker.xack('missing', 'g', ['3-0'])).toBe(0);
    await expectCode(broker.xack('s', 'g', ['3-0', 'bad']), 'INVALID_STREAM_ID');
    expect(await broker.xpending('s', 'g')).toMatchObject({ count: 1, smallest: '3-0', largest: '3-0' });
    expect(await broker.xack('s', 'g', ['3-0'])).toBe(1);
    expect(await broker.xpending('s', 'g')).toEqual({
      count: 0,
      smallest: null,
      largest: null,
      consumers: [],
    });
  });

  it('XPENDING errors with NOGROUP; the extended form filters by range, consumer, count and idle', async () => {
    const f = get();
    const { broker } = f;
    await expectCode(broker.xpending('s', 'g'), 'NOGROUP');
    await expectCode(broker.xpendingRange('s', 'g', { count: 1 }), 'NOGROUP');
    await fill(broker, 's', 1, 6);
    await broker.xgroupCreate('s', 'g', '0');
    await broker.xreadgroup('g', 'a', [['s', '>']], { count: 3 });
    await broker.xreadgroup('g', 'b', [['s', '>']]);
    expect(ids(await broker.xpendingRange('s', 'g', { count: 2 }))).toEqual(['1-0', '2-0']);
    expect(ids(await broker.xpendingRange('s', 'g', { start: '(2-0', end: '5', count: 10 }))).toEqual([
      '3-0',
      '4-0',
      '5-0',
    ]);
    expect(ids(await broker.xpendingRange('s', 'g', { count: 10, consumer: 'b' }))).toEqual([
      '4-0',
      '5-0',
      '6-0',
    ]);
    expect(await broker.xpendingRange('s', 'g', { count: 10, consumer: 'nobody' })).toEqual([]);
    expect(await broker.xpendingRange('s', 'g', { count: -1 })).toEqual([]);
    await broker.xclaim('s', 'g', 'a', 0, ['2-0', '5-0'], { idle: 60_000, justId: true });
    const old = await broker.xpendingRange('s', 'g', { count: 10, idle: 30_000 });
    expect(old.map((p) => [p.id, p.consumer])).toEqual([
      ['2-0', 'a'],
      ['5-0', 'a'],
    ]);
    for (const p of old) expect(p.idle).toBeGreaterThanOrEqual(60_000);
    const waited = await elapse(f, 250);
    const [first] = await broker.xpendingRange('s', 'g', { count: 1 });
    expect(first!.idle).toBeGreaterThanOrEqual(waited);
    await expectCode(broker.xpendingRange('s', 'g', { start: 'x', count: 1 }), 'INVALID_STREAM_ID');
  });

  it('XINFO GROUPS and CONSUMERS report pending counts, idle times, and errors', async () => {
    const f = get();
    const { broker } = f;
    await expectCode(broker.xinfoGroups('s'), 'NO_SUCH_KEY');
    await expectCode(broker.xinfoConsumers('s', 'g'), 'NO_SUCH_KEY');
    await fill(broker, 's', 1, 3);
    expect(await broker.xinfoGroups('s')).toEqual([]);
    await expectCode(broker.xinfoConsumers('s', 'g'), 'NOGROUP');
    await broker.xgroupCreate('s', 'g', '0');
    await broker.xgroupCreate('s', 'a-first', '$');
    await broker.xreadgroup('g', 'zed', [['s', '>']], { count: 1 });
    await broker.xreadgroup('g', 'amy', [['s', '>']], { count: 1 });
    const waited = await elapse(f, 1_500);
    const groups = await broker.xinfoGroups('s');
    expect(groups).toEqual([
      { name: 'a-first', consumers: 0, pending: 0, lastDeliveredId: '3-0', entriesRead: null, lag: 0 },
      { name: 'g', consumers: 2, pending: 2, lastDeliveredId: '2-0', entriesRead: 2, lag: 1 },
    ]);
    const consumers = await broker.xinfoConsumers('s', 'g');
    expect(consumers.map((c) => [c.name, c.pending])).toEqual([
      ['amy', 1],
      ['zed', 1],
    ]);
    for (const c of consumers) expect(c.idle).toBeGreaterThanOrEqual(waited);
    if (f.clock) expect(consumers[0]!.idle).toBe(1_500);
  });

  it('group read counter and lag follow Redis, including XDEL tombstones and trimming', async () => {
    const { broker } = get();
    await fill(broker, 's', 1, 5);
    await broker.xgroupCreate('s', 'g', '0');
    const lag = async (group: string) => {
      const g = (await broker.xinfoGroups('s')).find((x) => x.name === group)!;
      return [g.entriesRead, g.lag];
    };
    expect(await lag('g')).toEqual([null, 5]);
    await broker.xreadgroup('g', 'c', [['s', '>']], { count: 1 });
    expect(await lag('g')).toEqual([1, 4]);
    await broker.xreadgroup('g', 'c', [['s', '>']]);
    expect(await lag('g')).toEqual([5, 0]);
    await broker.xadd('s', { n: '6' }, { id: '6-0' });
    expect(await lag('g')).toEqual([5, 1]);

    await broker.xdel('s', ['3-0']);
    await broker.xgroupCreate('s', 'h', '0');
    await broker.xgroupCreate('s', 'k', '0');
    expect(await lag('h')).toEqual([null, null]);
    await broker.xreadgroup('h', 'c', [['s', '>']], { count: 1 });
    expect(await lag('h')).toEqual([null, null]);
    await broker.xreadgroup('h', 'c', [['s', '>']], { count: 2 });
    expect(await lag('h')).toEqual([null, null]);
    await broker.xreadgroup('h', 'c', [['s', '>']], { count: 2 });
    expect(await lag('h')).toEqual([6, 0]);
    await broker.xtrim('s', { minId: '4-0' });
    expect(await lag('k')).toEqual([null, 3]);
    await broker.xgroupSetId('s', 'k', '5-0', { entriesRead: 5 });
    expect(await lag('k')).toEqual([5, 1]);
    await broker.xgroupSetId('s', 'k', '$');
    expect(await lag('k')).toEqual([null, 0]);
  });

  it('the read counter only checks for tombstones after the delivered entry (Redis 7.0)', async () => {
    const { broker } = get();
    await fill(broker, 's', 1, 5);
    await broker.xgroupCreate('s', 'g', '0');
    await broker.xreadgroup('g', 'c', [['s', '>']], { count: 2 });
    await broker.xdel('s', ['3-0']);
    await broker.xreadgroup('g', 'c', [['s', '>']], { count: 1 });
    expect(await broker.xinfoGroups('s')).toMatchObject([{ lastDeliveredId: '4-0', entriesRead: 3, lag: 2 }]);
  });

  it('XGROUP SETID moves the group back so entries are delivered again, to their new reader', async () => {
    const { broker } = get();
    await expectCode(broker.xgroupSetId('s', 'g', '0'), 'NO_SUCH_KEY');
    await fill(broker, 's', 1, 3);
    await expectCode(broker.xgroupSetId('s', 'g', '0'), 'NOGROUP');
    await broker.xgroupCreate('s', 'g', '0');
    await broker.xreadgroup('g', 'a', [['s', '>']]);
    await broker.xgroupSetId('s', 'g', '1-0');
    expect(ids((await broker.xreadgroup('g', 'b', [['s', '>']]))![0]!.entries)).toEqual(['2-0', '3-0']);
    const pending = await broker.xpendingRange('s', 'g', { count: 10 });
    expect(pending.map((p) => [p.id, p.consumer, p.deliveries])).toEqual([
      ['1-0', 'a', 1],
      ['2-0', 'b', 1],
      ['3-0', 'b', 1],
    ]);
    await broker.xgroupSetId('s', 'g', '-');
    expect((await broker.xinfoGroups('s'))[0]!.lastDeliveredId).toBe('0-0');
  });

  it('XGROUP CREATECONSUMER, DELCONSUMER (returns and drops its pending entries) and DESTROY', async () => {
    const { broker } = get();
    await expectCode(broker.xgroupCreateConsumer('s', 'g', 'c'), 'NO_SUCH_KEY');
    await expectCode(broker.xgroupDestroy('s', 'g'), 'NO_SUCH_KEY');
    await fill(broker, 's', 1, 3);
    await expectCode(broker.xgroupCreateConsumer('s', 'g', 'c'), 'NOGROUP');
    await expectCode(broker.xgroupDelConsumer('s', 'g', 'c'), 'NOGROUP');
    await broker.xgroupCreate('s', 'g', '0');
    expect(await broker.xgroupCreateConsumer('s', 'g', 'idle')).toBe(1);
    expect(await broker.xgroupCreateConsumer('s', 'g', 'idle')).toBe(0);
    await broker.xreadgroup('g', 'busy', [['s', '>']], { count: 2 });
    expect(await broker.xgroupDelConsumer('s', 'g', 'nobody')).toBe(0);
    expect(await broker.xgroupDelConsumer('s', 'g', 'busy')).toBe(2);
    expect(await broker.xpending('s', 'g')).toMatchObject({ count: 0 });
    expect((await broker.xinfoConsumers('s', 'g')).map((c) => c.name)).toEqual(['idle']);
    expect(await broker.xgroupDestroy('s', 'g')).toBe(1);
    expect(await broker.xgroupDestroy('s', 'g')).toBe(0);
    expect(await broker.xinfoGroups('s')).toEqual([]);
  });
}
