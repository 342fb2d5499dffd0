import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countUtf8, utf8ByteLength } from './memory-cost';

const encoded = (text: string) => new TextEncoder().encode(text).byteLength;

describe('utf8ByteLength', () => {
  it.each([
    ['', 0],
    ['hello', 5],
    ['héllo', 6],
    ['€', 3],
    ['😀', 4],
    ['\ud83d', 3], // lone high surrogate → U+FFFD
    ['\ude00x', 4], // lone low surrogate → U+FFFD
    ['\ud83d\ud83d\ude00', 7], // lone high, then a pair
  ])('counts %j as %i bytes, like TextEncoder', (text, bytes) => {
    expect(utf8ByteLength(text)).toBe(bytes);
    expect(countUtf8(text)).toBe(bytes);
    expect(encoded(text)).toBe(bytes);
  });

  it('agrees with TextEncoder on any string, short, medium or longer than the scratch buffer', () => {
    // Any code point: ASCII, 2- and 3-byte characters, astral pairs, and (from the
    // 0xD800–0xDFFF range) lone surrogates. A custom unit, because building fast-check's
    // 'binary' unit takes seconds under Vitest's module runner.
    const codePoint = fc.oneof(
      fc.integer({ min: 0, max: 0x7f }),
      fc.integer({ min: 0x80, max: 0xffff }),
      fc.integer({ min: 0x10000, max: 0x10ffff }),
    );
    const unit = codePoint.map((c) => String.fromCodePoint(c));
    const anyText = fc.oneof(
      fc.string({ unit, maxLength: 16 }),
      fc.string({ unit, minLength: 17, maxLength: 300 }),
    );
    fc.assert(
      // A boolean predicate rather than expect(): fast-check reports the counterexample.
      fc.property(
        anyText,
        (text) => utf8ByteLength(text) === encoded(text) && countUtf8(text) === encoded(text),
      ),
      { numRuns: 300 },
    );
  });

  it('counts strings beyond the scratch buffer exactly', () => {
    const long = 'é😀a'.repeat(3000); // 12,000 units
    expect(utf8ByteLength(long)).toBe(encoded(long));
    const surrogateEdge = `${'a'.repeat(4095)}😀`; // a pair straddling the 4,096-unit boundary
    expect(utf8ByteLength(surrogateEdge)).toBe(encoded(surrogateEdge));
  });
});
