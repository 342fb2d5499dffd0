import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SortedIdList } from './sorted-id-list';
import { compareStreamIdParts, formatStreamId, type StreamIdParts } from './stream-id';

interface Item extends StreamIdParts {
  dead: boolean;
}
const idOf = (n: number): StreamIdParts => ({ ms: n >> 3, seq: n & 7 });

describe('SortedIdList', () => {
  it('matches a sorted-set model under random inserts, removals and range scans', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), n: fc.integer({ min: 0, max: 300 }) }),
      fc.record({ kind: fc.constant('append' as const), n: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ kind: fc.constant('delete' as const), n: fc.integer({ min: 0, max: 300 }) }),
      fc.record({ kind: fc.constant('shift' as const), n: fc.integer({ min: 1, max: 40 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.integer({ min: 0, max: 300 }), (ops, from) => {
        const list = new SortedIdList<Item>();
        const model = new Set<number>();
        let top = 0;
        for (const o of ops) {
          if (o.kind === 'insert' || o.kind === 'append') {
            const n = o.kind === 'insert' ? o.n : top + o.n;
            top = Math.max(top, n);
            const got = list.insert({ ...idOf(n), dead: false });
            expect(compareStreamIdParts(got, idOf(n))).toBe(0);
            model.add(n);
          } else if (o.kind === 'delete') {
            expect(list.delete(idOf(o.n)) !== undefined).toBe(model.delete(o.n));
          } else {
            for (const n of [...model].sort((a, b) => a - b).slice(0, o.n)) {
              list.remove(list.get(idOf(n))!);
              model.delete(n);
            }
          }
          if (o.kind === 'append') list.tidy();
        }
        const sorted = [...model].sort((a, b) => a - b);
        expect([...list].map((x) => formatStreamId(x))).toEqual(sorted.map((n) => formatStreamId(idOf(n))));
        expect(list.size).toBe(model.size);
        expect(list.first() && formatStreamId(list.first()!)).toBe(
          sorted.length ? formatStreamId(idOf(sorted[0]!)) : undefined,
        );
        const after = sorted.filter((n) => n >= from);
        expect(list.ascending(idOf(from), undefined, 5).map((x) => formatStreamId(x))).toEqual(
          after.slice(0, 5).map((n) => formatStreamId(idOf(n))),
        );
        const before = sorted.filter((n) => n <= from).reverse();
        expect(list.descending(idOf(from), idOf(0), 5).map((x) => formatStreamId(x))).toEqual(
          before.slice(0, 5).map((n) => formatStreamId(idOf(n))),
        );
      }),
    );
  });
});
