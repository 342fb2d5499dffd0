import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpoolError } from '../errors';
import { createManualClock } from '../time/clock';
import { createBufferPool } from './buffer-pool';
import { jsonArrayEncoder, ndjsonEncoder, type PipelineEncoder } from './encoder';
import { ssePipelineEncoder } from './sse-encoder';
import {
  createBatchPipeline,
  createPipeline,
  type PipelineMetrics,
  type PipelineSummary,
  StreamPipeline,
} from './stream-pipeline';

async function readAll(stream: ReadableStream<Uint8Array>): Promise<{ text: string; chunks: Uint8Array[] }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  const decoder = new TextDecoder();
  return { text: chunks.map((c) => decoder.decode(c, { stream: true })).join('') + decoder.decode(), chunks };
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as SpoolError).code;
  }
}

async function* generate<T>(items: T[], log?: { finally: boolean; yielded: number }): AsyncGenerator<T> {
  try {
    for (const item of items) {
      if (log) log.yielded++;
      yield item;
    }
  } finally {
    if (log) log.finally = true;
  }
}

function failingAfter<T>(items: T[], error: unknown): AsyncIterable<T> {
  return (async function* () {
    yield* items;
    throw error;
  })();
}

const flush = async () => {
  for (let i = 0; i < 50; i++) await Promise.resolve();
};

