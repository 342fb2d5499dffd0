import { describe, expect, it } from 'vitest';
import type { SpoolError } from '../errors';
import { createManualClock, realClock } from '../time/clock';
import { cacheDefaults, resolveCacheOptions, type StreamCacheOptions } from './cache-options';

function errorOf(options: unknown): SpoolError {
  try {
    resolveCacheOptions(options as StreamCacheOptions);
  } catch (err) {
    return err as SpoolError;
  }
  throw new Error('expected resolveCacheOptions to throw');
}

describe('cacheDefaults', () => {
  it('holds the documented defaults in ms and bytes', () => {
    expect(cacheDefaults).toEqual({
      maxMemoryBytes: 104_857_600,
      maxStreams: 10_000,
      maxChunksPerStream: 100_000,
      streamTimeoutMs: 1_800_000,
      chunkInactivityTimeoutMs: 30_000,
      cleanupIntervalMs: 300_000,
      onStreamComplete: undefined,
      onCompleteFailed: undefined,
      completionRetry: { attempts: 5, baseDelayMs: 100, maxDelayMs: 10_000 },
      clock: realClock,
    });
    expect(Object.isFrozen(cacheDefaults)).toBe(true);
  });
});

describe('resolveCacheOptions', () => {
  it('applies defaults to absent and undefined options, and merges completionRetry', () => {
    expect(resolveCacheOptions(undefined)).toBe(cacheDefaults);
    const clock = createManualClock();
    const resolved = resolveCacheOptions({
      maxStreams: undefined,
      chunkInactivityTimeoutMs: Number.POSITIVE_INFINITY,
      completionRetry: { attempts: 2 },
      clock,
    });
    expect(resolved.maxStreams).toBe(10_000);
    expect(resolved.chunkInactivityTimeoutMs).toBe(Number.POSITIVE_INFINITY);
    expect(resolved.completionRetry).toEqual({ attempts: 2, baseDelayMs: 100, maxDelayMs: 10_000 });
    expect(resolved.clock).toBe(clock);
  });

  it.each([
    [{ maxMemoryBytes: -1 }, /`maxMemoryBytes` must be a positive integer, got -1/],
    [{ maxMemoryBytes: 100 }, /`maxMemoryBytes` must be at least 1024/],
    [{ maxStreams: 0 }, /`maxStreams` must be a positive integer, got 0/],
    [{ maxStreams: 1.5 }, /`maxStreams` must be a positive integer/],
    [{ maxChunksPerStream: '10' }, /`maxChunksPerStream` must be a positive integer/],
    [{ streamTimeoutMs: 0 }, /`streamTimeoutMs` must be a positive integer number of milliseconds/],
    [{ chunkInactivityTimeoutMs: -5 }, /`chunkInactivityTimeoutMs`/],
    [{ cleanupIntervalMs: Number.NaN }, /`cleanupIntervalMs`/],
    [{ onStreamComplete: 'save' }, /`onStreamComplete` must be a function/],
    [{ onCompleteFailed: 1 }, /`onCompleteFailed` must be a function/],
    [{ completionRetry: 5 }, /`completionRetry` must be an object/],
    [{ completionRetry: { attempts: 0 } }, /`completionRetry.attempts` must be a positive integer/],
    [{ completionRetry: { baseDelayMs: -1 } }, /`completionRetry.baseDelayMs`/],
    [{ completionRetry: { baseDelayMs: 500, maxDelayMs: 100 } }, /at least `completionRetry.baseDelayMs`/],
    [{ completionRetry: { maxDelayMs: Number.POSITIVE_INFINITY } }, /must be finite/],
    [{ completionRetry: { tries: 3 } }, /Unknown `completionRetry` option `tries`/],
    [{ clock: Date }, /`clock` must implement now\(\), setTimeout\(\) and clearTimeout\(\)/],
    [{ maxMemorySize: 5 }, /Unknown StreamCache option `maxMemorySize`. Did you mean `maxMemoryBytes`\?/],
    [{ streamTimeout: 5 }, /Did you mean `streamTimeoutMs`\?/],
    [{ bogus: 1 }, /Unknown StreamCache option `bogus`\.$/],
    [[], /must be an object/],
    [null, /must be an object/],
  ])('rejects %j with INVALID_OPTION and a fix', (options, message) => {
    const err = errorOf(options);
    expect(err.code).toBe('INVALID_OPTION');
    expect(err.message).toMatch(message);
  });
});
