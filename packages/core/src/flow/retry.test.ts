import { describe, expect, it, vi } from 'vitest';
import { SpoolError } from '../errors';
import { createManualClock, type ManualClock } from '../time/clock';
import { isTransientError, retry } from './retry';

/** Lets pending promise callbacks run, then moves fake time in small steps so timers set late still fire. */
async function advance(clock: ManualClock, ms: number, step = 10): Promise<void> {
  for (let done = 0; done < ms || done === 0; done += step) {
    for (let i = 0; i < 20; i++) await Promise.resolve();
    await clock.advanceAsync(Math.min(step, ms - done));
    if (ms === 0) break;
  }
}

const transient = () => new SpoolError('UNAVAILABLE', 'down');

async function rejection(p: Promise<unknown>): Promise<SpoolError> {
  try {
    await p;
  } catch (err) {
    return err as SpoolError;
  }
  throw new Error('expected a rejection');
}

describe('retry', () => {
  it('returns the first success without waiting', async () => {
    const clock = createManualClock();
    const fn = vi.fn(async () => 42);
    await expect(retry(fn, { clock })).resolves.toBe(42);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(clock.pending()).toBe(0);
  });

  it('retries transient errors after full-jitter backoff delays on the clock', async () => {
    const clock = createManualClock();
    const delays: number[] = [];
    let calls = 0;
    const p = retry(
      async (attempt) => {
        calls++;
        expect(attempt).toBe(calls);
        if (calls < 3) throw transient();
        return 'ok';
      },
      { clock, baseMs: 100, maxMs: 1000, random: () => 0.5, onRetry: (i) => delays.push(i.delayMs) },
    );
    await advance(clock, 0);
    expect(calls).toBe(1);
    await advance(clock, 49);
    expect(calls).toBe(1);
    await advance(clock, 1);
    expect(calls).toBe(2);
    await advance(clock, 100);
    await expect(p).resolves.toBe('ok');
    expect(delays).toEqual([50, 100]);
  });

  it('caps each delay at maxMs', async () => {
    const clock = createManualClock();
    const delays: number[] = [];
    const p = retry(
      () => {
        throw transient();
      },
      {
        clock,
        maxAttempts: 8,
        baseMs: 100,
        maxMs: 300,
        random: () => 0.999,
        onRetry: (i) => delays.push(i.delayMs),
      },
    );
    const settled = rejection(p);
    await advance(clock, 10_000);
    expect((await settled).code).toBe('RETRY_EXHAUSTED');
    expect(delays).toHaveLength(7);
    for (const d of delays) expect(d).toBeLessThanOrEqual(300);
    expect(delays[6]).toBeCloseTo(299.7);
  });

  it('rejects with RETRY_EXHAUSTED carrying the last error as cause', async () => {
    const clock = createManualClock();
    const errors = [transient(), transient(), new SpoolError('TIMEOUT', 'slow')];
    let i = 0;
    const settled = rejection(
      retry(
        () => {
          throw errors[i++];
        },
        { clock, maxAttempts: 3, random: () => 0 },
      ),
    );
    await advance(clock, 0);
    const err = await settled;
    expect(err.code).toBe('RETRY_EXHAUSTED');
    expect(err.cause).toBe(errors[2]);
    expect(err.details).toEqual({ attempts: 3 });
    expect(err.message).toContain('slow');
  });

  it('rethrows a permanent error at once, unchanged', async () => {
    const permanent = new SpoolError('INVALID_OPTION', 'bad');
    const fn = vi.fn(() => Promise.reject(permanent));
    const err = await rejection(retry(fn, { clock: createManualClock() }));
    expect(err).toBe(permanent);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('uses a custom classifier', async () => {
    const clock = createManualClock();
    const boom = new Error('boom');
    const fn = vi.fn(() => Promise.reject(boom));
    const err = await rejection(retry(fn, { clock, isRetryable: (e) => e !== boom }));
    expect(err).toBe(boom);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('rejects with ABORTED during a backoff wait and clears the timer', async () => {
    const clock = createManualClock();
    const ac = new AbortController();
    const fn = vi.fn(() => Promise.reject(transient()));
    const settled = rejection(retry(fn, { clock, signal: ac.signal, random: () => 0.5 }));
    await advance(clock, 0);
    expect(clock.pending()).toBe(1);
    ac.abort(new Error('user left'));
    const err = await settled;
    expect(err.code).toBe('ABORTED');
    expect((err.cause as Error).message).toBe('user left');
    expect(clock.pending()).toBe(0);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('rejects with ABORTED while fn is still running, and hands fn the signal', async () => {
    const ac = new AbortController();
    let seen: AbortSignal | undefined;
    const settled = rejection(
      retry(
        (_attempt, signal) => {
          seen = signal;
          return new Promise(() => {});
        },
        { signal: ac.signal, clock: createManualClock() },
      ),
    );
    ac.abort();
    expect((await settled).code).toBe('ABORTED');
    expect(seen?.aborted).toBe(true);
  });

  it('rejects with ABORTED without calling fn when already aborted', async () => {
    const fn = vi.fn(async () => 1);
    const err = await rejection(retry(fn, { signal: AbortSignal.abort() }));
    expect(err.code).toBe('ABORTED');
    expect(fn).not.toHaveBeenCalled();
  });

  it('treats a synchronous throw like a rejection', async () => {
    const clock = createManualClock();
    let n = 0;
    const p = retry(
      () => {
        if (n++ === 0) throw new Error('sync');
        return 'second';
      },
      { clock, random: () => 0 },
    );
    await advance(clock, 0);
    await expect(p).resolves.toBe('second');
  });

  it.each([{ maxAttempts: 0 }, { maxAttempts: 2.5 }, { baseMs: -5 }, { isRetryable: 'yes' as never }])(
    'validates options eagerly: %o',
    async (options) => {
      const err = await rejection(retry(async () => 1, options));
      expect(err.code).toBe('INVALID_OPTION');
    },
  );
});

describe('isTransientError', () => {
  it('separates transient from permanent codes', () => {
    expect(isTransientError(new SpoolError('STORE_UNAVAILABLE', 'x'))).toBe(true);
    expect(isTransientError(new SpoolError('CIRCUIT_OPEN', 'x'))).toBe(true);
    expect(isTransientError(new SpoolError('NOT_FOUND', 'x'))).toBe(false);
    expect(isTransientError(new SpoolError('ABORTED', 'x'))).toBe(false);
    expect(isTransientError(new Error('ECONNRESET'))).toBe(true);
    expect(isTransientError(Object.assign(new Error('stop'), { name: 'AbortError' }))).toBe(false);
  });
});
