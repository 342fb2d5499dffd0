import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { SpoolError } from '@spool/core';
import { Redis, type RedisOptions } from 'ioredis';
import { toSpoolError } from '../broker/redis-errors';
import { parseRedisUrl } from '../broker/redis-url';
import type { ClusterMembership, InstanceInfo, InstanceLoad, InstanceRef, TakeoverClaim } from './membership';
import { type MembershipKeys, membershipKeys } from './membership-keys';
import {
  BEAT_LUA,
  FORGET_LUA,
  JOIN_LUA,
  READ_ID_LUA,
  READ_INCARNATION_LUA,
  SCAN_LUA,
} from './membership-scripts';
import { TakeoverClaims } from './takeover-claims';

/** Options of {@link RedisMembership.start}. */
export interface RedisMembershipOptions {
  /** Redis URL. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** ioredis options, applied over the URL. */
  redis?: RedisOptions;
  /** `SPOOL_REDIS_PREFIX`: prepended to every membership key. @default '' */
  keyPrefix?: string;
  /** `SPOOL_INSTANCE_ID`. @default generated: `<hostname>-<pid>-<random>` */
  instanceId?: string;
  /**
   * `SPOOL_INSTANCE_TTL_MS`: an incarnation that has not beaten for this long is dead.
   * Heartbeats go every third of it. @default 10000
   */
  ttlMs?: number;
  /** The load each heartbeat carries. @default zeros */
  load?: () => InstanceLoad;
  /**
   * Called when the start finds its instance ID held by a live-looking incarnation and
   * waits `waitMs` to see whether that one still beats (the start rule).
   */
  onHolderCheck?: (holder: InstanceRef, waitMs: number) => void;
  /** Redis errors of heartbeats and scans (they are retried on the next beat). @default ignore */
  onError?: (err: Error) => void;
  /**
   * Called once when this incarnation learns it is no longer a member: its ID was taken by a
   * restart, or it did not beat for the TTL (a paused process) and may have been taken over.
   * That incarnation stops beating and its work must stop (fencing refuses its writes anyway);
   * unless `rejoin` is false, the process then joins again as a new incarnation.
   */
  onEvicted?: (why: 'replaced' | 'dead' | 'expired' | 'removed' | 'taken-over') => void;
  /**
   * After an eviction, join again as a new incarnation (the start rule applies, so an ID
   * that another live process took meanwhile is not taken back). @default true
   */
  rejoin?: boolean;
  /** Called when this process joined again as a new incarnation after an eviction. */
  onRejoined?: (self: InstanceRef, previous: InstanceRef) => void;
  /**
   * Called when joining again is refused for good (`INSTANCE_ID_TAKEN`: another live process
   * runs as this instance now): this process stays out of the cluster.
   */
  onRejoinRefused?: (err: SpoolError) => void;
}

/** The defaults of {@link RedisMembershipOptions}: a local Redis, no key prefix, a 10 s TTL. */
export const redisMembershipDefaults = {
  url: 'redis://127.0.0.1:6379',
  keyPrefix: '',
  ttlMs: 10_000,
} as const;

/** How long a dead incarnation's record stays for survivors to notice it, in TTLs past its last beat. */
const FORGET_AFTER_TTLS = 3;

type Scripts = Redis & {
  spoolMemberReadId(
    k1: string,
    k2: string,
    k3: string,
    id: string,
  ): Promise<[string, string, number, number]>;
  spoolMemberJoin(
    k1: string,
    k2: string,
    k3: string,
    id: string,
    incarnation: string,
    info: string,
    expected: string,
  ): Promise<[number, string]>;
  spoolMemberBeat(
    k1: string,
    k2: string,
    k3: string,
    id: string,
    incarnation: string,
    info: string,
    ttlMs: number,
  ): Promise<[number, string]>;
  spoolMemberScan(k1: string, k2: string, k3: string): Promise<[string[], string[], string[], number]>;
  spoolMemberReadIncarnation(
    k1: string,
    k2: string,
    k3: string,
    inc: string,
  ): Promise<[string, number, number]>;
  spoolMemberForget(k1: string, k2: string, k3: string, inc: string, id: string): Promise<number>;
};

/** A new incarnation: 16 random hex digits. */
function newIncarnation(): string {
  return randomBytes(8).toString('hex');
}

