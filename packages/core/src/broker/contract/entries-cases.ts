import { expect, it } from 'vitest';
import { compareStreamIds } from '../stream-id';
import { type BrokerFixture, expectCode, fill, ids } from './fixture';

/** XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM and XINFO STREAM (after Redis's tests/unit/type/stream.tcl). */
export function entriesCases(get: () => BrokerFixture): void {
  it('XADD generates increasing <ms>-<seq> IDs and keeps field order', async () => {
    const { broker } = get();
    const added: string[] = [];
    for (let i = 0; i < 50; i++)
      added.push(
        (await broker.xadd('s', [
          ['b', String(i)],
          ['a', 'x'],
        ]))!,
      );
    for (const id of added) expect(id).toMatch(/^\d+-\d+$/);
    for (let i = 1; i < added.length; i++) expect(compareStreamIds(added[i - 1]!, added[i]!)).toBe(-1);
    expect(await broker.xlen('s')).toBe(50);
    const [first] = await broker.xrange('s', '-', '+', 1);
    expect(Object.entries(first!.fields!)).toEqual([
      ['b', '0'],
      ['a', 'x'],
    ]);
  });

  it('replies are immutable: fields records are frozen in every read', async () => {
    const { broker } = get();
    await broker.xadd('s', { f: 'v' }, { id: '1-0' });
    await broker.xgroupCreate('s', 'g', '0');
    const read = await broker.xread([['s', '0']]);
    const delivered = await broker.xreadgroup('g', 'c', [['s', '>']]);
    const history = await broker.xreadgroup('g', 'c', [['s', '0']]);
    const [ranged] = await broker.xrange('s', '-', '+');
    for (const entry of [
      read![0]!.entries[0]!,
      delivered![0]!.entries[0]!,
      history![0]!.entries[0]!,
      ranged!,
    ]) {
      expect(entry.fields).toEqual({ f: 'v' });
      expect(Object.isFrozen(entry.fields)).toBe(true);
    }
  });

  it('XADD * after a later explicit ID keeps its ms and increments seq (clock behind the top item)', async () => {
    const { broker } = get();
    await broker.xadd('s', { f: 'v' }, { id: '99999999999999-5' });
    expect(await broker.xadd('s', { f: 'v' })).toBe('99999999999999-6');
    expect(await broker.xadd('s', { f: 'v' })).toBe('99999999999999-7');
  });

  it('XADD with explicit, incomplete and <ms>-* IDs', async () => {
    const { broker } = get();
    expect(await broker.xadd('s', { f: 'v' }, { id: '5' })).toBe('5-0');
    expect(await broker.xadd('s', { f: 'v' }, { id: '5-*' })).toBe('5-1');
    expect(await broker.xadd('s', { f: 'v' }, { id: '007-03' })).toBe('7-3');
    expect(await broker.xadd('s', { f: 'v' }, { id: '8-*' })).toBe('8-0');
    expect(await broker.xadd('z', { f: 'v' }, { id: '0-*' })).toBe('0-1');
  });

  it('XADD rejects an ID equal to or smaller than the top item, and 0-0, with ID_TOO_SMALL', async () => {
    const { broker } = get();
    await broker.xadd('s', { f: 'v' }, { id: '10-5' });
    await expectCode(broker.xadd('s', { f: 'v' }, { id: '10-5' }), 'ID_TOO_SMALL');
    await expectCode(broker.xadd('s', { f: 'v' }, { id: '9-9' }), 'ID_TOO_SMALL');
    await expectCode(broker.xadd('s', { f: 'v' }, { id: '9-*' }), 'ID_TOO_SMALL');
    await expectCode(broker.xadd('new', { f: 'v' }, { id: '0-0' }), 'ID_TOO_SMALL');
    expect(await broker.xlen('new')).toBe(0);
    expect(await broker.xlen('s')).toBe(1);
  });

  it('XADD handles 64-bit IDs exactly, up to the last possible one', async () => {
    const { broker } = get();
    const max = '18446744073709551615';
    expect(await broker.xadd('s', { f: 'v' }, { id: `${max}-18446744073709551614` })).toBe(
      `${max}-18446744073709551614`,
    );
    expect(await broker.xadd('s', { f: 'v' }, { id: `${max}-*` })).toBe(`${max}-${max}`);
    await expectCode(broker.xadd('s', { f: 'v' }), 'ID_TOO_SMALL');
    await expectCode(broker.xadd('s', { f: 'v' }, { id: `${max}-*` }), 'ID_TOO_SMALL');
    expect(ids(await broker.xrevrange('s', '+', '-', 1))).toEqual([`${max}-${max}`]);
    await broker.xadd('u', { f: 'v' }, { id: `5-${max}` });
    await expectCode(broker.xadd('u', { f: 'v' }, { id: '5-*' }), 'ID_TOO_SMALL');
    expect(await broker.xadd('u', { f: 'v' }, { id: '6-*' })).toBe('6-0');
    await broker.xadd('t', { f: 'v' }, { id: '9007199254740993-9007199254740993' });
    expect(ids(await broker.xrange('t', '9007199254740993', '9007199254740993'))).toEqual([
      '9007199254740993-9007199254740993',
    ]);
  });

  it('malformed IDs fail with INVALID_STREAM_ID', async () => {
    const { broker } = get();
    for (const id of ['abc', '1-x', '-', '+', '1-2-3', '18446744073709551616-0', '-1', '1.5-0', '']) {
      await expectCode(broker.xadd('s', { f: 'v' }, { id }), 'INVALID_STREAM_ID');
    }
    await expectCode(broker.xrange('s', 'x', '+'), 'INVALID_STREAM_ID');
    // Like Redis, XDEL answers 0 for a missing key before it looks at the IDs.
    expect(await broker.xdel('s', ['nope'])).toBe(0);
    await broker.xadd('s', { f: 'v' }, { id: '1-1' });
    await expectCode(broker.xdel('s', ['nope']), 'INVALID_STREAM_ID');
    expect(await broker.xlen('s')).toBe(1);
  });

  it('XADD argument errors fail with SYNTAX_ERROR', async () => {
    const { broker } = get();
    await expectCode(broker.xadd('s', {}), 'SYNTAX_ERROR');
    await expectCode(broker.xadd('s', []), 'SYNTAX_ERROR');
    await expectCode(broker.xadd('s', { f: 1 } as unknown as Record<string, string>), 'SYNTAX_ERROR');
    await expectCode(broker.xadd('s', [['f', 1]] as unknown as Array<[string, string]>), 'SYNTAX_ERROR');
    await expectCode(broker.xadd('s', null as unknown as Record<string, string>), 'SYNTAX_ERROR');
    // Only own fields count: an inherited one is not data.
    await expectCode(broker.xadd('s', Object.create({ f: 'v' }) as Record<string, string>), 'SYNTAX_ERROR');
    await expectCode(broker.xadd('s', { f: 'v' }, { maxLen: 1, minId: '1-0' }), 'SYNTAX_ERROR');
    await expectCode(broker.xadd('s', { f: 'v' }, { maxLen: 5, limit: 10 }), 'SYNTAX_ERROR');
    await expectCode(broker.xadd('s', { f: 'v' }, { maxLen: -1 }), 'SYNTAX_ERROR');
    await expectCode(broker.xadd('s', { f: 'v' }, { limit: 10 }), 'SYNTAX_ERROR');
    expect(await broker.xlen('s')).toBe(0);
  });

  it('XADD NOMKSTREAM replies null and creates nothing on a missing key', async () => {
    const { broker } = get();
    expect(await broker.xadd('s', { f: 'v' }, { noMkStream: true })).toBeNull();
    expect(await broker.xlen('s')).toBe(0);
    await expectCode(broker.xinfoStream('s'), 'NO_SUCH_KEY');
    await broker.xadd('s', { f: 'v' }, { id: '1-0' });
    expect(await broker.xadd('s', { f: 'w' }, { id: '2-0', noMkStream: true })).toBe('2-0');
  });

  it('XADD MAXLEN and MINID trim exactly; with ~ only within bounds', async () => {
    const { broker } = get();
    for (let i = 1; i <= 10; i++) await broker.xadd('s', { i: String(i) }, { id: `${i}-0`, maxLen: 3 });
    expect(ids(await broker.xrange('s', '-', '+'))).toEqual(['8-0', '9-0', '10-0']);
    await broker.xadd('s', { i: '11' }, { id: '11-0', minId: '10' });
    expect(ids(await broker.xrange('s', '-', '+'))).toEqual(['10-0', '11-0']);
    for (let i = 1; i <= 300; i++) await broker.xadd('a', { i: String(i) }, { maxLen: 120, approx: true });
    const len = await broker.xlen('a');
    expect(len).toBeGreaterThanOrEqual(120);
    expect(len).toBeLessThan(300);
  });

  it('XRANGE and XREVRANGE with -, +, incomplete IDs, ( exclusive bounds and COUNT', async () => {
    const { broker } = get();
    await fill(broker, 's', 1, 5);
    await broker.xadd('s', { n: '5b' }, { id: '5-1' });
    expect(ids(await broker.xrange('s', '-', '+'))).toEqual(['1-0', '2-0', '3-0', '4-0', '5-0', '5-1']);
    expect(ids(await broker.xrange('s', '2', '4'))).toEqual(['2-0', '3-0', '4-0']);
    expect(ids(await broker.xrange('s', '5', '5'))).toEqual(['5-0', '5-1']);
    expect(ids(await broker.xrange('s', '(2-0', '(4-0'))).toEqual(['3-0']);
    expect(ids(await broker.xrange('s', '(5-0', '+'))).toEqual(['5-1']);
    expect(ids(await broker.xrange('s', '-', '+', 2))).toEqual(['1-0', '2-0']);
    expect(await broker.xrange('s', '-', '+', 0)).toEqual([]);
    expect(await broker.xrange('s', '-', '+', -3)).toEqual([]);
    expect(await broker.xrange('s', '4', '2')).toEqual([]);
    expect(ids(await broker.xrevrange('s', '+', '-', 3))).toEqual(['5-1', '5-0', '4-0']);
    expect(ids(await broker.xrevrange('s', '(4-0', '(1-0'))).toEqual(['3-0', '2-0']);
    expect((await broker.xrange('s', '3-0', '3-0'))[0]).toEqual({ id: '3-0', fields: { n: '3' } });
    expect(await broker.xrange('missing', '-', '+')).toEqual([]);
    await expectCode(broker.xrange('s', '(-', '+'), 'INVALID_STREAM_ID');
    await expectCode(broker.xrange('s', '-', '(0-0'), 'INVALID_STREAM_ID');
  });

  it('XDEL removes entries, skipped by reads, and counts only existing ones', async () => {
    const { broker } = get();
    await fill(broker, 's', 1, 5);
    expect(await broker.xdel('s', ['2-0', '4-0', '9-0'])).toBe(2);
    expect(await broker.xdel('s', ['2-0'])).toBe(0);
    expect(await broker.xdel('missing', ['1-0'])).toBe(0);
    expect(await broker.xlen('s')).toBe(3);
    expect(ids(await broker.xrange('s', '-', '+'))).toEqual(['1-0', '3-0', '5-0']);
    expect(ids(await broker.xrevrange('s', '+', '-'))).toEqual(['5-0', '3-0', '1-0']);
  });

  it('XTRIM by MAXLEN and MINID, exact and approximate', async () => {
    const { broker } = get();
    await fill(broker, 's', 1, 10);
    expect(await broker.xtrim('s', { maxLen: 7 })).toBe(3);
    expect(ids(await broker.xrange('s', '-', '+', 1))).toEqual(['4-0']);
    expect(await broker.xtrim('s', { minId: '6-0' })).toBe(2);
    expect(await broker.xtrim('s', { minId: '6-0' })).toBe(0);
    expect(await broker.xlen('s')).toBe(5);
    expect(await broker.xtrim('missing', { maxLen: 1 })).toBe(0);
    for (let i = 0; i < 350; i++) await broker.xadd('big', { f: 'v' });
    const removed = await broker.xtrim('big', { maxLen: 120 }, { approx: true });
    const left = await broker.xlen('big');
    expect(removed + left).toBe(350);
    expect(left).toBeGreaterThanOrEqual(120);
    const limited = await broker.xtrim('big', { maxLen: 0 }, { approx: true, limit: 1 });
    expect(limited).toBe(0);
    await expectCode(broker.xtrim('s', { maxLen: 1 }, { limit: 5 }), 'SYNTAX_ERROR');
    await expectCode(broker.xtrim('s', {} as { maxLen: number }), 'SYNTAX_ERROR');
    await expectCode(broker.xtrim('s', { minId: 'bad' }), 'INVALID_STREAM_ID');
  });

  it('XINFO STREAM reports length, IDs, counters and the edge entries', async () => {
    const { broker } = get();
    await expectCode(broker.xinfoStream('s'), 'NO_SUCH_KEY');
    await fill(broker, 's', 1, 4);
    await broker.xdel('s', ['1-0', '3-0']);
    await broker.xgroupCreate('s', 'g', '0');
    expect(await broker.xinfoStream('s')).toEqual({
      length: 2,
      lastGeneratedId: '4-0',
      maxDeletedEntryId: '3-0',
      entriesAdded: 4,
      recordedFirstEntryId: '2-0',
      groups: 1,
      firstEntry: { id: '2-0', fields: { n: '2' } },
      lastEntry: { id: '4-0', fields: { n: '4' } },
    });
    await broker.xtrim('s', { maxLen: 0 });
    expect(await broker.xinfoStream('s')).toMatchObject({
      length: 0,
      lastGeneratedId: '4-0',
      recordedFirstEntryId: '0-0',
      firstEntry: null,
      lastEntry: null,
    });
  });
}
