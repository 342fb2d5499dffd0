import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromBase64, toBase64 } from './bytes';

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

describe('bytes', () => {
  it('base64 gives the RFC 4648 test vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [text, b64] of vectors) {
      expect(toBase64(ascii(text))).toBe(b64);
      expect(fromBase64(b64)).toEqual(ascii(text));
    }
    expect(toBase64(Uint8Array.of(0xfb, 0xff, 0xbf))).toBe('+/+/');
  });

  it('base64 round-trips any bytes, across the chunk size of its encoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 0x8000 + 100 }), (bytes) => {
        const b64 = toBase64(bytes);
        expect(b64.length).toBe(Math.ceil(bytes.length / 3) * 4);
        expect(fromBase64(b64)).toEqual(bytes);
      }),
      { numRuns: 50 },
    );
    const large = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 256);
    expect(fromBase64(toBase64(large))).toEqual(large);
  });

  it('concatenates in order, with or without a counted total', () => {
    const parts = [Uint8Array.of(1, 2), Uint8Array.of(), Uint8Array.of(3)];
    expect(concatBytes(parts)).toEqual(Uint8Array.of(1, 2, 3));
    expect(concatBytes(parts, 3)).toEqual(Uint8Array.of(1, 2, 3));
    expect(concatBytes([])).toEqual(new Uint8Array(0));
  });
});
