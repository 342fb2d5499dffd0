import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeadlineQueue } from './deadline-queue';

interface Item {
  id: number;
  deadlineAt: number;
  heapIndex: number;
}

describe('DeadlineQueue', () => {
  it('pops nothing when empty and keeps positions on push/remove', () => {
    const q = new DeadlineQueue<Item>();
    expect(q.peek()).toBeUndefined();
    const a = { id: 1, deadlineAt: 5, heapIndex: -1 };
    const b = { id: 2, deadlineAt: 3, heapIndex: -1 };
    q.push(a);
    q.push(b);
    expect(q.peek()).toBe(b);
    expect(q.remove(b)).toBe(true);
    expect(b.heapIndex).toBe(-1);
    expect(q.remove(b)).toBe(false);
    expect(q.peek()).toBe(a);
    q.update(a, 1);
    expect(q.peek()).toBe(a);
    expect(q.size).toBe(1);
  });

  it('always has the minimum on top, whatever the push/remove/update sequence', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), at: fc.integer({ min: 0, max: 1000 }) }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
      fc.record({
        kind: fc.constant('update' as const),
        pick: fc.nat(),
        at: fc.integer({ min: 0, max: 1000 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const q = new DeadlineQueue<Item>();
        const live: Item[] = [];
        let next = 0;
        for (const o of ops) {
          if (o.kind === 'push') {
            const item = { id: next++, deadlineAt: o.at, heapIndex: -1 };
            q.push(item);
            live.push(item);
          } else if (live.length > 0) {
            const item = live[o.pick % live.length]!;
            if (o.kind === 'remove') {
              expect(q.remove(item)).toBe(true);
              live.splice(live.indexOf(item), 1);
            } else {
              q.update(item, o.at);
            }
          }
          expect(q.size).toBe(live.length);
          const min = Math.min(...live.map((i) => i.deadlineAt));
          expect(q.peek()?.deadlineAt ?? Number.POSITIVE_INFINITY).toBe(min);
          for (const item of q.items()) expect(q.items()[item.heapIndex]).toBe(item);
        }
      }),
    );
  });
});
