import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyString } from '../protocol/__tests__/any-string';
import { createBufferPool } from './buffer-pool';
import { type ChunkSink, PooledChunkSink, TextChunkSink } from './chunk-sink';

const utf8 = new TextEncoder();
const concat = (chunks: Uint8Array[]) => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
};

const part = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  anyString({ maxLength: 40 }).map((s) => utf8.encode(s)),
);

describe.each([
  ['TextChunkSink', (emit: (c: Uint8Array) => void): ChunkSink => new TextChunkSink(emit)],
  [
    'PooledChunkSink',
    (emit: (c: Uint8Array) => void): ChunkSink =>
      new PooledChunkSink(createBufferPool({ bufferSize: 16 }), emit),
  ],
])('%s', (_name, make) => {
  it('emits exactly the bytes written, in order, for any mix of text and bytes and any flush points', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(part, fc.boolean()), { maxLength: 60 }), (writes) => {
        const chunks: Uint8Array[] = [];
        const sink = make((c) => chunks.push(c));
        const expected: Uint8Array[] = [];
        for (const [p, flush] of writes) {
          sink.write(p);
          expected.push(typeof p === 'string' ? utf8.encode(p) : p);
          if (flush) sink.flush();
        }
        sink.flush();
        expect(concat(chunks)).toEqual(concat(expected));
        expect(chunks.every((c) => c.byteLength > 0)).toBe(true);
        sink.release();
      }),
    );
  });

  it('hands out chunks the sink never writes to again', () => {
    const chunks: Uint8Array[] = [];
    const sink = make((c) => chunks.push(c));
    sink.write('abc');
    sink.flush();
    sink.write('xyz');
    sink.flush();
    expect(new TextDecoder().decode(chunks[0])).toBe('abc');
  });
});

describe('PooledChunkSink', () => {
  it('returns its buffer to the pool on release', () => {
    const pool = createBufferPool({ bufferSize: 16 });
    const sink = new PooledChunkSink(pool, () => {});
    expect(pool.size).toBe(0);
    sink.release();
    sink.release();
    expect(pool.size).toBe(1);
  });

  it('splits a part larger than its buffer across chunks without cutting a code point', () => {
    const chunks: Uint8Array[] = [];
    const sink = new PooledChunkSink(createBufferPool({ bufferSize: 16 }), (c) => chunks.push(c));
    const text = '数据🙂'.repeat(20);
    sink.write(text);
    sink.flush();
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(new TextDecoder('utf-8', { fatal: true }).decode(c)).toBeTypeOf('string');
    expect(new TextDecoder().decode(concat(chunks))).toBe(text);
  });
});
