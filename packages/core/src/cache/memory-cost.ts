/**
 * How the StreamCache counts memory. The figure is an accounting model, not a heap
 * measurement: payload bytes (UTF-8 length for text) plus a fixed overhead per chunk and
 * per stream. The constants are set above what the cache really retains (bench/cache.ts
 * measures about 19 heap bytes per chunk beyond the payload, and about 720 bytes per open
 * stream with short metadata), so `maxMemoryBytes` bounds the cache's own data. Metadata
 * strings and custom fields are covered by the per-stream overhead only: keep them small.
 */

/**
 * Bytes counted for each cached chunk on top of its payload (the payload reference, the
 * chunk ID slot and the arrays' spare capacity).
 *
 * @example
 * // a 64-byte chunk costs 64 + CACHE_CHUNK_OVERHEAD_BYTES
 */
export const CACHE_CHUNK_OVERHEAD_BYTES = 32;

/**
 * Bytes counted for each open stream: its record, metadata copy, chunk arrays, index
 * entries and deadline-queue slot.
 *
 * @example
 * // an open stream with no chunks costs CACHE_STREAM_OVERHEAD_BYTES
 */
export const CACHE_STREAM_OVERHEAD_BYTES = 1024;

// encodeInto is native and much faster than a JS loop beyond a few characters; the scratch
// buffer is reused (never read), sized for the worst case of 3 bytes per UTF-16 unit.
const SCRATCH_CHARS = 4096;
let encoder: TextEncoder | undefined;
let scratch: Uint8Array | undefined;

/**
 * The number of bytes `new TextEncoder().encode(text)` would produce, without allocating.
 * A lone surrogate counts 3 bytes, because the encoder replaces it with U+FFFD
 * (https://encoding.spec.whatwg.org/#utf-8-encoder).
 *
 * @example utf8ByteLength('héllo') // 6
 */
export function utf8ByteLength(text: string): number {
  const length = text.length;
  if (length > 16 && length <= SCRATCH_CHARS) {
    encoder ??= new TextEncoder();
    scratch ??= new Uint8Array(SCRATCH_CHARS * 3);
    return encoder.encodeInto(text, scratch).written;
  }
  return countUtf8(text);
}

/** The same count by a loop over UTF-16 units (short and very long strings). */
export function countUtf8(text: string): number {
  const length = text.length;
  let bytes = length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        // A surrogate pair: two UTF-16 units, four UTF-8 bytes.
        bytes += 2;
        i++;
      } else {
        bytes += 2;
      }
    } else {
      bytes += 2;
    }
  }
  return bytes;
}
