import { type ErrorCode, SpoolError } from '../errors';
import { type Clock, realClock } from '../time/clock';
import { abortedError, raceAbort, sleepOnClock } from './abort';
import { backoffDelay, type RandomSource } from './backoff';
import { requireFunction, requireInteger, requireNumber } from './validate';

/** Options of {@link retry}; times in ms. */
export interface RetryOptions {
  /**
   * Total attempts, the first one included. `1` means no retry.
   * @default 5
   */
  maxAttempts?: number;
  /**
   * Backoff ceiling before the second attempt; it doubles each retry (full jitter, see `backoffDelay`).
   * @default 100
   */
  baseMs?: number;
  /**
   * Cap on any single backoff delay.
   * @default 10000
   */
  maxMs?: number;
  /**
   * The classifier: `true` for a transient error worth retrying, `false` for a permanent one,
   * which `retry` rethrows at once, unchanged.
   * @default isTransientError
   */
  isRetryable?: (error: unknown, attempt: number) => boolean;
  /** Stops waiting and retrying; `retry` then rejects with `ABORTED`. Also handed to `fn`. */
  signal?: AbortSignal;
  /** @default realClock */
  clock?: Clock;
  /** @default Math.random */
  random?: RandomSource;
  /** Called before each backoff wait, for logs and metrics. */
  onRetry?: (info: RetryInfo) => void;
}

/** What `onRetry` gets before each backoff wait. */
export interface RetryInfo {
  /** The attempt about to run after the wait (2 for the first retry). */
  attempt: number;
  /** The wait before that attempt, in ms. */
  delayMs: number;
  /** The transient error that the previous attempt failed with. */
  error: unknown;
}

/** The defaults of {@link RetryOptions} (ms). */
export const retryDefaults = { maxAttempts: 5, baseMs: 100, maxMs: 10_000 } as const;

/**
 * Codes that describe a condition that may pass: a dependency down or slow, a rate limit,
 * an open breaker. Everything else in the table (bad input, not found, closed) is permanent.
 */
export const transientErrorCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'UNAVAILABLE',
  'TIMEOUT',
  'BROKER_UNAVAILABLE',
  'STORE_UNAVAILABLE',
  'PERSIST_FAILED',
  'RATE_LIMITED',
  'CIRCUIT_OPEN',
  'CONNECTION_CLOSED',
]);

/**
 * The default classifier. A `SpoolError` is transient when its code is in
 * {@link transientErrorCodes}; an `AbortError` is permanent; any other error (network
 * resets, driver errors we cannot name) is treated as transient, as most retry libraries do.
 *
 * @example
 * retry(fetchPage, { isRetryable: (err) => isTransientError(err) && !(err instanceof TypeError) });
 */
export function isTransientError(error: unknown): boolean {
  if (error instanceof SpoolError) return transientErrorCodes.has(error.code);
  if (typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError')
    return false;
  return true;
}

/**
 * Runs `fn` until it succeeds, retrying transient failures with exponential backoff and
 * full jitter. Rejects with the original error when it is permanent, with `RETRY_EXHAUSTED`
 * (the last error as `cause`) after `maxAttempts`, and with `ABORTED` when `signal` fires,
 * even while `fn` is still running.
 *
 * @example
 * const row = await retry((attempt, signal) => store.get(id, { signal }), {
 *   maxAttempts: 4,
 *   signal: request.signal,
 * });
 */
export async function retry<T>(
  fn: (attempt: number, signal: AbortSignal) => T | Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  requireFunction('fn', fn);
  const maxAttempts = requireInteger('maxAttempts', options.maxAttempts ?? retryDefaults.maxAttempts, 1);
  const backoff = {
    baseMs: requireNumber('baseMs', options.baseMs ?? retryDefaults.baseMs, 0),
    maxMs: requireNumber('maxMs', options.maxMs ?? retryDefaults.maxMs, 0),
  };
  const isRetryable = requireFunction<NonNullable<RetryOptions['isRetryable']>>(
    'isRetryable',
    options.isRetryable ?? isTransientError,
  );
  const clock = options.clock ?? realClock;
  const random = options.random ?? Math.random;
  const { signal, onRetry } = options;
  // fn always gets a signal, so it can pass one on without checking for undefined.
  const fnSignal = signal ?? new AbortController().signal;

  if (signal?.aborted) throw abortedError(signal, 'retry');
  let lastError: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (attempt > 1) {
      const delayMs = backoffDelay(attempt - 2, backoff, random);
      onRetry?.({ attempt, delayMs, error: lastError });
      await sleepOnClock(clock, delayMs, signal, 'retry');
    }
    try {
      // `new Promise` turns a synchronous throw from fn into a rejection, like an async fn.
      return await raceAbort(new Promise<T>((resolve) => resolve(fn(attempt, fnSignal))), signal, 'retry');
    } catch (err) {
      if (signal?.aborted)
        throw err instanceof SpoolError && err.code === 'ABORTED' ? err : abortedError(signal, 'retry');
      if (!isRetryable(err, attempt)) throw err;
      lastError = err;
    }
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new SpoolError('RETRY_EXHAUSTED', `gave up after ${maxAttempts} attempts; last error: ${reason}`, {
    cause: lastError,
    details: { attempts: maxAttempts },
  });
}
