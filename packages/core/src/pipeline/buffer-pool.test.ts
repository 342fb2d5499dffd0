import { describe, expect, it } from 'vitest';
import type { SpoolError } from '../errors';
import { createBufferPool } from './buffer-pool';

describe('createBufferPool', () => {
  it('reuses returned buffers', () => {
    const pool = createBufferPool({ bufferSize: 1024, maxBuffers: 2 });
    const a = pool.get();
    expect(a.byteLength).toBe(1024);
    pool.put(a);
    expect(pool.size).toBe(1);
    expect(pool.get()).toBe(a);
    expect(pool.size).toBe(0);
  });

  it('keeps at most maxBuffers, drops foreign sizes and double puts', () => {
    const pool = createBufferPool({ bufferSize: 64, maxBuffers: 2 });
    const [a, b, c] = [pool.get(), pool.get(), pool.get()];
    pool.put(a);
    pool.put(a);
    pool.put(new Uint8Array(32));
    pool.put(new Uint8Array(128).subarray(64));
    pool.put(b);
    pool.put(c);
    expect(pool.size).toBe(2);
  });

  it.each([{ bufferSize: 0 }, { maxBuffers: -1 }])('rejects %o with INVALID_OPTION', (options) => {
    try {
      createBufferPool(options);
      expect.unreachable();
    } catch (err) {
      expect((err as SpoolError).code).toBe('INVALID_OPTION');
    }
  });
});
