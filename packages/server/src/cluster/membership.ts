/**
 * What an instance of a cluster knows about itself and its peers (docs/architecture.md,
 * "Instances and incarnations"). The Redis engine implements it; the message owner records,
 * takeover and fencing are built on it and on nothing else of the membership's internals.
 */

/** One process start of an instance: an instance ID names the instance across restarts. */
export interface InstanceRef {
  /** `SPOOL_INSTANCE_ID`, or a generated one. Stable across restarts when set. */
  instanceId: string;
  /** Random per process start: a restarted instance is a new incarnation of the same instance. */
  incarnation: string;
}

/** What a heartbeat says about the instance's load (the server's stats have it). */
export interface InstanceLoad {
  /** Open WebSocket and SSE connections. */
  connections: number;
  /** Messages open in the StreamCache. */
  openMessages: number;
  /** Events per second over all topics. */
  eventsPerSecond: number;
}

/** A live (or recently live) instance, as its heartbeats describe it. */
export interface InstanceInfo extends InstanceRef {
  /** When its last heartbeat was written, in ms since the epoch (RedisMembership: Redis's clock). */
  beatAt: number;
  /** Heartbeat age when read, in ms (RedisMembership: on Redis's clock too, so clock skew between instances does not count). */
  ageMs: number;
  /** Open WebSocket and SSE connections, as of the last heartbeat. */
  connections: number;
  /** Messages open in its StreamCache, as of the last heartbeat. */
  openMessages: number;
  /** Events per second over all its topics, as of the last heartbeat. */
  eventsPerSecond: number;
}

/** What {@link ClusterMembership.claimTakeover} answers. */
export type TakeoverClaim =
  /** This caller holds the claim now: it ends the incarnation's work, renewing as it goes. */
  | {
      /** True: the takeover is this caller's to do. */
      won: true;
    }
  /** A claimer finished the takeover: nothing is left to do. */
  | {
      /** False: the takeover is not this caller's. */
      won: false;
      /** True: a claimer finished it. */
      finished: true;
    }
  /** Another claimer holds it; ask again after `retryInMs`, when its lease would have run out. */
  | {
      /** False: another claimer holds the takeover. */
      won: false;
      /** False: that claimer has not finished it yet. */
      finished: false;
      /** When to ask again (ms): when the holder's lease would have run out. */
      retryInMs: number;
    };

/**
 * An instance's membership of a cluster: heartbeats, the live instances, and the death of an incarnation
 * with exactly one taker.
 */
export interface ClusterMembership {
  /** This process: its current incarnation (a new one after a rejoin). */
  readonly self: InstanceRef;
  /** Every instance whose heartbeat is younger than the TTL. */
  instances(): Promise<InstanceInfo[]>;
  /** Whether `incarnation` still beats (younger than the TTL) and has not been taken over. */
  isAlive(incarnation: string): Promise<boolean>;
  /**
   * Calls `listener` with each incarnation found dead: stopped beating for the TTL, or
   * replaced by a restart of its instance. Every survivor is told; one wins {@link claimTakeover}.
   * Returns the function that removes the listener.
   */
  onIncarnationDead(listener: (dead: InstanceRef) => void): () => void;
  /**
   * Claims the takeover of a dead incarnation (docs/architecture.md, "Takeover and fencing"):
   * one caller at a time wins a lease, which the membership renews until
   * {@link finishTakeover}. A winner that dies stops renewing: its claim expires, and the next
   * caller wins. The others learn whether it is finished, or when to ask again.
   */
  claimTakeover(incarnation: string): Promise<TakeoverClaim>;
  /** Marks the takeover of `incarnation` finished (it stops renewing): nobody claims it again. */
  finishTakeover(incarnation: string): Promise<void>;
  /**
   * Calls `listener` when this process joined again as a new incarnation after it was evicted
   * (`self` is the new one from then on). A membership that never rejoins leaves it out.
   * Returns the function that removes the listener.
   */
  onRejoined?(listener: (self: InstanceRef, previous: InstanceRef) => void): () => void;
  /**
   * Calls `listener` when this process has joined again as `next` after it was evicted, and
   * waits for it before `self` becomes `next` (docs/architecture.md, "Instances and
   * incarnations"): while it runs, `self` is still `previous`, so the listener can move what
   * `previous` owns to `next` before any write names `next`. A failing listener is reported
   * and the rejoin goes on. A membership that never rejoins leaves it out.
   * Returns the function that removes the listener.
   */
  onRejoining?(listener: (next: InstanceRef, previous: InstanceRef) => Promise<void>): () => void;
  /**
   * Stops beating and removes this instance's record. With `handOver`, the record stays: the
   * survivors see this incarnation stop beating and take over what it still owns (what it
   * could not end itself, see `ClusterMessages.unfinishedEndings`).
   */
  close(options?: {
    /** Keep this instance's record, so that the survivors take over what it still owns. */
    handOver?: boolean;
  }): Promise<void>;
}