/** A generated instance ID: readable in logs, unique per process. */
export function generateInstanceId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * {@link ClusterMembership} on Redis (docs/architecture.md, "Instances and incarnations").
 *
 * - Each process start is a new incarnation (random). Its record is beaten every third of
 *   the TTL with Redis's time, so clocks need not agree.
 * - An incarnation is dead once it has not beaten for the TTL, or once a restart of its
 *   instance took its ID; dead is final. Every member scans on each beat and tells its
 *   listeners; one at a time wins {@link claimTakeover} (a lease).
 * - Evicted (found dead by its own beat), the process joins again as a new incarnation,
 *   by the start rule, waits for its {@link onRejoining} listeners, then switches `self`
 *   and tells its {@link onRejoined} listeners.
 * - Start: an instance ID held by a live-looking incarnation is watched until two beat
 *   intervals have passed since its last beat. If its beat moves, another live process has
 *   the ID and the start is refused with `INSTANCE_ID_TAKEN`; if not, it is this instance's
 *   previous (crashed) start, which is marked dead at once and taken over.
 *
 * @example
 * const membership = await RedisMembership.start({ url, keyPrefix: 'spool:', instanceId: 'api-1' });
 * membership.onIncarnationDead(async (dead) => {
 *   if ((await membership.claimTakeover(dead.incarnation)).won) {
 *     await endMessagesOf(dead);
 *     await membership.finishTakeover(dead.incarnation);
 *   }
 * });
 */
export class RedisMembership implements ClusterMembership {
  private current: InstanceRef;
  private readonly rejoinListeners = new Set<(self: InstanceRef, previous: InstanceRef) => void>();
  private readonly rejoiningListeners = new Set<
    (next: InstanceRef, previous: InstanceRef) => Promise<void>
  >();
  /** Heartbeat interval: a third of the TTL. */
  readonly beatIntervalMs: number;
  private readonly listeners = new Set<(dead: InstanceRef) => void>();
  /** Incarnations reported dead, with their instance, while their records last. */
  private readonly reported = new Map<string, InstanceRef>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private closed = false;
  private evicted = false;
  private readonly claims: TakeoverClaims;

  private constructor(
    private readonly redis: Scripts,
    private readonly keys: MembershipKeys,
    instanceId: string,
    /** An incarnation that has not beaten for this long (ms) is dead; heartbeats go every third of it. */
    readonly ttlMs: number,
    private readonly options: RedisMembershipOptions,
  ) {
    this.current = { instanceId, incarnation: newIncarnation() };
    this.beatIntervalMs = Math.max(1, Math.floor(ttlMs / 3));
    // The claim lasts a TTL unrenewed: a claimer that dies is replaced as fast as a member is.
    this.claims = new TakeoverClaims(
      redis,
      keys.takeover,
      () => `${this.current.instanceId}|${this.current.incarnation}`,
      ttlMs,
    );
  }

  /** This process's incarnation now: a new one after a rejoin. */
  get self(): InstanceRef {
    return this.current;
  }

  onRejoined(listener: (self: InstanceRef, previous: InstanceRef) => void): () => void {
    this.rejoinListeners.add(listener);
    return () => {
      this.rejoinListeners.delete(listener);
    };
  }

  onRejoining(listener: (next: InstanceRef, previous: InstanceRef) => Promise<void>): () => void {
    this.rejoiningListeners.add(listener);
    return () => {
      this.rejoiningListeners.delete(listener);
    };
  }

