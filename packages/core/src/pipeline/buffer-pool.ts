import { requireInteger } from '../flow/validate';

/**
 * Reusable fixed-size byte buffers. A pipeline borrows one as its
 * scratch buffer for the life of a stream and returns it when the stream ends, however it ends.
 *
 * @example
 * const pool = createBufferPool({ bufferSize: 64 * 1024, maxBuffers: 64 });
 * const body = createPipeline({ fetcher, encoder: jsonArrayEncoder(), bufferPool: pool });
 */
export interface BufferPool {
  /** The size of every buffer `get()` returns. */
  readonly bufferSize: number;
  /** Buffers waiting for reuse. */
  readonly size: number;
  /** A buffer of `bufferSize` bytes: a pooled one, or a new one when the pool is empty. */
  get(): Uint8Array;
  /** Gives a buffer back; buffers of another size, or beyond `maxBuffers`, are dropped. */
  put(buffer: Uint8Array): void;
}

/** Options of {@link createBufferPool}. */
export interface BufferPoolOptions {
  /** @default 65536 */
  bufferSize?: number;
  /**
   * Buffers kept for reuse; more are left to the garbage collector, so an idle pool holds
   * at most `bufferSize * maxBuffers` bytes.
   * @default 16
   */
  maxBuffers?: number;
}

/** The defaults of {@link BufferPoolOptions}: 64 KiB buffers, 16 kept. */
export const bufferPoolDefaults = { bufferSize: 64 * 1024, maxBuffers: 16 } as const;

/** Creates a {@link BufferPool}. */
export function createBufferPool(options: BufferPoolOptions = {}): BufferPool {
  const bufferSize = requireInteger('bufferSize', options.bufferSize ?? bufferPoolDefaults.bufferSize, 16);
  const maxBuffers = requireInteger('maxBuffers', options.maxBuffers ?? bufferPoolDefaults.maxBuffers, 0);
  const free: Uint8Array[] = [];
  return {
    bufferSize,
    get size() {
      return free.length;
    },
    get: () => free.pop() ?? new Uint8Array(bufferSize),
    put(buffer) {
      if (
        buffer.byteLength === bufferSize &&
        buffer.byteOffset === 0 &&
        free.length < maxBuffers &&
        !free.includes(buffer)
      ) {
        free.push(buffer);
      }
    },
  };
}
