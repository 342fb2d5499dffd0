import type { Clock } from '@spool/core';

/** The longest delay a timer takes (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `onExpired` once `clock.now()` reaches `expiresAt` (ms since the epoch), re-arming
 * past the longest timer delay so a token valid for months is not cut at once. Returns the
 * cancel function. A connection whose credentials expire ends with `TOKEN_EXPIRED`
 * (docs/security.md, "Expiry").
 *
 * @example const cancel = watchExpiry(clock, principal.expiresAt, () => ws.close(4401, 'TOKEN_EXPIRED'));
 */
export function watchExpiry(clock: Clock, expiresAt: number, onExpired: () => void): () => void {
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  let cancelled = false;
  const arm = () => {
    const left = expiresAt - clock.now();
    if (left <= 0) {
      timer = undefined;
      if (!cancelled) onExpired();
      return;
    }
    timer = clock.setTimeout(arm, Math.min(left, MAX_TIMER_MS));
  };
  arm();
  return () => {
    cancelled = true;
    if (timer !== undefined) clock.clearTimeout(timer);
  };
}
