import type { Redis } from 'ioredis';
import type { TakeoverClaim } from './membership';

/** How long a finished takeover is remembered, so that no survivor claims it again (s). */
export const FINISHED_TAKEOVER_TTL_S = 86_400;

/**
 * Takes the claim if free (or renews it if ours already). KEYS: the claim. ARGV: holder, lease ms.
 * Returns {1, 0} when won, {2, 0} when the takeover is finished, {0, ms left} when another holds it.
 */
const CLAIM_LUA = `
local v = redis.call('GET', KEYS[1])
if not v or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1, 0}
end
if string.sub(v, 1, 5) == 'done|' then return {2, 0} end
return {0, redis.call('PTTL', KEYS[1])}
`;

/** Extends the lease if ours. KEYS: the claim. ARGV: holder, lease ms. Returns 1 when still ours. */
const RENEW_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/**
 * Marks the takeover finished, unless another survivor holds it now (it will find nothing left
 * and finish it itself). KEYS: the claim. ARGV: holder, seconds to remember. Returns 1 when marked.
 */
const FINISH_LUA = `
local v = redis.call('GET', KEYS[1])
if v and v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], 'done|' .. ARGV[1], 'EX', ARGV[2])
return 1
`;

type Scripts = Redis & {
  spoolTakeoverClaim(key: string, holder: string, leaseMs: number): Promise<[number, number]>;
  spoolTakeoverRenew(key: string, holder: string, leaseMs: number): Promise<number>;
  spoolTakeoverFinish(key: string, holder: string, ttlS: number): Promise<number>;
};

/**
 * The takeover claim of a dead incarnation as a lease (docs/architecture.md, "Takeover and
 * fencing"): `<prefix>takeover:<incarnation>` holds `<instanceId>|<incarnation>` of the
 * claimer for `leaseMs`, renewed every third of it until {@link finish}, and then
 * `done|<claimer>` for a day. A claimer that dies mid-takeover stops renewing; the key expires and another
 * survivor wins the next claim and ends what is left.
 *
 * @example
 * const claims = new TakeoverClaims(redis, membershipKeys('spool:').takeover, () => 'api-1|9f…', 10_000);
 * const claim = await claims.claim(dead.incarnation);
 * if (claim.won) { ...; await claims.finish(dead.incarnation); }
 */
export class TakeoverClaims {
  private readonly redis: Scripts;
  /** The renewal timers of the claims this claimer holds. */
  private readonly renewals = new Map<string, NodeJS.Timeout>();

  constructor(
    redis: Redis,
    /** The claim's key of an incarnation (membership-keys.ts). */
    readonly key: (incarnation: string) => string,
    /** This claimer now: `<instanceId>|<incarnation>` (a rejoin changes the incarnation). */
    private readonly holderOf: () => string,
    /** How long a claim lasts without renewal (ms). */
    readonly leaseMs: number,
  ) {
    this.redis = redis as Scripts;
    this.redis.defineCommand('spoolTakeoverClaim', { numberOfKeys: 1, lua: CLAIM_LUA });
    this.redis.defineCommand('spoolTakeoverRenew', { numberOfKeys: 1, lua: RENEW_LUA });
    this.redis.defineCommand('spoolTakeoverFinish', { numberOfKeys: 1, lua: FINISH_LUA });
  }

  /** Tries to take the claim: won, finished by someone, or held by another for `retryInMs` more. */
  async claim(incarnation: string): Promise<TakeoverClaim> {
    const [state, left] = await this.redis.spoolTakeoverClaim(
      this.key(incarnation),
      this.holderOf(),
      this.leaseMs,
    );
    if (state === 1) {
      this.keepRenewing(incarnation);
      return { won: true };
    }
    if (state === 2) return { won: false, finished: true };
    // A claim without an expiry (PTTL -1) is retried every third of a lease.
    return { won: false, finished: false, retryInMs: left > 0 ? left : Math.ceil(this.leaseMs / 3) };
  }

  /** Marks the takeover finished (unless another claimer holds it now) and stops renewing it. */
  async finish(incarnation: string): Promise<void> {
    this.stopRenewing(incarnation);
    await this.redis.spoolTakeoverFinish(this.key(incarnation), this.holderOf(), FINISHED_TAKEOVER_TTL_S);
  }

  /** Stops every renewal: the claims still held run out within a lease. */
  close(): void {
    for (const incarnation of [...this.renewals.keys()]) this.stopRenewing(incarnation);
  }

  /** Every third of the lease while held; a renewal that finds the claim gone stops. */
  private keepRenewing(incarnation: string): void {
    if (this.renewals.has(incarnation)) return;
    const timer = setInterval(
      () => {
        this.redis.spoolTakeoverRenew(this.key(incarnation), this.holderOf(), this.leaseMs).then(
          (held) => {
            if (held !== 1) this.stopRenewing(incarnation);
          },
          // A failed renewal is retried on the next tick; the lease covers two of them.
          () => {},
        );
      },
      Math.max(1, Math.floor(this.leaseMs / 3)),
    );
    timer.unref();
    this.renewals.set(incarnation, timer);
  }

  private stopRenewing(incarnation: string): void {
    clearInterval(this.renewals.get(incarnation));
    this.renewals.delete(incarnation);
  }
}
