import { SpoolError } from '../errors';
import { requireInteger, requireNumber } from './validate';

/** A source of uniform random numbers in [0, 1), injectable so tests are deterministic. */
export type RandomSource = () => number;

/** Options of {@link backoffDelay}: exponential backoff with full jitter. */
export interface BackoffOptions {
  /**
   * The ceiling of the first delay (attempt 0); it doubles each attempt.
   * @default 100
   */
  baseMs?: number;
  /**
   * The cap: no delay ever exceeds it, however many attempts.
   * @default 30000
   */
  maxMs?: number;
}

/** The defaults of {@link BackoffOptions}, in ms. */
export const backoffDefaults = { baseMs: 100, maxMs: 30_000 } as const satisfies Required<BackoffOptions>;

/**
 * Exponential backoff with full jitter: a delay drawn uniformly from
 * `[0, min(maxMs, baseMs * 2^attempt)]`. Full jitter spreads reconnecting clients out
 * instead of letting them retry in waves (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
 * `attempt` counts from 0. Shared by `retry`, the client SDK's reconnect and StreamCache's
 * completion retries.
 *
 * @example
 * const ms = backoffDelay(3, { baseMs: 100, maxMs: 10_000 }); // somewhere in [0, 800]
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: RandomSource = Math.random,
): number {
  requireInteger('attempt', attempt, 0);
  const baseMs = requireNumber('baseMs', options.baseMs ?? backoffDefaults.baseMs, 0);
  const maxMs = requireNumber('maxMs', options.maxMs ?? backoffDefaults.maxMs, 0);
  return fullJitter(attempt, { baseMs, maxMs }, () => {
    const r = random();
    if (typeof r !== 'number' || !(r >= 0 && r < 1)) {
      throw new SpoolError('INVALID_OPTION', `\`random\` must return a number in [0, 1), got ${String(r)}`);
    }
    return r;
  });
}

/**
 * The formula of {@link backoffDelay} without its checks, for a caller that validated its
 * options once (the client's reconnect and SSE retries, which pay for every byte they ship, and
 * StreamCache's completion retries): a delay drawn
 * uniformly from `[0, min(maxMs, baseMs * 2^attempt)]`.
 *
 * @example
 * const ms = fullJitter(3, { baseMs: 100, maxMs: 10_000 }, Math.random); // in [0, 800]
 */
export function fullJitter(attempt: number, options: Required<BackoffOptions>, random: RandomSource): number {
  const { baseMs, maxMs } = options;
  // 2^attempt overflows to Infinity past attempt 1023; min() then picks the cap. baseMs 0
  // would make that 0 * Infinity = NaN, so it short-circuits.
  return random() * (baseMs && Math.min(maxMs, baseMs * 2 ** attempt));
}
