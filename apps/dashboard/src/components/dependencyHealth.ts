import type { SpoolStats } from '@spool/core';

/** A circuit breaker's state, as `$sys` reports it per dependency (store, broker). */
export type BreakerState = SpoolStats['breakers'][string];

/** What an operator needs to read at a glance; the breaker state stays as the detail. */
export type DependencyHealth = 'healthy' | 'degraded' | 'down';

/**
 * A dependency's health from its circuit breaker: `closed` (calls flow) is healthy,
 * `half-open` (trial calls after a failure streak) is degraded, `open` (calls refused
 * until the cooldown ends) is down.
 *
 * @example dependencyHealth('half-open') // 'degraded'
 */
export function dependencyHealth(state: BreakerState): DependencyHealth {
  return state === 'closed' ? 'healthy' : state === 'half-open' ? 'degraded' : 'down';
}

/** The sentence behind the word, for a tooltip and screen readers. */
export const BREAKER_DETAIL: Record<BreakerState, string> = {
  closed: 'circuit breaker closed: calls go through',
  'half-open': 'circuit breaker half-open: trial calls after recent failures',
  open: 'circuit breaker open: calls are refused until the cooldown ends',
};
