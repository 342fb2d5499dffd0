import { SpoolError } from '../errors';
import { type Clock, realClock } from '../time/clock';
import { requireFunction, requireInteger, requireNumber } from './validate';

/** The three states; the same strings appear in `SpoolStats.breakers`, /readyz and Prometheus. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Options of {@link CircuitBreaker}; times in ms. */
export interface CircuitBreakerOptions {
  /** Names the protected dependency in errors, stats and listeners (e.g. `store`, `broker`). @default 'default' */
  name?: string;
  /**
   * Consecutive failures that open the circuit.
   * @default 5
   */
  failureThreshold?: number;
  /**
   * How long the circuit stays open before it lets trial calls through (half-open).
   * @default 30000
   */
  cooldownMs?: number;
  /**
   * Trial calls allowed at once while half-open; further calls are rejected with `CIRCUIT_OPEN`.
   * @default 1
   */
  halfOpenMaxCalls?: number;
  /**
   * Successful trial calls needed to close the circuit again.
   * @default 1
   */
  successThreshold?: number;
  /**
   * Which errors count as failures of the dependency. A caller's bad input should not trip
   * the breaker, so return `false` for it; it is still rethrown.
   * @default () => true
   */
  isFailure?: (error: unknown) => boolean;
  /** @default realClock */
  clock?: Clock;
}

/** The defaults of {@link CircuitBreakerOptions}. */
export const circuitBreakerDefaults = {
  name: 'default',
  failureThreshold: 5,
  cooldownMs: 30_000,
  halfOpenMaxCalls: 1,
  successThreshold: 1,
} as const;

/** What a {@link CircuitBreaker.onStateChange} listener gets. */
export interface CircuitStateChange {
  /** The breaker's name. */
  name: string;
  /** The state before the change. */
  from: CircuitState;
  /** The state after the change. */
  to: CircuitState;
  /** Clock time of the change. */
  at: number;
}

/**
 * A breaker's state and counters since it was created, from {@link CircuitBreaker.stats}; times are clock
 * times in ms.
 */
export interface CircuitBreakerStats {
  /** The breaker's name. */
  name: string;
  /** The state now. */
  state: CircuitState;
  /** Failures since the last success (what `failureThreshold` counts). */
  consecutiveFailures: number;
  /** Calls let through (trial calls included; refused ones not). */
  calls: number;
  /** Calls that succeeded, or failed with an error that `isFailure` does not count. */
  successes: number;
  /** Calls that failed with an error that `isFailure` counts. */
  failures: number;
  /** Calls refused with `CIRCUIT_OPEN`. */
  rejected: number;
  /** Clock time of the last counted failure; `null` before the first. */
  lastFailureAt: number | null;
  /** Clock time of the last state change (the creation time before the first). */
  lastStateChangeAt: number;
  /** When an open circuit lets the next trial through; `null` unless open. */
  nextAttemptAt: number | null;
}

/**
 * A circuit breaker: after `failureThreshold` consecutive failures it opens and rejects
 * calls with `CIRCUIT_OPEN` instead of piling load on a dependency that is down; after
 * `cooldownMs` it goes half-open and lets a trial call through, which closes it on success
 * or reopens it on failure. The open → half-open move happens on the first call or `state`
 * read after the cool-down (no timer), so an idle breaker costs nothing.
 *
 * @example
 * const breaker = new CircuitBreaker({ name: 'store', failureThreshold: 3, cooldownMs: 5_000 });
 * breaker.onStateChange(({ to }) => log.warn({ store: to }));
 * const message = await breaker.execute(() => store.get(id));
 */
export class CircuitBreaker {
  /** Names the protected dependency in errors, stats and listeners. */
  readonly name: string;
  private readonly failureThreshold: number;
  private readonly cooldownMs: number;
  private readonly halfOpenMaxCalls: number;
  private readonly successThreshold: number;
  private readonly isFailure: (error: unknown) => boolean;
  private readonly clock: Clock;
  private readonly listeners = new Set<(change: CircuitStateChange) => void>();

  private current: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private trialsInFlight = 0;
  private trialSuccesses = 0;
  private openedAt = 0;
  private lastStateChangeAt: number;
  private lastFailureAt: number | null = null;
  private calls = 0;
  private successes = 0;
  private failures = 0;
  private rejected = 0;

