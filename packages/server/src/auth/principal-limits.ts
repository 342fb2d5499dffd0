import { type Clock, SpoolError } from '@spool/core';
import { TokenBucket } from '../ws/limits';
import { LOCAL_PRINCIPAL, type Principal, SYSTEM } from './principal';

/** Limits per principal, on this instance (`createSpool({ principalLimits })`; docs/security.md). */
export interface PrincipalLimitOptions {
  /**
   * Operations a second per principal, on this instance, summed over all its connections
   * and requests: HTTP requests (SSE included), and on the WebSocket `pub`, `sub`,
   * `msg.open` and `msg.*` on messages the connection did not open. Appends to a
   * connection's own messages are paced by `ws.appendWindow` instead.
   * @default 1000
   */
  ratePerSec?: number;
  /** Burst of the per-principal rate. @default 2000 */
  burst?: number;
  /**
   * Principals whose buckets are kept (least recently active forgotten first; a forgotten
   * one starts again with a full burst).
   * @default 10000
   */
  maxPrincipals?: number;
}

/** The defaults of {@link PrincipalLimitOptions}. */
export const principalLimitDefaults = Object.freeze({ ratePerSec: 1000, burst: 2000, maxPrincipals: 10_000 });

/**
 * A token bucket per principal, so that one credential cannot escape the per-connection
 * limit by opening many connections. The open local mode's principal and the server's own
 * producers are exempt: every loopback caller shares the one local principal, and the
 * server does not limit itself. docs/security.md, "Defaults".
 *
 * @example
 * limiter.take(principal); // throws RATE_LIMITED with details.retryAfterMs
 */
export class PrincipalLimiter {
  private readonly o: Required<PrincipalLimitOptions>;
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    options: PrincipalLimitOptions = {},
    private readonly clock: Clock,
  ) {
    if (typeof options !== 'object' || options === null) {
      throw new SpoolError(
        'INVALID_OPTION',
        '`principalLimits` must be an object such as { ratePerSec: 1000 }.',
      );
    }
    this.o = { ...principalLimitDefaults };
    for (const [key, value] of Object.entries(options)) {
      if (!Object.hasOwn(principalLimitDefaults, key)) {
        throw new SpoolError(
          'INVALID_OPTION',
          `Unknown \`principalLimits\` option \`${key}\`; known: ${Object.keys(principalLimitDefaults).join(', ')}.`,
        );
      }
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
        throw new SpoolError(
          'INVALID_OPTION',
          `\`principalLimits.${key}\` must be a positive integer, got ${String(value)}.`,
        );
      }
      this.o[key as keyof typeof principalLimitDefaults] = value;
    }
  }

  /**
   * Counts one operation of `principal`.
   * @throws SpoolError `RATE_LIMITED` with `details.retryAfterMs`
   */
  take(principal: Principal): void {
    if (principal === LOCAL_PRINCIPAL || principal === SYSTEM) return;
    let bucket = this.buckets.get(principal.id);
    if (bucket) {
      this.buckets.delete(principal.id); // re-inserted below: most recently active last
    } else {
      bucket = new TokenBucket(this.o.ratePerSec, this.o.burst, this.clock);
      if (this.buckets.size >= this.o.maxPrincipals) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(principal.id, bucket);
    if (bucket.take()) return;
    const retryAfterMs = bucket.retryAfterMs();
    throw new SpoolError(
      'RATE_LIMITED',
      `Rate limit: at most ${this.o.ratePerSec} operations per second per principal; retry in ${retryAfterMs} ms.`,
      { details: { retryAfterMs } },
    );
  }
}
