import { expect, it } from 'vitest';
import { type BrokerFixture, expectCode, fill, ids, timeOut, untilBlocked } from './fixture';

/** XREAD, and blocking reads of both kinds: wake-up, timeout, arrival order, cancellation. */
export function readCases(get: () => BrokerFixture): void {
  it('XREAD returns entries after the given IDs, only for streams that have some', async () => {
    const { broker } = get();
    await fill(broker, 'a', 1, 3);
    await fill(broker, 'b', 1, 2);
    const reply = await broker.xread(
      [
        ['a', '1-0'],
        ['b', '2-0'],
        ['missing', '0'],
      ],
      { count: 1 },
    );
    expect(reply).toEqual([{ key: 'a', entries: [{ id: '2-0', fields: { n: '2' } }] }]);
    const all = await broker.xread([
      ['a', '0'],
      ['b', '0-0'],
    ]);
    expect(all?.map((r) => [r.key, ids(r.entries)])).toEqual([
      ['a', ['1-0', '2-0', '3-0']],
      ['b', ['1-0', '2-0']],
    ]);
    expect(await broker.xread([['a', '$']])).toBeNull();
    expect(await broker.xread([['missing', '0']])).toBeNull();
    await expectCode(broker.xread([['a', '>']]), 'INVALID_STREAM_ID');
    await expectCode(broker.xread([]), 'SYNTAX_ERROR');
    await expectCode(broker.xread([['a', '0']], { block: -1 }), 'SYNTAX_ERROR');
  });

  it('XREAD skips a deleted top entry instead of replying with nothing', async () => {
    const { broker } = get();
    await fill(broker, 's', 1, 3);
    await broker.xdel('s', ['3-0']);
    expect(await broker.xread([['s', '2-0']])).toBeNull();
  });

  it('a blocked XREAD with $ wakes on XADD with only the new entry', async () => {
    const f = get();
    await fill(f.broker, 's', 1, 2);
    const read = f.broker.xread([['s', '$']], { block: 0 });
    await untilBlocked(f, 1);
    await f.broker.xadd('s', { n: 'new' }, { id: '3-0' });
    expect(await read).toEqual([{ key: 's', entries: [{ id: '3-0', fields: { n: 'new' } }] }]);
  });

  it('a blocked XREAD over several keys is served by the key that gets data, even a new one', async () => {
    const f = get();
    const read = f.broker.xread(
      [
        ['x', '$'],
        ['y', '$'],
      ],
      { block: 10_000 },
    );
    await untilBlocked(f, 1);
    await f.broker.xadd('y', { v: '1' }, { id: '1-0' });
    expect(await read).toEqual([{ key: 'y', entries: [{ id: '1-0', fields: { v: '1' } }] }]);
  });

  it('a blocked XREAD times out with null', async () => {
    const f = get();
    const read = f.broker.xread([['s', '$']], { block: 50 });
    expect(await timeOut(f, read, 50)).toBeNull();
  });

  it('an AbortSignal cancels a blocked read with ABORTED, and the broker stays usable', async () => {
    const f = get();
    const ctl = new AbortController();
    const read = f.broker.xread([['s', '$']], { block: 0, signal: ctl.signal });
    await untilBlocked(f, 1);
    ctl.abort();
    await expectCode(read, 'ABORTED');
    expect(await f.broker.xadd('s', { f: 'v' }, { id: '1-0' })).toBe('1-0');
    await expectCode(f.broker.xread([['s', '0']], { block: 0, signal: ctl.signal }), 'ABORTED');
    await f.broker.xgroupCreate('s', 'g', '$');
    const ctl2 = new AbortController();
    const groupRead = f.broker.xreadgroup('g', 'c', [['s', '>']], { block: 0, signal: ctl2.signal });
    await untilBlocked(f, 1);
    ctl2.abort();
    await expectCode(groupRead, 'ABORTED');
    expect(await f.broker.xpending('s', 'g')).toMatchObject({ count: 0 });
  });

  it('blocked XREADGROUP readers wake on XADD and are served in arrival order', async () => {
    const f = get();
    await f.broker.xgroupCreate('s', 'g', '$', { mkStream: true });
    const first = f.broker.xreadgroup('g', 'c1', [['s', '>']], { count: 1, block: 0 });
    await untilBlocked(f, 1);
    const second = f.broker.xreadgroup('g', 'c2', [['s', '>']], { count: 1, block: 0 });
    await untilBlocked(f, 2);
    await f.broker.xadd('s', { n: '1' }, { id: '1-0' });
    await f.broker.xadd('s', { n: '2' }, { id: '2-0' });
    expect(await first).toEqual([{ key: 's', entries: [{ id: '1-0', fields: { n: '1' } }] }]);
    expect(await second).toEqual([{ key: 's', entries: [{ id: '2-0', fields: { n: '2' } }] }]);
    const pending = await f.broker.xpendingRange('s', 'g', { count: 10 });
    expect(pending.map((p) => [p.id, p.consumer, p.deliveries])).toEqual([
      ['1-0', 'c1', 1],
      ['2-0', 'c2', 1],
    ]);
  });

  it('a blocked XREADGROUP fails with NOGROUP when its group is destroyed', async () => {
    const f = get();
    await f.broker.xgroupCreate('s', 'g', '$', { mkStream: true });
    const read = f.broker.xreadgroup('g', 'c', [['s', '>']], { block: 0 });
    const failed = expectCode(read, 'NOGROUP');
    await untilBlocked(f, 1);
    expect(await f.broker.xgroupDestroy('s', 'g')).toBe(1);
    await failed;
  });

  it('a blocked XREADGROUP times out with null and creates no consumer', async () => {
    const f = get();
    await f.broker.xgroupCreate('s', 'g', '$', { mkStream: true });
    const read = f.broker.xreadgroup('g', 'c', [['s', '>']], { block: 40 });
    expect(await timeOut(f, read, 40)).toBeNull();
    expect(await f.broker.xinfoConsumers('s', 'g')).toEqual([]);
  });

  it('XREADGROUP with a history ID never blocks', async () => {
    const f = get();
    await f.broker.xgroupCreate('s', 'g', '$', { mkStream: true });
    expect(await f.broker.xreadgroup('g', 'c', [['s', '0']], { block: 0 })).toEqual([
      { key: 's', entries: [] },
    ]);
  });

  it('a blocked NOACK XREADGROUP delivers without a pending entry', async () => {
    const f = get();
    await f.broker.xgroupCreate('s', 'g', '$', { mkStream: true });
    const read = f.broker.xreadgroup('g', 'c', [['s', '>']], { block: 0, noAck: true });
    await untilBlocked(f, 1);
    await f.broker.xadd('s', { n: '1' }, { id: '1-0' });
    expect(ids((await read)![0]!.entries)).toEqual(['1-0']);
    expect(await f.broker.xpending('s', 'g')).toEqual({
      count: 0,
      smallest: null,
      largest: null,
      consumers: [],
    });
    expect(await f.broker.xinfoGroups('s')).toMatchObject([
      { name: 'g', lastDeliveredId: '1-0', pending: 0 },
    ]);
  });
}
