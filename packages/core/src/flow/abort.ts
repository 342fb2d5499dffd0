import { SpoolError } from '../errors';
import type { Clock } from '../time/clock';

/** The typed error every flow/ and pipeline/ API rejects with once its signal fires. */
export function abortedError(signal: AbortSignal, what: string): SpoolError {
  return new SpoolError('ABORTED', `${what} was aborted by its AbortSignal`, { cause: signal.reason });
}

/** Waits `ms` on `clock`, rejecting with `ABORTED` as soon as `signal` fires (and clearing the timer). */
export function sleepOnClock(
  clock: Clock,
  ms: number,
  signal: AbortSignal | undefined,
  what: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError(signal, what));
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(abortedError(signal as AbortSignal, what));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Settles like `promise`, or rejects with `ABORTED` when `signal` fires first. The work
 * behind `promise` is not stopped here: it was handed the same signal and should stop itself.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortedError(signal, what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
