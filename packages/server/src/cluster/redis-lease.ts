import { Redis, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from '../broker/redis-url';

/** Options of {@link RedisLease}. */
export interface RedisLeaseOptions {
  /** Redis URL. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** ioredis options, applied over the URL. */
  redis?: RedisOptions;
  /** The whole key, prefix included (e.g. `<SPOOL_REDIS_PREFIX>demo-lock`). */
  key: string;
  /** Who holds it: the lease's value (e.g. `<instanceId>|<incarnation>`). */
  holder: string;
  /** The key expires this long after the last renewal; renewals and attempts go every third of it. */
  ttlMs: number;
  /** Called with `true` when this process gets the lease, `false` when it loses it. */
  onChange: (held: boolean) => void;
  /** Redis errors (the next attempt retries). @default ignore */
  onError?: (err: Error) => void;
}

/** Takes the key if free, or renews it if ours. ARGV: holder, TTL ms. Returns 1 when we hold it. */
const TAKE_OR_RENEW_LUA = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
`;

/** Deletes the key if it is ours. ARGV: holder. */
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type Scripts = Redis & {
  spoolLeaseTake(key: string, holder: string, ttlMs: number): Promise<number>;
  spoolLeaseRelease(key: string, holder: string): Promise<number>;
};

/**
 * A lease one process of a cluster holds at a time: `SET key holder NX PX ttl`, renewed
 * every third of the TTL. When its holder dies, the key expires and another process takes
 * it on its next attempt (within the TTL plus a third). A holder that cannot renew for the
 * TTL (Redis unreachable, a paused process) gives it up on its side too, so two holders
 * overlap by at most the time a paused process takes to notice. `spool serve` runs the
 * demo producer under one (docs/architecture.md, "The demo in a cluster").
 *
 * @example
 * const lease = new RedisLease({ url, key: 'spool:demo-lock', holder: 'api-1', ttlMs: 10_000,
 *   onChange: (held) => (held ? demo.start() : demo.stop()) });
 * lease.start();
 */
export class RedisLease {
  private readonly redis: Scripts;
  private timer: NodeJS.Timeout | undefined;
  private held = false;
  private renewedAt = 0;
  private closed = false;
  private attempt: Promise<void> | undefined;

  constructor(private readonly options: RedisLeaseOptions) {
    this.redis = new Redis({
      ...parseRedisUrl(options.url ?? 'redis://127.0.0.1:6379'),
      ...options.redis,
      protocol: 2,
    }) as Scripts;
    this.redis.on('error', options.onError ?? (() => {}));
    this.redis.defineCommand('spoolLeaseTake', { numberOfKeys: 1, lua: TAKE_OR_RENEW_LUA });
    this.redis.defineCommand('spoolLeaseRelease', { numberOfKeys: 1, lua: RELEASE_LUA });
  }

  /** Whether this process holds the lease (as far as it knows). */
  get isHeld(): boolean {
    return this.held;
  }

  /** Tries now, then every third of the TTL. */
  start(): void {
    if (this.closed || this.timer) return;
    const loop = () => {
      this.attempt = this.tryTake().finally(() => {
        this.attempt = undefined;
        if (!this.closed) this.timer = setTimeout(loop, Math.max(1, Math.floor(this.options.ttlMs / 3)));
      });
    };
    loop();
  }

  /** Stops trying, and releases the lease if held (so another process takes it at once). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await this.attempt;
    if (this.held) {
      this.set(false);
      await this.redis
        .spoolLeaseRelease(this.options.key, this.options.holder)
        .catch((err: unknown) => this.options.onError?.(err as Error));
    }
    if (this.redis.status !== 'ready') return this.redis.disconnect();
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private async tryTake(): Promise<void> {
    const asked = Date.now();
    try {
      const got =
        (await this.redis.spoolLeaseTake(this.options.key, this.options.holder, this.options.ttlMs)) === 1;
      if (this.closed) return;
      if (got) this.renewedAt = asked;
      this.set(got);
    } catch (err) {
      this.options.onError?.(err as Error);
      // Not renewed for the TTL: the key may have expired and been taken elsewhere.
      if (this.held && Date.now() - this.renewedAt >= this.options.ttlMs) this.set(false);
    }
  }

  private set(held: boolean): void {
    if (held === this.held) return;
    this.held = held;
    try {
      this.options.onChange(held);
    } catch (err) {
      this.options.onError?.(err as Error);
    }
  }
}
