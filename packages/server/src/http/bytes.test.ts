import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromBase64, toBase64 } from './bytes';

describe('bytes', () => {
  it('base64 agrees with Node for every length around the chunk size and every byte value', () => {
    const seed = Date.now();
    console.log(`bytes base64 seed ${seed}`);
    let s = seed;
    const rand = () => {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      return s;
    };
    for (const n of [0, 1, 2, 3, 255, 256, 0x7fff, 0x8000, 0x8001, 100_000]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (n === 256 ? i : rand() % 256));
      const b64 = toBase64(bytes);
      expect(b64).toBe(Buffer.from(bytes).toString('base64'));
      expect(fromBase64(b64)).toEqual(new Uint8Array(Buffer.from(b64, 'base64')));
    }
  });

  it('concatenates in order, with or without a counted total', () => {
    const parts = [Uint8Array.of(1, 2), Uint8Array.of(), Uint8Array.of(3)];
    expect(concatBytes(parts)).toEqual(Uint8Array.of(1, 2, 3));
    expect(concatBytes(parts, 3)).toEqual(Uint8Array.of(1, 2, 3));
    expect(concatBytes([])).toEqual(new Uint8Array(0));
  });
});