  /**
   * Joins the cluster: takes the instance ID (see the class comment for the rule), writes
   * the first heartbeat and starts beating.
   *
   * @throws SpoolError `INSTANCE_ID_TAKEN` (another live process has the ID),
   *   `BROKER_UNAVAILABLE` (Redis unreachable), `INVALID_OPTION`
   */
  static async start(options: RedisMembershipOptions = {}): Promise<RedisMembership> {
    const o = { ...redisMembershipDefaults, ...options };
    if (!Number.isSafeInteger(o.ttlMs) || o.ttlMs < 3) {
      throw new SpoolError('INVALID_OPTION', `\`ttlMs\` must be an integer of at least 3, got ${o.ttlMs}.`);
    }
    const instanceId = options.instanceId ?? generateInstanceId();
    if (typeof instanceId !== 'string' || !/^[\w.:@-]{1,200}$/.test(instanceId)) {
      throw new SpoolError(
        'INVALID_OPTION',
        `The instance ID must be 1 to 200 letters, digits or ._:@- characters, got ${JSON.stringify(instanceId)}.`,
      );
    }
    const redis = new Redis({
      ...parseRedisUrl(o.url),
      ...options.redis,
      protocol: 2,
      // A start against a Redis that is down fails instead of waiting for it.
      maxRetriesPerRequest: 1,
    }) as Scripts;
    redis.on('error', options.onError ?? (() => {}));
    redis.defineCommand('spoolMemberReadId', { numberOfKeys: 3, lua: READ_ID_LUA });
    redis.defineCommand('spoolMemberJoin', { numberOfKeys: 3, lua: JOIN_LUA });
    redis.defineCommand('spoolMemberBeat', { numberOfKeys: 3, lua: BEAT_LUA });
    redis.defineCommand('spoolMemberScan', { numberOfKeys: 3, lua: SCAN_LUA });
    redis.defineCommand('spoolMemberReadIncarnation', { numberOfKeys: 3, lua: READ_INCARNATION_LUA });
    redis.defineCommand('spoolMemberForget', { numberOfKeys: 3, lua: FORGET_LUA });
    const membership = new RedisMembership(redis, membershipKeys(o.keyPrefix), instanceId, o.ttlMs, options);
    try {
      await membership.join();
    } catch (err) {
      redis.disconnect();
      throw err instanceof SpoolError ? err : toSpoolError(err, o.keyPrefix);
    }
    membership.schedule();
    return membership;
  }

  async instances(): Promise<InstanceInfo[]> {
    const scan = await this.scan();
    const out: InstanceInfo[] = [];
    for (const [instanceId, incarnation] of scan.holders) {
      const rec = scan.records.get(incarnation);
      if (!rec || scan.dead.has(incarnation)) continue;
      const ageMs = Math.max(0, scan.now - rec.beatAt);
      if (ageMs >= this.ttlMs) continue;
      out.push({ ...rec.info, instanceId, incarnation, beatAt: rec.beatAt, ageMs });
    }
    return out.sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
  }

  async isAlive(incarnation: string): Promise<boolean> {
    const k = this.keys;
    const [[rec, dead, now], claimed] = await Promise.all([
      this.redis.spoolMemberReadIncarnation(k.instances, k.incarnations, k.dead, incarnation),
      this.redis.exists(k.takeover(incarnation)),
    ]);
    if (rec === '' || dead === 1 || claimed === 1) return false;
    return now - parseRecord(rec).beatAt < this.ttlMs;
  }

  onIncarnationDead(listener: (dead: InstanceRef) => void): () => void {
    this.listeners.add(listener);
    // A listener added late still hears of the dead incarnations that are not yet forgotten.
    const known = [...this.reported.values()];
    if (known.length > 0) {
      queueMicrotask(() => {
        for (const d of known) this.tell(listener, d);
      });
    }
    return () => {
      this.listeners.delete(listener);
    };
  }

  claimTakeover(incarnation: string): Promise<TakeoverClaim> {
    return this.claims.claim(incarnation);
  }

  finishTakeover(incarnation: string): Promise<void> {
    return this.claims.finish(incarnation);
  }

