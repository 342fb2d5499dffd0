import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpoolError } from '../errors';
import { isMessageId, toMessageId } from './message-id';

describe('toMessageId', () => {
  it('keeps a snowflake ID exact from bigint and string', () => {
    expect(toMessageId(1843563473929170944n)).toBe('1843563473929170944');
    expect(toMessageId('1843563473929170944')).toBe('1843563473929170944');
    expect(toMessageId(42)).toBe('42');
  });

  it('accepts the 64-bit maximum and rejects one more', () => {
    expect(toMessageId('9223372036854775807')).toBe('9223372036854775807');
    expect(() => toMessageId('9223372036854775808')).toThrow(SpoolError);
  });

  it.each([0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1, '0', '-5', '1e3', ' 12', '', 0n, -3n])(
    'rejects %s with INVALID_MESSAGE_ID',
    (bad) => {
      try {
        toMessageId(bad as never);
        expect.unreachable();
      } catch (err) {
        expect((err as SpoolError).code).toBe('INVALID_MESSAGE_ID');
      }
    },
  );

  it('round-trips every valid bigint exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: (1n << 63n) - 1n }), (n) => {
        expect(BigInt(toMessageId(n))).toBe(n);
        expect(toMessageId(toMessageId(n))).toBe(n.toString());
      }),
    );
  });

  it('never throws anything but SpoolError on garbage', () => {
    fc.assert(
      fc.property(fc.anything(), (x) => {
        expect(typeof isMessageId(x)).toBe('boolean');
      }),
    );
  });
});
