/**
 * Shared by property tests (never exported from the package): strings of any UTF-16 code
 * units, for text that must survive every input (encoders, decoders, byte counts).
 *
 * Why not `fc.string({ unit: 'binary' })`: fast-check builds a map of every code point
 * (1.1 million entries) the first time a test file uses it, which costs 2 to 6 s of CPU on
 * a busy 2-core machine, enough to push a test past its timeout. This arbitrary draws from
 * each UTF-8 length class instead, so 1-, 2-, 3- and 4-byte characters all come up often,
 * and (unless asked not to) lone surrogates too, which `unit: 'binary'` never generates.
 */
import fc from 'fast-check';

const unit = (min: number, max: number) => fc.integer({ min, max }).map((c) => String.fromCharCode(c));

const wellFormed = [
  unit(0, 0x7f),
  unit(0x80, 0x7ff),
  fc.oneof(unit(0x800, 0xd7ff), unit(0xe000, 0xffff)),
  fc.integer({ min: 0x10000, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp)),
];
// Lone surrogates, and pairs when a high one lands before a low one.
const surrogate = unit(0xd800, 0xdfff);
const anyPiece = fc.oneof(...wellFormed, surrogate);
const wellFormedPiece = fc.oneof(...wellFormed);

/**
 * Any string; `maxLength` counts pieces (each one or two code units). With
 * `loneSurrogates: false` it is well-formed UTF-16 (text that survives a UTF-8 round trip
 * unchanged), as `fc.string({ unit: 'binary' })` is.
 */
export function anyString(
  options: { maxLength?: number; loneSurrogates?: boolean } = {},
): fc.Arbitrary<string> {
  const piece = options.loneSurrogates === false ? wellFormedPiece : anyPiece;
  return fc.array(piece, { maxLength: options.maxLength ?? 20 }).map((pieces) => pieces.join(''));
}