  constructor(options: CircuitBreakerOptions = {}) {
    const name = options.name ?? circuitBreakerDefaults.name;
    if (typeof name !== 'string' || name === '') {
      throw new SpoolError('INVALID_OPTION', `\`name\` must be a non-empty string, got ${String(name)}`);
    }
    this.name = name;
    this.failureThreshold = requireInteger(
      'failureThreshold',
      options.failureThreshold ?? circuitBreakerDefaults.failureThreshold,
      1,
    );
    this.cooldownMs = requireNumber('cooldownMs', options.cooldownMs ?? circuitBreakerDefaults.cooldownMs, 0);
    this.halfOpenMaxCalls = requireInteger(
      'halfOpenMaxCalls',
      options.halfOpenMaxCalls ?? circuitBreakerDefaults.halfOpenMaxCalls,
      1,
    );
    this.successThreshold = requireInteger(
      'successThreshold',
      options.successThreshold ?? circuitBreakerDefaults.successThreshold,
      1,
    );
    this.isFailure = requireFunction('isFailure', options.isFailure ?? (() => true));
    this.clock = options.clock ?? realClock;
    this.lastStateChangeAt = this.clock.now();
  }

  /** The current state, after applying an elapsed cool-down. */
  get state(): CircuitState {
    if (this.current === 'open' && this.clock.now() >= this.openedAt + this.cooldownMs) {
      this.transition('half-open');
    }
    return this.current;
  }

  /**
   * Runs `fn` through the breaker. Rejects with `CIRCUIT_OPEN` (details: `retryAfterMs`)
   * without calling `fn` while open, or while half-open with all trial slots taken;
   * otherwise settles like `fn`.
   */
  async execute<T>(fn: () => T | Promise<T>): Promise<T> {
    const state = this.state;
    if (state === 'open' || (state === 'half-open' && this.trialsInFlight >= this.halfOpenMaxCalls)) {
      this.rejected++;
      const retryAfterMs =
        state === 'open' ? Math.max(0, this.openedAt + this.cooldownMs - this.clock.now()) : 0;
      throw new SpoolError(
        'CIRCUIT_OPEN',
        `circuit "${this.name}" is ${state}: the dependency failed ${this.failureThreshold} times in a row; retry in ${Math.ceil(retryAfterMs)} ms`,
        { details: { name: this.name, state, retryAfterMs } },
      );
    }
    const trial = state === 'half-open';
    if (trial) this.trialsInFlight++;
    this.calls++;
    try {
      const value = await fn();
      this.recordSuccess(trial);
      return value;
    } catch (err) {
      if (this.isFailure(err)) this.recordFailure(trial);
      else this.recordSuccess(trial);
      throw err;
    } finally {
      if (trial) this.trialsInFlight--;
    }
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onStateChange(listener: (change: CircuitStateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forces the circuit closed and clears the failure count (an operator's override). */
  reset(): void {
    this.consecutiveFailures = 0;
    this.trialSuccesses = 0;
    if (this.current !== 'closed') this.transition('closed');
  }

  /** The breaker's state and counters now, as a new object. */
  stats(): CircuitBreakerStats {
    const state = this.state;
    return {
      name: this.name,
      state,
      consecutiveFailures: this.consecutiveFailures,
      calls: this.calls,
      successes: this.successes,
      failures: this.failures,
      rejected: this.rejected,
      lastFailureAt: this.lastFailureAt,
      lastStateChangeAt: this.lastStateChangeAt,
      nextAttemptAt: state === 'open' ? this.openedAt + this.cooldownMs : null,
    };
  }

  private recordSuccess(trial: boolean): void {
    this.successes++;
    this.consecutiveFailures = 0;
    // A late success of a call started while closed does not count as a trial.
    if (trial && this.current === 'half-open' && ++this.trialSuccesses >= this.successThreshold) {
      this.transition('closed');
    }
  }

  private recordFailure(trial: boolean): void {
    this.failures++;
    this.consecutiveFailures++;
    this.lastFailureAt = this.clock.now();
    if (trial && this.current === 'half-open') this.open();
    else if (this.current === 'closed' && this.consecutiveFailures >= this.failureThreshold) this.open();
  }

  private open(): void {
    this.openedAt = this.clock.now();
    this.transition('open');
  }

  private transition(to: CircuitState): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.trialSuccesses = 0;
    const at = this.clock.now();
    this.lastStateChangeAt = at;
    // Listeners run after the state is consistent; a throwing listener must not break calls.
    for (const listener of [...this.listeners]) {
      try {
        listener({ name: this.name, from, to, at });
      } catch {
        // ignored on purpose: observability must never change the breaker's behaviour
      }
    }
  }
}
