import { afterEach, describe, expect, it, vi } from 'vitest';
import { createManualClock } from '../time/clock';
import type { StreamCacheOptions } from './cache-options';
import { EndReason } from './end-reason';
import type { MessageChunk } from './message-chunk';
import { StreamCache } from './stream-cache';
import type { StreamMeta } from './stream-meta';

const START = 1_700_000_000_000;

afterEach(() => {
  vi.restoreAllMocks();
});

function setup(options: StreamCacheOptions) {
  const clock = createManualClock(START);
  // Not closed after each test: close() waits for retries, which only this test's clock drives.
  const cache = new StreamCache({ clock, ...options });
  return { cache, clock };
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('onStreamComplete', () => {
  it('gets the chunks sorted by chunkId, the closed meta and the attempt number', async () => {
    const calls: Array<[string, MessageChunk[], StreamMeta, { attempt: number }]> = [];
    const { cache } = setup({ onStreamComplete: (...args) => void calls.push(args) });
    cache.openStream({ messageId: '9', channelId: 'g', channelType: 1, customFields: { p: 'high' } });
    for (const chunkId of [4, 0, 3, 1, 2])
      cache.appendChunk({ messageId: '9', chunkId, payload: `#${chunkId}` });
    cache.endStream('9', EndReason.Success);
    await flush();
    expect(calls).toHaveLength(1);
    const [id, chunks, meta, context] = calls[0]!;
    expect(id).toBe('9');
    expect(chunks).toEqual([0, 1, 2, 3, 4].map((n) => ({ messageId: '9', chunkId: n, payload: `#${n}` })));
    expect(meta).toMatchObject({
      messageId: '9',
      closed: true,
      endReason: 'success',
      customFields: { p: 'high' },
    });
    expect(context).toEqual({ attempt: 1 });
  });

  it('runs after the state change, outside the call, and may use the cache', async () => {
    let duringEnd = false;
    let inside: { memory: number; streams: number; reopened: string } | undefined;
    const { cache } = setup({
      onStreamComplete: (id) => {
        if (duringEnd) throw new Error('ran inside endStream');
        inside = {
          memory: cache.getMemoryUsage(),
          streams: cache.getStreamCount(),
          reopened: id === '1' ? cache.openStream({ messageId: '2' }).messageId : '',
        };
      },
    });
    cache.openStream({ messageId: '1' });
    cache.appendChunk({ messageId: '1', chunkId: 0, payload: 'abc' });
    duringEnd = true;
    cache.endStream('1');
    duringEnd = false;
    expect(inside).toBeUndefined();
    await flush();
    // The ended stream's memory was released before the callback ran.
    expect(inside).toEqual({ memory: 0, streams: 0, reopened: '2' });
    expect(cache.getStreamCount()).toBe(1);
  });

  it('may be async; the memory is released before its result is known', async () => {
    let release!: () => void;
    const { cache } = setup({
      onStreamComplete: () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    });
    cache.openStream({ messageId: '1' });
    cache.appendChunk({ messageId: '1', chunkId: 0, payload: 'x'.repeat(1000) });
    cache.endStream('1');
    await flush();
    expect(cache.getMemoryUsage()).toBe(0);
    expect(cache.getStats()).toMatchObject({ pendingCompletions: 1, completed: 0 });
    release();
    await flush();
    expect(cache.getStats()).toMatchObject({ pendingCompletions: 0, completed: 1 });
  });
});

describe('completion retries', () => {
  it('retries a throwing or rejecting callback with capped, fully jittered exponential backoff', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const attemptsAt: number[] = [];
    let calls = 0;
    const { cache, clock } = setup({
      completionRetry: { attempts: 5, baseDelayMs: 100, maxDelayMs: 300 },
      onStreamComplete: async (_id, _chunks, _meta, { attempt }) => {
        attemptsAt.push(clock.now());
        calls++;
        expect(attempt).toBe(calls);
        if (attempt === 1) throw new Error('sync-style failure');
        if (attempt < 4) return Promise.reject(new Error('store down'));
      },
    });
    cache.openStream({ messageId: '1' });
    cache.endStream('1');
    await flush();
    await clock.advanceAsync(1_000);
    // delays: floor(0.999 * min(300, 100 * 2^(n-1))) = 99, 199, 299
    expect(attemptsAt.map((t) => t - START)).toEqual([0, 99, 298, 597]);
    expect(cache.getStats()).toMatchObject({
      completed: 1,
      completionFailures: 3,
      retriesScheduled: 3,
      deadLettered: 0,
    });
  });

  it('retries at once when the jitter draws 0', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    let calls = 0;
    const { cache, clock } = setup({
      completionRetry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 },
      onStreamComplete: () => {
        calls++;
        throw new Error('down');
      },
    });
    cache.openStream({ messageId: '1' });
    cache.endStream('1');
    await flush();
    expect(calls).toBe(1);
    await clock.advanceAsync(0);
    expect(calls).toBe(3);
    expect(clock.now()).toBe(START);
  });

  it('dead-letters with the full chunks after the last attempt, counting it', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const deadLetters: Array<{
      id: string;
      chunks: MessageChunk[];
      meta: StreamMeta;
      error: unknown;
      attempts: number;
    }> = [];
    const outcomes: unknown[] = [];
    const { cache, clock } = setup({
      completionRetry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
      onStreamComplete: () => Promise.reject(new Error('store down')),
      onCompleteFailed: (id, chunks, meta, { error, attempts }) => {
        deadLetters.push({ id, chunks, meta, error, attempts });
      },
    });
    cache.on('completion', (meta, outcome) => outcomes.push([meta.messageId, outcome]));
    cache.openStream({ messageId: '1843563473929170944' });
    cache.appendChunk({ messageId: '1843563473929170944', chunkId: 1, payload: 'b' });
    cache.appendChunk({ messageId: '1843563473929170944', chunkId: 0, payload: new Uint8Array([97]) });
    cache.endStream('1843563473929170944', EndReason.Error);
    await clock.advanceAsync(1_000);
    expect(deadLetters).toHaveLength(1);
    const [dead] = deadLetters;
    expect(dead!.id).toBe('1843563473929170944');
    expect(dead!.chunks.map((c) => c.chunkId)).toEqual([0, 1]);
    expect(dead!.chunks[0]!.payload).toEqual(new Uint8Array([97]));
    expect(dead!.meta.endReason).toBe('error');
    expect(dead!.error).toEqual(new Error('store down'));
    expect(dead!.attempts).toBe(3);
    expect(outcomes).toEqual([
      ['1843563473929170944', { status: 'dead-lettered', attempts: 3, error: new Error('store down') }],
    ]);
    expect(cache.getStats()).toMatchObject({ completed: 0, completionFailures: 3, deadLettered: 1 });
  });

  it('still counts and reports a dead letter without a hook, or when the hook fails', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const outcomes: string[] = [];
    const { cache, clock } = setup({
      completionRetry: { attempts: 1 },
      onStreamComplete: () => {
        throw new Error('down');
      },
    });
    cache.on('completion', (meta, outcome) => outcomes.push(`${meta.messageId} ${outcome.status}`));
    cache.openStream({ messageId: '1' });
    cache.endStream('1');
    await clock.advanceAsync(0);
    expect(outcomes).toEqual(['1 dead-lettered']);
    expect(cache.getStats()).toMatchObject({ deadLettered: 1, deadLetterHookFailures: 0 });

    for (const hook of [
      () => {
        throw new Error('hook bug');
      },
      () => Promise.reject(new Error('hook down')),
    ]) {
      const other = setup({
        completionRetry: { attempts: 1 },
        onStreamComplete: () => Promise.reject(new Error('down')),
        onCompleteFailed: hook,
      });
      other.cache.openStream({ messageId: '1' });
      other.cache.endStream('1');
      await other.cache.close();
      expect(other.cache.getStats()).toMatchObject({
        deadLettered: 1,
        deadLetterHookFailures: 1,
        pendingCompletions: 0,
      });
    }
  });
});

