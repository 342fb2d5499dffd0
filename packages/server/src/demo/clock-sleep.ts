import { type Clock, SpoolError } from '@spool/core';

/**
 * Waits `ms` on `clock` (so tests drive the demo with a manual clock); rejects with
 * `ABORTED` as soon as `signal` aborts.
 *
 * @example await clockSleep(spool.clock, 40, signal);
 */
export function clockSleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new SpoolError('ABORTED', 'Stopped while waiting.'));
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(new SpoolError('ABORTED', 'Stopped while waiting.'));
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