  /** Beats and scans now (tests, and a caller that wants fresh news). */
  async tick(): Promise<void> {
    this.ticking ??= this.beatAndScan().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  async close(
    options: {
      /** Keep this instance's record, so that the survivors take over what it still owns. */
      handOver?: boolean;
    } = {},
  ): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.claims.close();
    await this.ticking?.catch(() => {});
    if (!this.evicted && options.handOver !== true) {
      const k = this.keys;
      await this.redis
        .spoolMemberForget(k.instances, k.incarnations, k.dead, this.self.incarnation, this.self.instanceId)
        .catch((err: unknown) => this.options.onError?.(err as Error));
    }
    if (this.redis.status !== 'ready') return this.redis.disconnect();
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private info(): string {
    const load = this.options.load?.() ?? { connections: 0, openMessages: 0, eventsPerSecond: 0 };
    return JSON.stringify({
      instanceId: this.self.instanceId,
      connections: load.connections,
      openMessages: load.openMessages,
      eventsPerSecond: load.eventsPerSecond,
    });
  }

  private async join(self: InstanceRef = this.current): Promise<void> {
    const k = this.keys;
    const id = self.instanceId;
    // Each round either joins or sees the holder change; a holder that keeps beating refuses us.
    for (let round = 0; round < 5; round++) {
      const [holder, rec, dead, now] = await this.redis.spoolMemberReadId(
        k.instances,
        k.incarnations,
        k.dead,
        id,
      );
      const beatAt = rec === '' ? undefined : parseRecord(rec).beatAt;
      if (holder !== '' && dead === 0 && beatAt !== undefined && now - beatAt < this.ttlMs) {
        // Live-looking: a crashed previous start of this instance, or another live process.
        // A live process beats every interval: watch the holder's beat until two intervals have
        // passed since its last one (Redis's clock). A moved beat refuses this start at once; a
        // beat that stays put that long is a crashed start, whatever load delays one beat.
        const deadline = beatAt + 2 * this.beatIntervalMs;
        this.options.onHolderCheck?.({ instanceId: id, incarnation: holder }, Math.max(0, deadline - now));
        let changed = false;
        for (let at = now; at < deadline && !changed; ) {
          await sleep(Math.min(Math.ceil(this.beatIntervalMs / 4), deadline - at));
          const [holder2, rec2, , now2] = await this.redis.spoolMemberReadId(
            k.instances,
            k.incarnations,
            k.dead,
            id,
          );
          at = now2;
          if (holder2 !== holder) changed = true;
          else if (rec2 !== '' && parseRecord(rec2).beatAt !== beatAt) {
            throw new SpoolError(
              'INSTANCE_ID_TAKEN',
              `Another live process runs as instance "${id}" (its heartbeat moved while this one waited): give each process its own SPOOL_INSTANCE_ID (--instance-id), or leave it unset for a generated one.`,
              { details: { instanceId: id, incarnation: holder } },
            );
          }
        }
        if (changed) continue;
      }
      const [joined] = await this.redis.spoolMemberJoin(
        k.instances,
        k.incarnations,
        k.dead,
        id,
        self.incarnation,
        this.info(),
        holder,
      );
      if (joined === 1) return;
    }
    throw new SpoolError(
      'INSTANCE_ID_TAKEN',
      `Instance "${id}" changed hands five times while this process started: several processes are starting with one SPOOL_INSTANCE_ID.`,
      { details: { instanceId: id } },
    );
  }

  private schedule(): void {
    if (this.closed || this.evicted) return;
    // One beat loop: a rejoin schedules while the tick that evicted may still schedule after it.
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, this.beatIntervalMs);
    // Membership alone never keeps a process alive.
    this.timer.unref();
  }

  private async beatAndScan(): Promise<void> {
    if (this.closed || this.evicted) return;
    const k = this.keys;
    try {
      const [ok, why] = await this.redis.spoolMemberBeat(
        k.instances,
        k.incarnations,
        k.dead,
        this.self.instanceId,
        this.self.incarnation,
        this.info(),
        this.ttlMs,
      );
      if (ok !== 1) return this.evict(why as 'replaced' | 'dead' | 'expired' | 'removed');
      if ((await this.redis.exists(k.takeover(this.self.incarnation))) === 1) return this.evict('taken-over');
      await this.findDead();
    } catch (err) {
      this.options.onError?.(err as Error);
    }
  }

  private evict(
    why: Parameters<NonNullable<RedisMembershipOptions['onEvicted']>>[0],
  ): Promise<void> | undefined {
    if (this.evicted) return;
    this.evicted = true;
    clearTimeout(this.timer);
    this.options.onEvicted?.(why);
    if (this.options.rejoin !== false) return this.rejoin();
  }

