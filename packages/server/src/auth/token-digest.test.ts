import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesEqual, toHex, tokenDigest } from './token-digest';

describe('tokenDigest', () => {
  it('is the SHA-256 of the UTF-8 bytes, as node:crypto computes it', async () => {
    for (const text of ['', 'abc', 'admin-token-1', `${'x'.repeat(64)}é€😀`]) {
      expect(toHex(await tokenDigest(text))).toBe(createHash('sha256').update(text).digest('hex'));
    }
  });

  it('compares bytes, refusing a different length or any differing byte', async () => {
    expect(bytesEqual(await tokenDigest('a'), await tokenDigest('a'))).toBe(true);
    expect(bytesEqual(await tokenDigest('a'), await tokenDigest('b'))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
  });
});
