import { describe, expect, it } from 'vitest';
import { fmt, fmtBytes, fmtRatio } from './format';

describe('fmt', () => {
  it('prints counts as integers and fractions with about three digits', () => {
    expect([0, 14, 80, 1234.4, 2_917_688.2, 0.404, 12.34, 123.4].map(fmt)).toEqual([
      '0',
      '14',
      '80',
      '1,234',
      '2,917,688',
      '0.40',
      '12.3',
      '123',
    ]);
    expect(fmt(Number.NaN)).toBe('NaN');
  });

  it('prints ratios and byte sizes', () => {
    expect(fmtRatio(6.352)).toBe('6.35x');
    expect(fmtBytes(512)).toBe('512 B');
    expect(fmtBytes(24 * 2 ** 30)).toBe('24.0 GiB');
  });
});
