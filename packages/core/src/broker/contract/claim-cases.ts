import { expect, it } from 'vitest';
import { type BrokerFixture, elapse, expectCode, fill, ids } from './fixture';

/** XCLAIM and XAUTOCLAIM, with idle times, delivery counts and deleted entries. */
export function claimCases(get: () => BrokerFixture): void {
  async function setup(f: BrokerFixture, n: number) {
    await fill(f.broker, 's', 1, n);
    await f.broker.xgroupCreate('s', 'g', '0');
    await f.broker.xreadgroup('g', 'dead', [['s', '>']]);
  }

  it('XCLAIM moves idle entries, respects min-idle-time and counts the delivery', async () => {
    const f = get();
    await setup(f, 3);
    await f.broker.xclaim('s', 'g', 'dead', 0, ['1-0', '2-0'], { idle: 10_000, justId: true });
    expect(await f.broker.xclaim('s', 'g', 'live', 20_000, ['1-0', '2-0', '3-0'])).toEqual([]);
    expect(await f.broker.xinfoConsumers('s', 'g')).toMatchObject([{ name: 'dead' }]);
    const claimed = await f.broker.xclaim('s', 'g', 'live', 5_000, ['1-0', '2-0', '3-0']);
    expect(claimed).toEqual([
      { id: '1-0', fields: { n: '1' } },
      { id: '2-0', fields: { n: '2' } },
    ]);
    const pending = await f.broker.xpendingRange('s', 'g', { count: 10 });
    expect(pending.map((p) => [p.id, p.consumer, p.deliveries])).toEqual([
      ['1-0', 'live', 2],
      ['2-0', 'live', 2],
      ['3-0', 'dead', 1],
    ]);
    expect(pending[0]!.idle).toBeLessThan(10_000);
    await expectCode(f.broker.xclaim('s', 'nogroup', 'c', 0, ['1-0']), 'NOGROUP');
    await expectCode(f.broker.xclaim('s', 'g', 'c', 0, ['1-0', 'bad']), 'INVALID_STREAM_ID');
  });

  it('XCLAIM options: JUSTID leaves the count, RETRYCOUNT sets it, TIME and IDLE set the delivery time', async () => {
    const f = get();
    await setup(f, 3);
    expect(await f.broker.xclaim('s', 'g', 'c', 0, ['1-0'], { justId: true })).toEqual(['1-0']);
    await f.broker.xclaim('s', 'g', 'c', 0, ['2-0'], { retryCount: 7 });
    await f.broker.xclaim('s', 'g', 'c', 0, ['3-0'], { time: (f.clock?.now() ?? Date.now()) - 3_600_000 });
    const pending = await f.broker.xpendingRange('s', 'g', { count: 10 });
    expect(pending.map((p) => [p.id, p.consumer, p.deliveries])).toEqual([
      ['1-0', 'c', 1],
      ['2-0', 'c', 7],
      ['3-0', 'c', 2],
    ]);
    expect(pending[2]!.idle).toBeGreaterThanOrEqual(3_600_000);
  });

  it('XCLAIM FORCE creates a pending entry for an existing entry no one holds', async () => {
    const f = get();
    await fill(f.broker, 's', 1, 2);
    await f.broker.xgroupCreate('s', 'g', '$');
    expect(await f.broker.xclaim('s', 'g', 'c', 0, ['1-0', '9-0'])).toEqual([]);
    expect(await f.broker.xclaim('s', 'g', 'c', 0, ['1-0', '9-0'], { force: true, justId: true })).toEqual([
      '1-0',
    ]);
    expect(await f.broker.xpending('s', 'g')).toEqual({
      count: 1,
      smallest: '1-0',
      largest: '1-0',
      consumers: [{ name: 'c', pending: 1 }],
    });
  });

  it('XCLAIM drops pending entries whose stream entry was deleted', async () => {
    const f = get();
    await setup(f, 3);
    await f.broker.xdel('s', ['2-0']);
    expect(ids(await f.broker.xclaim('s', 'g', 'c', 0, ['1-0', '2-0']))).toEqual(['1-0']);
    expect(ids(await f.broker.xpendingRange('s', 'g', { count: 10 }))).toEqual(['1-0', '3-0']);
  });

  it('XAUTOCLAIM claims entries idle long enough and pages with its cursor', async () => {
    const f = get();
    await setup(f, 5);
    await f.broker.xclaim('s', 'g', 'dead', 0, ['1-0', '2-0', '4-0', '5-0'], { idle: 60_000, justId: true });
    const page1 = await f.broker.xautoclaim('s', 'g', 'live', 30_000, '0-0', { count: 2 });
    expect(page1).toEqual({
      next: '3-0',
      entries: [
        { id: '1-0', fields: { n: '1' } },
        { id: '2-0', fields: { n: '2' } },
      ],
      deleted: [],
    });
    const page2 = await f.broker.xautoclaim('s', 'g', 'live', 30_000, page1.next, { count: 2, justId: true });
    expect(page2).toEqual({ next: '0-0', entries: ['4-0', '5-0'], deleted: [] });
    const pending = await f.broker.xpendingRange('s', 'g', { count: 10 });
    expect(pending.map((p) => [p.id, p.consumer, p.deliveries])).toEqual([
      ['1-0', 'live', 2],
      ['2-0', 'live', 2],
      ['3-0', 'dead', 1],
      ['4-0', 'live', 1],
      ['5-0', 'live', 1],
    ]);
    for (const p of pending) expect(p.idle).toBeLessThan(30_000);
  });

  it('XAUTOCLAIM reports and drops deleted entries, which count towards COUNT', async () => {
    const f = get();
    await setup(f, 4);
    await f.broker.xdel('s', ['1-0', '2-0']);
    expect(await f.broker.xautoclaim('s', 'g', 'c', 0, '-', { count: 1 })).toEqual({
      next: '2-0',
      entries: [],
      deleted: ['1-0'],
    });
    expect(await f.broker.xautoclaim('s', 'g', 'c', 0, '(1-0')).toEqual({
      next: '0-0',
      entries: [
        { id: '3-0', fields: { n: '3' } },
        { id: '4-0', fields: { n: '4' } },
      ],
      deleted: ['2-0'],
    });
    expect(await f.broker.xpending('s', 'g')).toMatchObject({ count: 2, smallest: '3-0' });
  });

  it('XAUTOCLAIM with nothing idle enough claims nothing and creates no consumer; errors', async () => {
    const f = get();
    await setup(f, 2);
    const waited = await elapse(f, 100);
    expect(await f.broker.xautoclaim('s', 'g', 'other', 3_600_000, '0')).toEqual({
      next: '0-0',
      entries: [],
      deleted: [],
    });
    expect((await f.broker.xinfoConsumers('s', 'g')).map((c) => c.name)).toEqual(['dead']);
    const [p] = await f.broker.xpendingRange('s', 'g', { count: 1 });
    expect(p!.idle).toBeGreaterThanOrEqual(waited);
    await expectCode(f.broker.xautoclaim('s', 'g', 'c', 0, '0', { count: 0 }), 'SYNTAX_ERROR');
    await expectCode(f.broker.xautoclaim('s', 'g', 'c', 0, 'x'), 'INVALID_STREAM_ID');
    await expectCode(f.broker.xautoclaim('s', 'nogroup', 'c', 0, '0'), 'NOGROUP');
    await expectCode(f.broker.xautoclaim('missing', 'g', 'c', 0, '0'), 'NOGROUP');
  });

  it('XAUTOCLAIM visits at most 10 PEL entries per requested one', async () => {
    const f = get();
    await setup(f, 25);
    await f.broker.xclaim('s', 'g', 'dead', 0, ['25-0'], { idle: 60_000, justId: true });
    const reply = await f.broker.xautoclaim('s', 'g', 'c', 30_000, '0', { count: 1, justId: true });
    expect(reply).toEqual({ next: '11-0', entries: [], deleted: [] });
    const rest = await f.broker.xautoclaim('s', 'g', 'c', 30_000, reply.next, { count: 2, justId: true });
    expect(rest).toEqual({ next: '0-0', entries: ['25-0'], deleted: [] });
  });
}
