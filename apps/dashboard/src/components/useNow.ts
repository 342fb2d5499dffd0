import { useEffect, useReducer } from 'react';
import { useStats } from '../app/env';

/**
 * The server's current time (local clock corrected by the last stats snapshot), re-read
 * at every render and at least every `intervalMs`, so ages and idle times agree with the
 * server's timestamps.
 *
 * @example const now = useServerNow(); const age = now - stream.createdAt;
 */
export function useServerNow(intervalMs = 1000): number {
  const offset = useStats((s) => s.clockOffsetMs);
  const [, tick] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const timer = setInterval(tick, intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return Date.now() + offset;
}