  /**
   * Joins again as a new incarnation (docs/architecture.md, "Instances and incarnations"). The
   * evicted one stays dead: its {@link onRejoining} listeners may keep its messages (when no
   * other instance claimed them), or they are taken over and its writes fenced. A Redis error
   * is retried every beat interval; a live process holding the ID refuses it for good.
   */
  private async rejoin(): Promise<void> {
    const previous = this.current;
    while (!this.closed) {
      const next = { instanceId: previous.instanceId, incarnation: newIncarnation() };
      try {
        await this.join(next);
      } catch (err) {
        if (err instanceof SpoolError && err.code === 'INSTANCE_ID_TAKEN') {
          this.options.onRejoinRefused?.(err);
          return;
        }
        this.options.onError?.(err as Error);
        await sleep(this.beatIntervalMs);
        continue;
      }
      if (this.closed) return;
      // Before `self` changes: what the evicted incarnation owns can move to the new one while
      // this process's writes still name the evicted one (docs/architecture.md, "Instances
      // and incarnations").
      for (const listener of this.rejoiningListeners) {
        try {
          await listener(next, previous);
        } catch (err) {
          this.options.onError?.(err as Error);
        }
      }
      if (this.closed) return;
      // From here on, in one turn: `self` and the listeners change before any other code runs,
      // so that whatever was opened under the evicted incarnation is known to be its.
      this.current = next;
      this.evicted = false;
      this.schedule();
      for (const listener of this.rejoinListeners) {
        try {
          listener(this.current, previous);
        } catch (err) {
          this.options.onError?.(err as Error);
        }
      }
      this.options.onRejoined?.(this.current, previous);
      return;
    }
  }

  /** Tells listeners of each newly dead incarnation; forgets those dead long enough. */
  private async findDead(): Promise<void> {
    const scan = await this.scan();
    const seen = new Set<string>();
    for (const [incarnation, rec] of scan.records) {
      if (incarnation === this.self.incarnation) continue;
      seen.add(incarnation);
      const age = scan.now - rec.beatAt;
      const deadAt = scan.dead.get(incarnation) ?? (age >= this.ttlMs ? rec.beatAt + this.ttlMs : undefined);
      if (deadAt === undefined) continue;
      const ref = { instanceId: rec.instanceId, incarnation };
      if (!this.reported.has(incarnation)) {
        this.reported.set(incarnation, ref);
        for (const listener of this.listeners) this.tell(listener, ref);
      }
      if (scan.now - deadAt >= (FORGET_AFTER_TTLS - 1) * this.ttlMs) {
        const k = this.keys;
        await this.redis.spoolMemberForget(k.instances, k.incarnations, k.dead, incarnation, rec.instanceId);
      }
    }
    for (const incarnation of this.reported.keys())
      if (!seen.has(incarnation)) this.reported.delete(incarnation);
  }

  private tell(listener: (dead: InstanceRef) => void, dead: InstanceRef): void {
    try {
      listener(dead);
    } catch (err) {
      this.options.onError?.(err as Error);
    }
  }

  private async scan(): Promise<{
    holders: Map<string, string>;
    records: Map<string, { beatAt: number; instanceId: string; info: InstanceLoad }>;
    dead: Map<string, number>;
    now: number;
  }> {
    const k = this.keys;
    const [instances, incarnations, dead, now] = await this.redis.spoolMemberScan(
      k.instances,
      k.incarnations,
      k.dead,
    );
    const holders = pairs(instances);
    const byIncarnation = new Map<string, string>();
    for (const [id, inc] of holders) byIncarnation.set(inc, id);
    const records = new Map<string, { beatAt: number; instanceId: string; info: InstanceLoad }>();
    for (const [inc, rec] of pairs(incarnations)) {
      const parsed = parseRecord(rec);
      records.set(inc, { ...parsed, instanceId: parsed.instanceId ?? byIncarnation.get(inc) ?? '' });
    }
    const deadAt = new Map<string, number>();
    for (const [inc, mark] of pairs(dead)) deadAt.set(inc, Number(mark.slice(0, mark.indexOf('|'))));
    return { holders, records, dead: deadAt, now };
  }
}

function pairs(flat: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i]!, flat[i + 1]!);
  return m;
}

/** `<beatAt>|<JSON>` → its parts (the JSON carries the instance ID since the join). */
function parseRecord(rec: string): { beatAt: number; instanceId: string | undefined; info: InstanceLoad } {
  const bar = rec.indexOf('|');
  const body = JSON.parse(rec.slice(bar + 1)) as Partial<InstanceLoad> & { instanceId?: string };
  return {
    beatAt: Number(rec.slice(0, bar)),
    instanceId: body.instanceId,
    info: {
      connections: body.connections ?? 0,
      openMessages: body.openMessages ?? 0,
      eventsPerSecond: body.eventsPerSecond ?? 0,
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
