import { afterEach, describe, expect, it } from 'vitest';
import type { SpoolError } from '../errors';
import { type Clock, createManualClock } from '../time/clock';
import type { StreamCacheOptions } from './cache-options';
import { EndReason } from './end-reason';
import { StreamCache } from './stream-cache';
import { CACHE_TIME_RESOLUTION_MS } from './stream-deadlines';
import type { StreamMeta } from './stream-meta';

const START = 1_700_000_000_000;
const INACTIVITY = 30_000;
// The acceptance bound: within 1 s of the deadline, or 10% of the timeout if larger.
const TOLERANCE = Math.max(1_000, INACTIVITY / 10);

let caches: StreamCache[] = [];
afterEach(async () => {
  await Promise.all(caches.map((c) => c.close()));
  caches = [];
});

function setup(options: StreamCacheOptions = {}, clock = createManualClock(START)) {
  const completed: Array<{ id: string; at: number; meta: StreamMeta }> = [];
  const cache = new StreamCache({
    clock,
    chunkInactivityTimeoutMs: INACTIVITY,
    onStreamComplete: (id, _chunks, meta) => {
      completed.push({ id, at: clock.now(), meta });
    },
    ...options,
  });
  caches.push(cache);
  return { cache, clock, completed };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as SpoolError).code;
  }
  return 'no error';
}

describe('inactivity completion', () => {
  it('ends an idle stream with reason timeout, never early and within the tolerance', async () => {
    const { cache, clock, completed } = setup();
    cache.openStream({ messageId: '1' });
    await clock.advanceAsync(INACTIVITY - 1);
    expect(cache.getStreamCount()).toBe(1);
    await clock.advanceAsync(TOLERANCE);
    expect(completed).toHaveLength(1);
    expect(completed[0]!.meta.endReason).toBe('timeout');
    const late = completed[0]!.at - (START + INACTIVITY);
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThanOrEqual(CACHE_TIME_RESOLUTION_MS);
    expect(cache.getStats().endedByReason.timeout).toBe(1);
  });

  it('counts from the last chunk: every append pushes the deadline back', async () => {
    const { cache, clock, completed } = setup();
    cache.openStream({ messageId: '1' });
    let lastChunkAt = START;
    for (let i = 0; i < 5; i++) {
      await clock.advanceAsync(INACTIVITY - 1_000);
      cache.appendChunk({ messageId: '1', chunkId: i, payload: 'x' });
      lastChunkAt = clock.now();
    }
    await clock.advanceAsync(INACTIVITY - 1);
    expect(completed).toHaveLength(0);
    await clock.advanceAsync(TOLERANCE);
    expect(completed).toHaveLength(1);
    const late = completed[0]!.at - (lastChunkAt + INACTIVITY);
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThanOrEqual(CACHE_TIME_RESOLUTION_MS);
  });

  it('fires at the deadline, not at the next cleanup sweep', async () => {
    const { cache, clock, completed } = setup({ cleanupIntervalMs: 60 * 60_000 });
    cache.openStream({ messageId: '1' });
    await clock.advanceAsync(INACTIVITY + TOLERANCE);
    expect(completed).toHaveLength(1);
  });

  it('does not use a timer per stream', async () => {
    const { cache, clock } = setup();
    const idle = clock.pending();
    for (let i = 1; i <= 1_000; i++) cache.openStream({ messageId: i });
    // deadline timer + heartbeat on top of the sweep
    expect(clock.pending()).toBeLessThanOrEqual(idle + 2);
    for (let i = 1; i <= 1_000; i++) cache.appendChunk({ messageId: i, chunkId: 0, payload: 'x' });
    expect(clock.pending()).toBeLessThanOrEqual(idle + 2);
  });

  it('ends streams in deadline order, each within the tolerance', async () => {
    const { cache, clock, completed } = setup();
    const opened = new Map<string, number>();
    for (let i = 1; i <= 20; i++) {
      cache.openStream({ messageId: i });
      opened.set(String(i), clock.now());
      await clock.advanceAsync(777);
    }
    await clock.advanceAsync(INACTIVITY + TOLERANCE);
    expect(completed.map((c) => c.id)).toEqual([...opened.keys()]);
    for (const c of completed) {
      const late = c.at - (opened.get(c.id)! + INACTIVITY);
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThanOrEqual(CACHE_TIME_RESOLUTION_MS);
    }
  });

  it('can be disabled with Infinity', async () => {
    const { cache, clock } = setup({ chunkInactivityTimeoutMs: Number.POSITIVE_INFINITY });
    cache.openStream({ messageId: '1' });
    await clock.advanceAsync(10 * 60_000);
    expect(cache.getStreamCount()).toBe(1);
  });
});

