import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SpoolError } from '../errors';
import { backoffDefaults, backoffDelay, fullJitter } from './backoff';

describe('backoffDelay', () => {
  it('stays in [0, min(cap, base * 2^attempt)] for any attempt, base, cap and random draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2000 }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1e7, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, maxMs, r) => {
          const d = backoffDelay(attempt, { baseMs, maxMs }, () => r);
          expect(Number.isFinite(d)).toBe(true);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(baseMs === 0 ? 0 : Math.min(maxMs, baseMs * 2 ** attempt));
        },
      ),
    );
  });

  it('is full jitter: the draw scales the exponential ceiling', () => {
    expect(backoffDelay(0, { baseMs: 100, maxMs: 10_000 }, () => 0.5)).toBe(50);
    expect(backoffDelay(3, { baseMs: 100, maxMs: 10_000 }, () => 0.5)).toBe(400);
    expect(backoffDelay(10, { baseMs: 100, maxMs: 10_000 }, () => 0.5)).toBe(5_000);
    expect(backoffDelay(4, { baseMs: 100, maxMs: 10_000 }, () => 0)).toBe(0);
  });

  it('uses the exported defaults when options are left out', () => {
    expect(backoffDelay(0, {}, () => 0.5)).toBe(backoffDefaults.baseMs / 2);
    expect(backoffDelay(60, undefined, () => 0.5)).toBe(backoffDefaults.maxMs / 2);
  });

  it('treats a zero base as no delay even for huge attempts (no NaN)', () => {
    expect(backoffDelay(5000, { baseMs: 0, maxMs: 100 }, () => 0.9)).toBe(0);
  });

  it.each([
    [-1, {}],
    [1.5, {}],
    [0, { baseMs: -1 }],
    [0, { maxMs: Number.NaN }],
  ])('rejects attempt %s with options %o as INVALID_OPTION', (attempt, options) => {
    try {
      backoffDelay(attempt, options);
      expect.unreachable();
    } catch (err) {
      expect((err as SpoolError).code).toBe('INVALID_OPTION');
    }
  });

  it('rejects a random source outside [0, 1)', () => {
    try {
      backoffDelay(0, {}, () => 1);
      expect.unreachable();
    } catch (err) {
      expect((err as SpoolError).code).toBe('INVALID_OPTION');
    }
  });
});

describe('fullJitter', () => {
  it('is the formula backoffDelay checks its options for: same draw, same delay', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2000 }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1e7, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, maxMs, r) => {
          const delay = fullJitter(attempt, { baseMs, maxMs }, () => r);
          expect(delay).toBe(backoffDelay(attempt, { baseMs, maxMs }, () => r));
          expect(Number.isNaN(delay)).toBe(false);
        },
      ),
    );
  });

  it('is 0 with a base of 0, however many attempts (no 0 * Infinity)', () => {
    expect(fullJitter(5000, { baseMs: 0, maxMs: 100 }, () => 0.9)).toBe(0);
  });
});
