import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SpoolError } from '../errors';
import { CreditWindow, creditWindowDefaults } from './credit-window';

describe('CreditWindow', () => {
  it('starts at the wire default of 1024 events', () => {
    const w = new CreditWindow();
    expect(w.available).toBe(creditWindowDefaults.initial);
    expect(w.max).toBe(creditWindowDefaults.max);
  });

  it('consumes on send and refuses, all or nothing, when credit is short', () => {
    const w = new CreditWindow({ initial: 3 });
    expect(w.tryConsume(2)).toBe(true);
    expect(w.tryConsume(2)).toBe(false);
    expect(w.available).toBe(1);
    expect(w.tryConsume()).toBe(true);
    expect(w.tryConsume()).toBe(false);
    expect(w.snapshot()).toMatchObject({
      available: 0,
      inFlight: 3,
      backpressure: true,
      exhausted: 1,
      sent: 3,
    });
  });

  it('returns credit on ack, never more than is in flight', () => {
    const w = new CreditWindow({ initial: 4 });
    w.tryConsume(3);
    expect(w.ack(2)).toBe(2);
    expect(w.available).toBe(3);
    expect(w.ack(10)).toBe(1);
    expect(w.ack(1)).toBe(0);
    expect(w.available).toBe(4);
    expect(w.inFlight).toBe(0);
  });

  it('adds grants up to max only', () => {
    const w = new CreditWindow({ initial: 10, max: 20 });
    expect(w.grant(5)).toBe(5);
    expect(w.grant(100)).toBe(5);
    expect(w.available).toBe(20);
  });

  it('resets to initial on reconnect and forgets what was in flight', () => {
    const w = new CreditWindow({ initial: 5, max: 50 });
    w.tryConsume(5);
    w.grant(30);
    w.reset();
    expect(w.snapshot()).toMatchObject({ available: 5, inFlight: 0, resets: 1 });
    expect(w.ack(5)).toBe(0);
  });

  it('notifies listeners when credit comes back, until unsubscribed', () => {
    const w = new CreditWindow({ initial: 1 });
    const seen: number[] = [];
    const off = w.onChange((a) => seen.push(a));
    w.tryConsume();
    w.ack();
    w.grant(2);
    off();
    w.grant(1);
    expect(seen).toEqual([1, 3]);
  });

  it('rejects negative or fractional counts with INVALID_CREDIT', () => {
    const w = new CreditWindow();
    for (const call of [() => w.tryConsume(-1), () => w.grant(1.5), () => w.ack(Number.NaN)]) {
      try {
        call();
        expect.unreachable();
      } catch (err) {
        expect((err as SpoolError).code).toBe('INVALID_CREDIT');
      }
    }
  });

  it.each([{ initial: -1 }, { max: 0 }, { initial: 10, max: 5 }])(
    'rejects %o with INVALID_OPTION',
    (options) => {
      try {
        new CreditWindow(options);
        expect.unreachable();
      } catch (err) {
        expect((err as SpoolError).code).toBe('INVALID_OPTION');
      }
    },
  );

  it('keeps 0 <= available <= max and matches a model under any sequence of operations', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('consume' as const), n: fc.nat(50) }),
      fc.record({ kind: fc.constant('ack' as const), n: fc.nat(50) }),
      fc.record({ kind: fc.constant('grant' as const), n: fc.nat(200) }),
      fc.record({ kind: fc.constant('reset' as const), n: fc.constant(0) }),
    );
    fc.assert(
      fc.property(
        fc.nat(100),
        fc.integer({ min: 1, max: 300 }),
        fc.array(op, { maxLength: 200 }),
        (a, b, ops) => {
          const initial = Math.min(a, b);
          const max = Math.max(a, b, 1);
          const w = new CreditWindow({ initial, max });
          let available = initial;
          let inFlight = 0;
          for (const { kind, n } of ops) {
            if (kind === 'consume') {
              const ok = w.tryConsume(n);
              expect(ok).toBe(n <= available);
              if (ok) {
                available -= n;
                inFlight += n;
              }
            } else if (kind === 'ack') {
              const back = Math.min(n, inFlight);
              inFlight -= back;
              available = Math.min(max, available + back);
              w.ack(n);
            } else if (kind === 'grant') {
              available = Math.min(max, available + n);
              w.grant(n);
            } else {
              available = initial;
              inFlight = 0;
              w.reset();
            }
            expect(w.available).toBe(available);
            expect(w.inFlight).toBe(inFlight);
            expect(w.available).toBeGreaterThanOrEqual(0);
            expect(w.available).toBeLessThanOrEqual(max);
            expect(w.snapshot().backpressure).toBe(available === 0);
          }
        },
      ),
    );
  });
});
