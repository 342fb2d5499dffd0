import type { Clock } from '@spool/core';

/**
 * A token bucket for the publish rate of one connection: `ratePerSec` tokens a second,
 * bursting to `burst`. Two numbers per connection and no timer: it refills lazily on use.
 *
 * @example
 * const bucket = new TokenBucket(100, 200, clock);
 * if (!bucket.take()) return sendErr(ref, 'RATE_LIMITED');
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    this.tokens = burst;
    this.refilledAt = clock.now();
  }

  take(): boolean {
    const now = this.clock.now();
    const elapsed = now - this.refilledAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSec) / 1000);
      this.refilledAt = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** After a refused `take()`: ms until the next token, at least 1. */
  retryAfterMs(): number {
    return Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSec));
  }
}

/**
 * The outcome of a publish remembered under an idempotency key: a settled event ID, or the
 * promise of one while the first attempt is still running (a retry that races it waits).
 */
type Remembered = { id: string } | Promise<string>;

/**
 * Idempotency keys remembered per principal in a bounded window (the `size` most recent
 * keys of each principal, and at most `maxPrincipals` principals), so a retried publish is
 * applied once. Insertion order of a `Map` gives the LRU order for free.
 *
 * @example
 * const id = await window.run(principal.id, 'topic\u0000key', () => topic.append(...));
 */
export class IdempotencyWindow {
  private readonly byPrincipal = new Map<string, Map<string, Remembered>>();

  constructor(
    private readonly size: number,
    private readonly maxPrincipals = 10_000,
  ) {}

  /** Runs `publish` once per (principal, key); a repeat gets the first outcome's event ID. */
  async run(
    principalId: string,
    key: string,
    publish: () => Promise<string>,
  ): Promise<{ id: string; duplicate: boolean }> {
    let keys = this.byPrincipal.get(principalId);
    if (keys) {
      this.byPrincipal.delete(principalId);
      this.byPrincipal.set(principalId, keys);
    } else {
      keys = new Map();
      this.byPrincipal.set(principalId, keys);
      if (this.byPrincipal.size > this.maxPrincipals) {
        this.byPrincipal.delete(this.byPrincipal.keys().next().value!);
      }
    }
    const seen = keys.get(key);
    if (seen !== undefined) return { id: 'id' in seen ? seen.id : await seen, duplicate: true };

    const attempt = publish();
    keys.set(key, attempt);
    if (keys.size > this.size) keys.delete(keys.keys().next().value!);
    try {
      const id = await attempt;
      if (keys.get(key) === attempt) keys.set(key, { id });
      return { id, duplicate: false };
    } catch (err) {
      // A failed publish was not applied: forget it so that a retry can apply it.
      if (keys.get(key) === attempt) keys.delete(key);
      throw err;
    }
  }

  /** Keys remembered for `principalId` (for tests and stats). */
  count(principalId: string): number {
    return this.byPrincipal.get(principalId)?.size ?? 0;
  }
}