describe('createPipeline with the JSON array encoder', () => {
  it.each([0, 1, 2, 500])('streams a valid JSON array of %i items', async (n) => {
    const items = Array.from({ length: n }, (_, i) => ({ i, text: `é${i}` }));
    const { text } = await readAll(createPipeline({ fetcher: generate(items), encoder: jsonArrayEncoder() }));
    expect(JSON.parse(text)).toEqual(items);
  });

  it('produces valid JSON for any item count and any chunk threshold, with and without the pool', async () => {
    const value = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.integer(), fc.constant(null));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.dictionary(fc.string({ maxLength: 5 }), value, { maxKeys: 3 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 300 }),
        fc.boolean(),
        fc.boolean(),
        async (items, chunkThreshold, pooled, async) => {
          const stream = createPipeline({
            fetcher: async ? generate(items) : items,
            encoder: jsonArrayEncoder(),
            chunkThreshold,
            bufferPool: pooled ? createBufferPool({ bufferSize: 64 }) : false,
          });
          const { text, chunks } = await readAll(stream);
          expect(JSON.parse(text)).toEqual(items);
          if (!pooled) {
            // Every chunk but the last passed the threshold before it was sent.
            for (const c of chunks.slice(0, -1)) expect(c.byteLength).toBeGreaterThanOrEqual(chunkThreshold);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('flushes at the threshold rather than holding everything to the end', async () => {
    const items = Array.from({ length: 1000 }, (_, i) => 'x'.repeat(97) + String(i % 10));
    const { chunks } = await readAll(
      createPipeline({ fetcher: items, encoder: jsonArrayEncoder(), chunkThreshold: 1024 }),
    );
    expect(chunks.length).toBeGreaterThan(90);
    for (const c of chunks.slice(0, -1)) expect(c.byteLength).toBeLessThan(1024 + 110);
  });
});

describe('fetchers and transformers', () => {
  it('takes a ReadableStream, a function of the signal, and an async function', async () => {
    const rs = () =>
      new ReadableStream<number>({
        start(c) {
          for (const n of [1, 2, 3]) c.enqueue(n);
          c.close();
        },
      });
    let seen: AbortSignal | undefined;
    const sources = [
      rs(),
      (signal: AbortSignal) => {
        seen = signal;
        return [1, 2, 3];
      },
      async () => generate([1, 2, 3]),
    ];
    for (const fetcher of sources) {
      const { text } = await readAll(createPipeline({ fetcher, encoder: jsonArrayEncoder() }));
      expect(JSON.parse(text)).toEqual([1, 2, 3]);
    }
    expect(seen).toBeInstanceOf(AbortSignal);
    expect(seen?.aborted).toBe(false);
  });

  it('applies a sync or async transformer with the item index', async () => {
    const { text } = await readAll(
      createPipeline({
        fetcher: generate(['a', 'b', 'c']),
        transformer: async (s: string, i) => (i === 1 ? `${s}${i}` : { s, i }),
        encoder: ndjsonEncoder(),
      }),
    );
    expect(text).toBe('{"s":"a","i":0}\n"b1"\n{"s":"c","i":2}\n');
  });

  it('writes Uint8Array parts from a custom encoder byte for byte', async () => {
    const bytes: PipelineEncoder<number> = {
      contentType: 'application/octet-stream',
      start: () => new Uint8Array([0xff]),
      item: (n) => new Uint8Array([n]),
      end: () => 'END',
      error: () => 'ERR',
    };
    for (const bufferPool of [false, createBufferPool({ bufferSize: 16 })] as const) {
      const { chunks } = await readAll(createPipeline({ fetcher: [1, 2, 3], encoder: bytes, bufferPool }));
      const all = chunks.flatMap((c) => [...c]);
      expect(all).toEqual([0xff, 1, 2, 3, 69, 78, 68]);
    }
  });

  it('rejects a bad fetcher, encoder or transformer at once with INVALID_OPTION', () => {
    const bad = [
      () => createPipeline({ fetcher: 42 as never, encoder: jsonArrayEncoder() }),
      () => createPipeline({ fetcher: [], encoder: { contentType: 'x' } as never }),
      () => createPipeline({ fetcher: [], encoder: jsonArrayEncoder(), transformer: 'up' as never }),
      () => createPipeline({ fetcher: [], encoder: jsonArrayEncoder(), bufferPool: {} as never }),
    ];
    for (const make of bad) {
      try {
        make();
        expect.unreachable();
      } catch (err) {
        expect((err as SpoolError).code).toBe('INVALID_OPTION');
      }
    }
  });
});

describe('the batch variant', () => {
  it('hands transformBatch batches of batchSize and encodes what it returns', async () => {
    const batches: number[][] = [];
    const { text } = await readAll(
      createBatchPipeline({
        fetcher: generate(Array.from({ length: 7 }, (_, i) => i)),
        batchSize: 3,
        transformBatch: async (batch: number[]) => {
          batches.push(batch);
          return batch.map((n) => n * 10);
        },
        encoder: jsonArrayEncoder(),
      }),
    );
    expect(batches).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(JSON.parse(text)).toEqual([0, 10, 20, 30, 40, 50, 60]);
  });

  it('streams items as they are without transformBatch, and fails in-band on a non-array result', async () => {
    const plain = await readAll(
      createBatchPipeline({ fetcher: [1, 2, 3], batchSize: 2, encoder: jsonArrayEncoder() }),
    );
    expect(JSON.parse(plain.text)).toEqual([1, 2, 3]);
    const bad = await readAll(
      createBatchPipeline({ fetcher: [1], transformBatch: () => 5 as never, encoder: jsonArrayEncoder() }),
    );
    expect(JSON.parse(bad.text).at(-1).error.code).toBe('PIPELINE_FAILED');
  });
});

describe('errors end the stream in-band', () => {
  it('JSON array: a last element {"error":{code,message}} and a closing ]', async () => {
    const metrics: SpoolError[] = [];
    const cause = new Error('connection reset by db-7.internal');
    const { text } = await readAll(
      createPipeline({
        fetcher: failingAfter([1, 2], cause),
        encoder: jsonArrayEncoder(),
        metrics: { onError: (e) => metrics.push(e) },
      }),
    );
    const parsed = JSON.parse(text);
    expect(parsed.slice(0, 2)).toEqual([1, 2]);
    expect(parsed[2].error.code).toBe('PIPELINE_FAILED');
    // Internal details stay on the server; metrics get the original.
    expect(parsed[2].error.message).not.toContain('db-7');
    expect(metrics[0]?.code).toBe('PIPELINE_FAILED');
    expect(metrics[0]?.cause).toBe(cause);
    expect(metrics[0]?.details).toEqual({ stage: 'fetcher' });
  });

  it('passes a SpoolError code and message through, before any item too', async () => {
    const { text } = await readAll(
      createPipeline({
        fetcher: failingAfter([], new SpoolError('STORE_UNAVAILABLE', 'the store is down, retry later')),
        encoder: jsonArrayEncoder(),
      }),
    );
    expect(JSON.parse(text)).toEqual([
      { error: { code: 'STORE_UNAVAILABLE', message: 'the store is down, retry later' } },
    ]);
  });

  it('NDJSON: an error line; SSE: an `event: error`', async () => {
    const nd = await readAll(
      createPipeline({ fetcher: failingAfter([1], new Error('x')), encoder: ndjsonEncoder() }),
    );
    const lines = nd.text.trim().split('\n');
    expect(lines[0]).toBe('1');
    expect(JSON.parse(lines[1]!).error.code).toBe('PIPELINE_FAILED');
    const sse = await readAll(
      createPipeline({
        fetcher: failingAfter([{ data: 'hi' }], new Error('x')),
        encoder: ssePipelineEncoder(),
      }),
    );
    expect(sse.text).toMatch(/^data: hi\n\nevent: error\ndata: \{"error":\{"code":"PIPELINE_FAILED"/);
  });

  it('a transformer error stops the fetcher, aborts its signal and uses describeError', async () => {
    const log = { finally: false, yielded: 0 };
    let signal: AbortSignal | undefined;
    const { text } = await readAll(
      createPipeline({
        fetcher: (s) => {
          signal = s;
          return generate([1, 2, 3, 4], log);
        },
        transformer: (n: number) => {
          if (n === 2) throw new TypeError('bad row');
          return n;
        },
        encoder: jsonArrayEncoder(),
        describeError: (e) => ({ code: 'BAD_ROW', message: (e as Error).message }),
      }),
    );
    expect(JSON.parse(text)).toEqual([1, { error: { code: 'BAD_ROW', message: 'bad row' } }]);
    await flush();
    expect(log.finally).toBe(true);
    expect(log.yielded).toBe(2);
    expect(signal?.aborted).toBe(true);
  });

  it('an item the encoder cannot serialise (a bigint) fails in-band after the good items', async () => {
    const { text } = await readAll(createPipeline({ fetcher: [1, 2n, 3], encoder: jsonArrayEncoder() }));
    expect(JSON.parse(text)).toEqual([1, { error: expect.objectContaining({ code: 'PIPELINE_FAILED' }) }]);
  });

  it('returns the pool buffer however the stream ends', async () => {
    const pool = createBufferPool({ bufferSize: 64 });
    await readAll(createPipeline({ fetcher: [1, 2], encoder: jsonArrayEncoder(), bufferPool: pool }));
    expect(pool.size).toBe(1);
    await readAll(
      createPipeline({
        fetcher: failingAfter([1], new Error('x')),
        encoder: jsonArrayEncoder(),
        bufferPool: pool,
      }),
    );
    expect(pool.size).toBe(1);
    const cancelled = createPipeline({
      fetcher: generate([1, 2, 3]),
      encoder: jsonArrayEncoder(),
      bufferPool: pool,
    });
    expect(pool.size).toBe(0);
    await cancelled.cancel();
    expect(pool.size).toBe(1);
  });
});

describe('cancellation and abort', () => {
  it('cancelling the output aborts the fetcher and stops its iterator', async () => {
    const log = { finally: false, yielded: 0 };
    let signal: AbortSignal | undefined;
    const cancels: PipelineSummary[] = [];
    const items = Array.from({ length: 10_000 }, (_, i) => i);
    const stream = createPipeline({
      fetcher: (s) => {
        signal = s;
        return generate(items, log);
      },
      encoder: jsonArrayEncoder(),
      chunkThreshold: 64,
      metrics: { onCancel: (s) => cancels.push(s) },
    });
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel(new Error('client went away'));
    await flush();
    expect(signal?.aborted).toBe(true);
    expect((signal!.reason as Error).message).toBe('client went away');
    expect(log.finally).toBe(true);
    expect(log.yielded).toBeLessThan(100);
    expect(cancels).toHaveLength(1);
  });

  it('cancelling a ReadableStream fetcher cancels it', async () => {
    let cancelled: unknown;
    const source = new ReadableStream<number>({
      pull: (c) => c.enqueue(1),
      cancel: (reason) => {
        cancelled = reason;
      },
    });
    const stream = createPipeline({ fetcher: source, encoder: jsonArrayEncoder(), chunkThreshold: 8 });
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel('stop');
    await flush();
    expect(cancelled).toBe('stop');
  });

  it('an aborted signal errors the output with ABORTED and aborts the fetcher', async () => {
    const ac = new AbortController();
    let signal: AbortSignal | undefined;
    const errors: string[] = [];
    const stream = createPipeline({
      fetcher: (s) => {
        signal = s;
        return generate(Array.from({ length: 10_000 }, (_, i) => i));
      },
      encoder: jsonArrayEncoder(),
      chunkThreshold: 64,
      signal: ac.signal,
      metrics: { onError: (e) => errors.push(e.code) },
    });
    const reader = stream.getReader();
    await reader.read();
    ac.abort();
    expect(await codeOf(reader.read())).toBe('ABORTED');
    expect(signal?.aborted).toBe(true);
    expect(errors).toEqual(['ABORTED']);
  });

  it('an already aborted signal never starts the fetcher', async () => {
    let called = false;
    const stream = createPipeline({
      fetcher: () => {
        called = true;
        return [1];
      },
      encoder: jsonArrayEncoder(),
      signal: AbortSignal.abort(),
    });
    expect(await codeOf(stream.getReader().read())).toBe('ABORTED');
    expect(called).toBe(false);
  });
});

describe('backpressure', () => {
  const ITEM = 'x'.repeat(20); // 23 bytes per item with quotes and comma

  it('a reader that never reads stops the fetcher after highWaterMark chunks plus one', async () => {
    let produced = 0;
    const source = (async function* () {
      // Bounded, so that a pipeline ignoring backpressure fails this test instead of hanging it.
      for (let i = 0; i < 100_000; i++) {
        produced++;
        yield ITEM;
      }
    })();
    const stream = createPipeline({
      fetcher: source,
      encoder: jsonArrayEncoder(),
      chunkThreshold: 230,
      highWaterMark: 2,
    });
    await flush();
    await flush();
    // 2 queued chunks of ~10 items, and no more: the pipeline does not pull a third.
    expect(produced).toBeGreaterThan(0);
    expect(produced).toBeLessThanOrEqual(2 * 11 + 1);
    const before = produced;
    await flush();
    expect(produced).toBe(before);
    await stream.cancel();
  });

  it('bounds how far the fetcher runs ahead of a randomly timed slow reader', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(30), { minLength: 5, maxLength: 40 }),
        fc.integer({ min: 23, max: 500 }),
        fc.integer({ min: 0, max: 3 }),
        async (pauses, chunkThreshold, highWaterMark) => {
          let produced = 0;
          const source = (async function* () {
            for (let i = 0; i < 2_000; i++) {
              produced++;
              yield ITEM;
            }
          })();
          const stream = createPipeline({
            fetcher: source,
            encoder: jsonArrayEncoder(),
            chunkThreshold,
            highWaterMark,
          });
          const reader = stream.getReader();
          const perChunk = Math.ceil(chunkThreshold / 23) + 1;
          let received = 0;
          for (const pause of pauses) {
            for (let i = 0; i < pause; i++) await Promise.resolve();
            const { done, value } = await reader.read();
            if (done) break;
            received += value.byteLength;
            // Items fully received, plus what may sit in the queue and the chunk being built.
            const bound = Math.floor(received / 23) + (highWaterMark + 1) * perChunk + 1;
            expect(produced).toBeLessThanOrEqual(bound);
          }
          await reader.cancel();
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('metrics', () => {
  it('reports each chunk and a summary with the duration on the injected clock', async () => {
    const clock = createManualClock(1_000);
    const sent: number[] = [];
    let done: PipelineSummary | undefined;
    const metrics: PipelineMetrics = {
      onChunkSent: (b) => {
        sent.push(b);
        clock.advance(5);
      },
      onComplete: (s) => {
        done = s;
      },
    };
    const { chunks } = await readAll(
      createPipeline({
        fetcher: ['aaaa', 'bbbb', 'cccc'],
        encoder: jsonArrayEncoder(),
        chunkThreshold: 8,
        clock,
        metrics,
      }),
    );
    expect(sent).toEqual(chunks.map((c) => c.byteLength));
    expect(done).toEqual({ items: 3, chunks: chunks.length, bytes: 22, durationMs: 5 * chunks.length });
  });

  it('a throwing hook does not break the stream', async () => {
    const { text } = await readAll(
      createPipeline({
        fetcher: [1, 2],
        encoder: jsonArrayEncoder(),
        metrics: {
          onChunkSent: () => {
            throw new Error('metrics bug');
          },
        },
      }),
    );
    expect(JSON.parse(text)).toEqual([1, 2]);
  });
});

describe('StreamPipeline', () => {
  it('serves many streams from one configuration', async () => {
    const pipeline = new StreamPipeline({ chunkThreshold: 4 });
    const [a, b] = await Promise.all([
      readAll(pipeline.stream({ fetcher: [1, 2], encoder: jsonArrayEncoder() })),
      readAll(pipeline.streamBatch({ fetcher: [3, 4], encoder: ndjsonEncoder() })),
    ]);
    expect(JSON.parse(a.text)).toEqual([1, 2]);
    expect(b.text).toBe('3\n4\n');
  });
});

describe('compression', () => {
  it('gzips the output through CompressionStream', async () => {
    const items = Array.from({ length: 2_000 }, (_, i) => ({ i, text: 'the same words again and again' }));
    const stream = createPipeline({ fetcher: items, encoder: jsonArrayEncoder(), compression: 'gzip' });
    const compressed = await readAll(stream);
    const size = compressed.chunks.reduce((n, c) => n + c.byteLength, 0);
    const plain = new Blob(compressed.chunks as BlobPart[])
      .stream()
      .pipeThrough(new DecompressionStream('gzip'));
    const { text } = await readAll(plain as ReadableStream<Uint8Array>);
    expect(JSON.parse(text)).toEqual(items);
    expect(size).toBeLessThan(text.length / 5);
  });
});