describe('close', () => {
  it('ends open streams with Force and waits for completions, retries included', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const completed: Array<[string, string | undefined, number]> = [];
    const { cache, clock } = setup({
      completionRetry: { attempts: 3, baseDelayMs: 1_000, maxDelayMs: 1_000 },
      onStreamComplete: (id, chunks, meta, { attempt }) => {
        if (id === '2' && attempt < 3) throw new Error('flaky');
        completed.push([id, meta.endReason, chunks.length]);
      },
    });
    cache.openStream({ messageId: '1' });
    cache.openStream({ messageId: '2' });
    cache.appendChunk({ messageId: '2', chunkId: 0, payload: 'x' });
    cache.openStream({ messageId: '3' });
    cache.endStream('3', EndReason.Success);
    let closed = false;
    const closing = cache.close().then(() => {
      closed = true;
    });
    expect(cache.close()).toBe(cache.close());
    expect(cache.getStreamCount()).toBe(0);
    expect(cache.getMemoryUsage()).toBe(0);
    await flush();
    expect(closed).toBe(false); // stream 2 waits for its retry
    await clock.advanceAsync(999);
    expect(closed).toBe(false);
    await clock.advanceAsync(1_000);
    await closing;
    expect(closed).toBe(true);
    expect(completed.sort()).toEqual([
      ['1', 'force', 0],
      ['2', 'force', 1],
      ['3', 'success', 0],
    ]);
    expect(cache.getStats()).toMatchObject({
      completed: 3,
      pendingCompletions: 0,
      streams: 0,
      memoryBytes: 0,
    });
    expect(clock.pending()).toBe(0);
  });

  it('gives an end listener that calls close() the same promise', async () => {
    const { cache } = setup({});
    const fromListener: Array<Promise<void>> = [];
    cache.on('end', () => fromListener.push(cache.close()));
    cache.openStream({ messageId: '1' });
    cache.openStream({ messageId: '2' });
    const closing = cache.close();
    expect(fromListener).toHaveLength(2);
    for (const p of fromListener) expect(p).toBe(closing);
    await closing;
  });

  it('resolves at once with nothing in flight', async () => {
    const { cache, clock } = setup({});
    await cache.close();
    expect(clock.pending()).toBe(0);
  });
});
