import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OwnedIdList, SortedIdList } from './sorted-id-list';
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

  it('OwnedIdList: items moving between owners and dying match a per-owner model', () => {
    interface Owner {
      pel: OwnedIdList<Held>;
    }
    interface Held extends Item {
      consumer: Owner;
    }
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('add' as const),
        n: fc.integer({ min: 0, max: 60 }),
        to: fc.nat({ max: 2 }),
      }),
      fc.record({
        kind: fc.constant('move' as const),
        n: fc.integer({ min: 0, max: 60 }),
        to: fc.nat({ max: 2 }),
      }),
      fc.record({
        kind: fc.constant('kill' as const),
        n: fc.integer({ min: 0, max: 60 }),
        to: fc.constant(0),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.integer({ min: 0, max: 60 }), (ops, from) => {
        const owners: Owner[] = [0, 1, 2].map(() => ({ pel: new OwnedIdList<Held>() }));
        const live = new Map<number, { item: Held; owner: number }>();
        for (const o of ops) {
          const held = live.get(o.n);
          if (o.kind === 'add' && !held) {
            const item: Held = { ...idOf(o.n), dead: false, consumer: owners[o.to]! };
            owners[o.to]!.pel.insert(item);
            live.set(o.n, { item, owner: o.to });
          } else if (o.kind === 'move' && held && held.owner !== o.to) {
            // As the broker does it: change the owner first, then settle both lists.
            held.item.consumer = owners[o.to]!;
            owners[held.owner]!.pel.forget();
            owners[o.to]!.pel.insert(held.item);
            held.owner = o.to;
          } else if (o.kind === 'kill' && held) {
            held.item.dead = true;
            owners[held.owner]!.pel.forget();
            live.delete(o.n);
          }
        }
        owners.forEach((owner, i) => {
          const mine = [...live]
            .filter(([, h]) => h.owner === i)
            .map(([n]) => n)
            .sort((a, b) => a - b);
          expect([...owner.pel].map((x) => formatStreamId(x))).toEqual(
            mine.map((n) => formatStreamId(idOf(n))),
          );
          expect(owner.pel.size).toBe(mine.length);
          expect(owner.pel.first() && formatStreamId(owner.pel.first()!)).toBe(
            mine.length ? formatStreamId(idOf(mine[0]!)) : undefined,
          );
          expect(owner.pel.ascending(idOf(from), undefined, 4).map((x) => formatStreamId(x))).toEqual(
            mine
              .filter((n) => n >= from)
              .slice(0, 4)
              .map((n) => formatStreamId(idOf(n))),
          );
        });
      }),
    );
  });
});
