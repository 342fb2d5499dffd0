import type { Clock } from '../time/clock';
import type { CircuitState } from './circuit-breaker';
import type { CreditWindow } from './credit-window';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/**
 * One stream's (a topic subscription's, a connection's) health statistics, typed. Durations and instants are in milliseconds.
 */
export interface StreamHealth {
  id: string;
  /** Events queued for this stream. */
  buffered: number;
  /** Its bound (a credit window's `max`, a send queue's limit). */
  maxBuffered: number;
  retries: number;
  lastActivityAt: number;
  backpressure: boolean;
  healthy: boolean;
  uptimeMs: number;
}

/** Seed 002's "Service Health Check", typed: what /readyz and the stats route summarise. */
export interface HealthSnapshot {
  status: HealthStatus;
  totalStreams: number;
  healthyStreams: number;
  subscribers: number;
  /** Circuit breaker states by dependency; any breaker not closed degrades the status. */
  breakers: Record<string, CircuitState>;
  /** Clock time of the snapshot. */
  timestamp: number;
}

export interface HealthSnapshotInput {
  streams?: Iterable<Pick<StreamHealth, 'healthy'>>;
  subscribers?: number;
  /** Breakers by name, or anything with `name` and `state` (a `CircuitBreaker`). */
  breakers?: Record<string, CircuitState> | Iterable<{ readonly name: string; readonly state: CircuitState }>;
  clock?: Pick<Clock, 'now'>;
}

/**
 * Summarises streams and breakers into one status: `unhealthy` when every stream is
 * unhealthy or a breaker is open, `degraded` when some stream is unhealthy or a breaker is
 * half-open, otherwise `healthy` (no streams at all is healthy: an idle server is fine).
 *
 * @example
 * const health = createHealthSnapshot({ streams: subs.map(s => s.health()), breakers: [storeBreaker] });
 * res.statusCode = health.status === 'unhealthy' ? 503 : 200;
 */
export function createHealthSnapshot(input: HealthSnapshotInput = {}): HealthSnapshot {
  let totalStreams = 0;
  let healthyStreams = 0;
  for (const stream of input.streams ?? []) {
    totalStreams++;
    if (stream.healthy) healthyStreams++;
  }
  const breakers: Record<string, CircuitState> = {};
  if (input.breakers && Symbol.iterator in input.breakers) {
    for (const b of input.breakers as Iterable<{ name: string; state: CircuitState }>)
      breakers[b.name] = b.state;
  } else if (input.breakers) {
    Object.assign(breakers, input.breakers);
  }
  const states = Object.values(breakers);
  let status: HealthStatus = 'healthy';
  if (healthyStreams < totalStreams || states.includes('half-open')) status = 'degraded';
  if ((totalStreams > 0 && healthyStreams === 0) || states.includes('open')) status = 'unhealthy';
  return {
    status,
    totalStreams,
    healthyStreams,
    subscribers: input.subscribers ?? 0,
    breakers,
    timestamp: (input.clock ?? Date).now(),
  };
}

/**
 * A {@link StreamHealth} for a stream paced by a {@link CreditWindow}: it is healthy unless
 * it has been starved of credit for longer than `stallAfterMs` (a client that stopped
 * reading).
 *
 * @example
 * const h = creditWindowHealth('ws-12:chan:1:general', window, { startedAt, lastActivityAt, now: clock.now() });
 */
export function creditWindowHealth(
  id: string,
  window: CreditWindow,
  times: { startedAt: number; lastActivityAt: number; now: number; retries?: number; stallAfterMs?: number },
): StreamHealth {
  const s = window.snapshot();
  const stalled = s.backpressure && times.now - times.lastActivityAt > (times.stallAfterMs ?? 30_000);
  return {
    id,
    buffered: s.inFlight,
    maxBuffered: s.max,
    retries: times.retries ?? 0,
    lastActivityAt: times.lastActivityAt,
    backpressure: s.backpressure,
    healthy: !stalled,
    uptimeMs: times.now - times.startedAt,
  };
}
