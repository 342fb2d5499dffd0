/**
 * The operators' snapshot: served by `GET /v1/stats` and pushed every second on the
 * `$sys` topic (event `stats`). Aggregates plus the 100 most recently active items of
 * each list; full lists come from the paginated routes.
 */
export interface SpoolStats {
  /** When the snapshot was taken (ms since the epoch). */
  at: number;
  uptimeMs: number;
  cache: CacheStatsSnapshot;
  connections: { total: number; ws: number; sse: number; lagging: number };
  topics: { count: number; subscribers: number; eventsPerSec: number; list: TopicStatsSnapshot[] };
  /** Open messages in the StreamCache, most recently active first (at most 100). */
  streams: ActiveStreamSnapshot[];
  broker: { streams: BrokerStreamSnapshot[] };
  events: { published: number; delivered: number; bytesOut: number };
  /** Circuit breaker states by dependency name (e.g. `store`, `broker`). */
  breakers: Record<string, 'closed' | 'open' | 'half-open'>;
  /** The message store. */
  store: StoreStatsSnapshot;
  /**
   * The cluster this instance belongs to, with Redis (`SPOOL_REDIS_URL`); absent on a
   * single process. The rest of the snapshot is this instance's own.
   */
  cluster?: ClusterStatsSnapshot;
}

/** The cluster in {@link SpoolStats}: this instance, and every instance that beats. */
export interface ClusterStatsSnapshot {
  /** This instance: `SPOOL_INSTANCE_ID`, and the incarnation of this process start. */
  self: { instanceId: string; incarnation: string };
  /** Live instances by instance ID, as their heartbeats say; null when Redis cannot be read now. */
  instances: ClusterInstanceSnapshot[] | null;
}

/** One live instance in {@link ClusterStatsSnapshot}. */
export interface ClusterInstanceSnapshot {
  instanceId: string;
  incarnation: string;
  /** Age of its last heartbeat, in ms (Redis's clock): below `SPOOL_INSTANCE_TTL_MS`. */
  heartbeatAgeMs: number;
  connections: number;
  openMessages: number;
  eventsPerSecond: number;
}

/** The message store in {@link SpoolStats}. */
export interface StoreStatsSnapshot {
  /** `memory`, `postgres`, `pglite`, or `custom` for a store that does not say. */
  kind: string;
  /** Messages held; null when the store cannot count them now (down, breaker open) or does not say. */
  messages: number | null;
  /** Completion records committed but not yet on the broker (the outbox); null as `messages`. */
  outboxBacklog: number | null;
  /** Finished messages whose save failed, waiting for a replay (docs/http-api.md "Dead letters"). */
  deadLetters: number;
}

export interface CacheStatsSnapshot {
  memoryBytes: number;
  maxMemoryBytes: number;
  streams: number;
  maxStreams: number;
  chunks: number;
  completed: number;
  completionFailures: number;
  deadLettered: number;
}

export interface TopicStatsSnapshot {
  name: string;
  retainedEvents: number;
  retainedBytes: number;
  firstId: string | null;
  lastId: string | null;
  subscribers: number;
  eventsPerSec: number;
  retention: { maxEvents: number; maxBytes: number; maxAgeMs: number };
}

export interface ActiveStreamSnapshot {
  messageId: string;
  channelId: string;
  channelType: number;
  fromUid: string;
  clientMsgNo: string;
  chunks: number;
  bytes: number;
  createdAt: number;
  updatedAt: number;
  customFields: Record<string, unknown>;
}

export interface BrokerStreamSnapshot {
  key: string;
  length: number;
  lastId: string | null;
  groups: Array<{
    name: string;
    consumers: number;
    pending: number;
    lag: number | null;
    lastDeliveredId: string;
  }>;
}
