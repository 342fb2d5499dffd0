import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstUrl, nextTry } from './failover';

const backoff = { baseMs: 250, maxMs: 10_000 };
/** A random source drawing from fast-check's values, then from 0. */
const source = (values: number[]) => () => values.shift() ?? 0;
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('the failover rule of several URLs (docs/protocol.md, "Several server URLs")', () => {
  it('starts on any URL of the list, and draws no random number for one URL', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), unit, (n, r) => {
        const at = firstUrl(n, () => r);
        expect(Number.isInteger(at) && at >= 0 && at < n).toBe(true);
      }),
    );
    expect(firstUrl(1, () => Number.NaN)).toBe(0);
    expect([0, 0.34, 0.67, 0.999].map((r) => firstUrl(3, () => r))).toEqual([0, 1, 2, 2]);
  });

  it('always moves off the failed URL; after a working connection to any other, then round robin', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.nat(19),
        fc.integer({ min: 1, max: 100 }),
        fc.array(unit, { minLength: 2, maxLength: 2 }),
        (n, at0, attempt, draws) => {
          const at = at0 % n;
          const next = nextTry(at, attempt, n, backoff, source(draws)).at;
          expect(Number.isInteger(next) && next >= 0 && next < n).toBe(true);
          if (n > 1) expect(next).not.toBe(at);
          if (attempt > 1 || n <= 2) expect(next).toBe((at + 1) % n);
        },
      ),
    );
  });

  it('tries every URL once in the n tries that follow a dropped connection', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.nat(19),
        fc.array(unit, { minLength: 64 }),
        (n, s, draws) => {
          let at = s % n;
          const tried: number[] = [];
          for (let attempt = 1; attempt <= n; attempt++) {
            at = nextTry(at, attempt, n, backoff, source(draws)).at;
            tried.push(at);
          }
          expect(new Set(tried).size).toBe(n);
        },
      ),
    );
  });

  it('waits a jitter of up to baseMs within a round and the full-jitter backoff between rounds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 200 }),
        unit,
        (n, attempt, r) => {
          const { delay } = nextTry(0, attempt, n, backoff, () => r);
          const ceiling =
            attempt % n ? backoff.baseMs : Math.min(backoff.maxMs, backoff.baseMs * 2 ** (attempt / n - 1));
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(ceiling);
          expect(delay).toBeCloseTo(r * ceiling, 9);
        },
      ),
    );
  });

  it('spreads the clients of an instance that went away over the others, and over time', () => {
    // 3,000 clients on instance 1 of 4, which goes away: each survivor gets about a third, and
    // their next tries spread over the jitter window instead of landing in one millisecond.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const where = [0, 0, 0, 0];
    const ms = new Set<number>();
    for (let i = 0; i < 3000; i++) {
      const next = nextTry(1, 1, 4, backoff, random);
      where[next.at]!++;
      ms.add(Math.floor(next.delay));
    }
    expect(where[1]).toBe(0);
    for (const i of [0, 2, 3]) expect(where[i]).toBeGreaterThan(800);
    expect(ms.size).toBeGreaterThan(200);
  });
});