describe('stream timeout', () => {
  it('is a hard cap on age, even for a stream that keeps streaming', async () => {
    const { cache, clock, completed } = setup({ streamTimeoutMs: 60_000, chunkInactivityTimeoutMs: 5_000 });
    cache.openStream({ messageId: '1' });
    for (let i = 0; clock.now() < START + 59_000; i++) {
      cache.appendChunk({ messageId: '1', chunkId: i, payload: 'x' });
      await clock.advanceAsync(1_000);
    }
    expect(completed).toHaveLength(0);
    await clock.advanceAsync(1_000);
    expect(completed).toHaveLength(1);
    expect(completed[0]!.at).toBe(START + 60_000);
    expect(completed[0]!.meta.endReason).toBe(EndReason.Timeout);
    expect(codeOf(() => cache.appendChunk({ messageId: '1', chunkId: 1_000, payload: 'x' }))).toBe(
      'STREAM_NOT_FOUND',
    );
  });
});

describe('completion happens exactly once', () => {
  it('when endStream, the inactivity timeout and endStreamInChannel race', async () => {
    const { cache, clock, completed } = setup();
    const attempts: string[] = [];
    cache.openStream({ messageId: '1', channelId: 'c', channelType: 1 });
    cache.openStream({ messageId: '2', channelId: 'c', channelType: 1 });
    // Whoever ends a stream first, the others try too, from inside the `end` listener.
    cache.on('end', (meta) => {
      attempts.push(codeOf(() => cache.endStream(meta.messageId, EndReason.Cancelled)));
      const again = cache.endStreamInChannel('c', 1);
      attempts.push(...again.failures.map((f) => f.error.code));
    });
    await clock.advanceAsync(INACTIVITY + TOLERANCE); // the timeout ends both
    expect(codeOf(() => cache.endStream('1'))).toBe('STREAM_NOT_FOUND');
    expect(cache.endStreamInChannel('c', 1)).toEqual({ ended: [], failures: [] });
    await clock.advanceAsync(INACTIVITY);
    // The timeout ended 1; 1's listener ended 2 through the channel; every other try lost.
    expect(completed.map((c) => [c.id, c.meta.endReason])).toEqual([
      ['1', 'timeout'],
      ['2', 'force'],
    ]);
    expect(attempts).toEqual(['STREAM_CLOSED', 'STREAM_CLOSED']);
    expect(cache.getStats()).toMatchObject({ ended: 2, completed: 2 });
  });

  it('when a stream is ended by hand exactly at its deadline', async () => {
    const { cache, clock, completed } = setup();
    cache.openStream({ messageId: '1' });
    cache.openStream({ messageId: '2', channelId: 'c', channelType: 1 });
    await clock.advanceAsync(INACTIVITY + CACHE_TIME_RESOLUTION_MS - 1);
    cache.endStream('1', EndReason.Success);
    cache.endStreamInChannel('c', 1, EndReason.Force);
    await clock.advanceAsync(INACTIVITY * 2);
    expect(completed.map((c) => [c.id, c.meta.endReason])).toEqual([
      ['1', 'success'],
      ['2', 'force'],
    ]);
  });
});

describe('cleanup sweep', () => {
  it('ends an expired stream even if the deadline timer was lost', async () => {
    // A clock that silently drops the deadline timer (any delay other than the sweep's
    // and the heartbeat's), as a throttled or buggy timer source might.
    const manual = createManualClock(START);
    const lossy: Clock = {
      now: () => manual.now(),
      clearTimeout: (h) => manual.clearTimeout(h),
      setTimeout: (fn, ms) =>
        ms === 5_000 || ms === CACHE_TIME_RESOLUTION_MS ? manual.setTimeout(fn, ms) : -1,
    };
    const completed: string[] = [];
    const cache = new StreamCache({
      clock: lossy,
      chunkInactivityTimeoutMs: 1_000,
      cleanupIntervalMs: 5_000,
      onStreamComplete: (id) => {
        completed.push(id);
      },
    });
    caches.push(cache);
    cache.openStream({ messageId: '1' });
    await manual.advanceAsync(4_999);
    expect(completed).toEqual([]);
    await manual.advanceAsync(1);
    expect(completed).toEqual(['1']);
  });
});

describe('timers', () => {
  it('stop on close, and the heartbeat stops when no stream is open', async () => {
    const { cache, clock } = setup({ cleanupIntervalMs: Number.POSITIVE_INFINITY });
    expect(clock.pending()).toBe(0);
    cache.openStream({ messageId: '1' });
    expect(clock.pending()).toBe(2);
    cache.endStream('1');
    await clock.advanceAsync(INACTIVITY * 2);
    expect(clock.pending()).toBe(0);
    cache.openStream({ messageId: '2' });
    await cache.close();
    expect(clock.pending()).toBe(0);
  });
});
