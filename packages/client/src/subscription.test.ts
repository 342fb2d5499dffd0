import { SpoolError } from '@spool/core';
import { eventIdJustBefore, isEventIdAfter } from '@spool/core/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RESET_EVENT } from './spool-event';
import { Subscription } from './subscription';

const link = () => {
  const calls = { drop: 0, consumed: 0 };
  return { calls, link: { drop: () => calls.drop++, consumed: () => calls.consumed++ } };
};
const ev = (id: string, data: unknown = id) => ({ topic: 't', id, event: 'message', data });

describe('Subscription', () => {
  it('drops events at or before lastEventId, whatever order they come in', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(20), fc.nat(3))), (pairs) => {
        const got: string[] = [];
        const sub = new Subscription('t', { onEvent: (e) => got.push(e.id) }, link().link);
        for (const [ms, seq] of pairs) sub.deliver(ev(`${ms}-${seq}`));
        for (let i = 1; i < got.length; i++) expect(isEventIdAfter(got[i]!, got[i - 1])).toBe(true);
      }),
    );
  });

  it('buffers for the iterator only once iteration started, and reports consumption', async () => {
    const { calls, link: l } = link();
    const sub = new Subscription('t', {}, l);
    sub.deliver(ev('1-0'));
    expect(sub.buffer).toEqual([]);
    const it = sub[Symbol.asyncIterator]();
    sub.deliver(ev('2-0'));
    sub.deliver(ev('3-0'));
    expect(sub.buffer.length).toBe(2);
    expect((await it.next()).value!.id).toBe('2-0');
    expect(calls.consumed).toBe(1);
    const pending = it.next();
    expect((await pending).value!.id).toBe('3-0');
    const waiting = it.next();
    sub.deliver(ev('4-0'));
    expect((await waiting).value!.id).toBe('4-0');
  });

  it('yields a reset item and moves lastEventId to just below earliest, even backwards', async () => {
    const sub = new Subscription('t', { after: '3-0' }, link().link);
    const it = sub[Symbol.asyncIterator]();
    sub.reset('10-0');
    expect(sub.lastEventId).toBe(`9-${Number.MAX_SAFE_INTEGER}`);
    expect((await it.next()).value).toEqual({
      topic: 't',
      id: '10-0',
      event: RESET_EVENT,
      data: { earliest: '10-0' },
    });
    expect(sub.deliver(ev('10-0'))).toBe(true);
    // a restarted server's history may lie below everything seen before: none of it is dropped
    expect(sub.deliver(ev('12-0'))).toBe(true);
    sub.reset('2-5');
    expect(sub.lastEventId).toBe('2-4');
    expect(sub.deliver(ev('2-5'))).toBe(true);
  });

  it('calls onSnapshot for msg.snapshot events', () => {
    const snaps: unknown[] = [];
    const sub = new Subscription('t', { onSnapshot: (d) => snaps.push(d) }, link().link);
    sub.deliver({ topic: 't', id: '1-0', event: 'msg.snapshot', data: { text: 'x' } });
    sub.deliver(ev('2-0'));
    expect(snaps).toEqual([{ text: 'x' }]);
  });

  it('drains the buffer before throwing the error that ended it', async () => {
    const sub = new Subscription('t', {}, link().link);
    const it = sub[Symbol.asyncIterator]();
    sub.deliver(ev('1-0'));
    sub.end(new SpoolError('FORBIDDEN', 'no'));
    expect((await it.next()).value!.id).toBe('1-0');
    await expect(it.next()).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('unsubscribes when a for-await loop breaks', async () => {
    const { calls, link: l } = link();
    const sub = new Subscription('t', {}, l);
    queueMicrotask(() => sub.deliver(ev('1-0')));
    for await (const e of sub) {
      expect(e.id).toBe('1-0');
      break;
    }
    expect(calls.drop).toBe(1);
    expect(sub.active).toBe(false);
    sub.unsubscribe();
    expect(calls.drop).toBe(1);
  });
});

describe('event ID helpers', () => {
  it('eventIdJustBefore gives the largest ID below, so nothing from `from` on is skipped', () => {
    expect(eventIdJustBefore('5-3')).toBe('5-2');
    expect(eventIdJustBefore('5-0')).toBe('4-9007199254740991');
    expect(eventIdJustBefore('0-1')).toBe('0-0');
    fc.assert(
      fc.property(fc.nat(2 ** 40), fc.nat(2 ** 40), (ms, seq) => {
        const from = `${ms}-${seq}`;
        if (from === '0-0') return;
        expect(isEventIdAfter(from, eventIdJustBefore(from))).toBe(true);
      }),
    );
  });

  it('isEventIdAfter compares as integers, not strings', () => {
    expect(isEventIdAfter('10-0', '9-5')).toBe(true);
    expect(isEventIdAfter('9-10', '9-9')).toBe(true);
    expect(isEventIdAfter('9-9', '9-9')).toBe(false);
    expect(isEventIdAfter('1-0', undefined)).toBe(true);
  });
});
