import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesEqual, sha256, toHex } from './sha256';

describe('sha256 without node:crypto', () => {
  it('matches the FIPS 180-4 vectors', () => {
    expect(toHex(sha256(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(sha256('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('agrees with node:crypto on every length across the block boundaries, and on non-ASCII text', () => {
    for (let n = 0; n < 200; n++) {
      const text = 'x'.repeat(n) + (n % 3 === 0 ? 'é€😀' : '');
      expect(toHex(sha256(text)), `length ${n}`).toBe(createHash('sha256').update(text).digest('hex'));
    }
  });

  it('compares bytes, refusing a different length or any differing byte', () => {
    expect(bytesEqual(sha256('a'), sha256('a'))).toBe(true);
    expect(bytesEqual(sha256('a'), sha256('b'))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1))).toBe(false);
  });
});
