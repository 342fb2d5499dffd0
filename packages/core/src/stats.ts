/**
 * The operators' snapshot: served by `GET /v1/stats` and pushed every second on the
 * `$sys` topic (event `stats`). Aggregates plus the 100 most recently active items of
 * each list; full lists come from the paginated routes.
 */
export interface SpoolStats {
  /** When the snapshot was taken (ms since the epoch). */
  at: number;
  /** Time since the server started, in ms. */
  uptimeMs: number;
  /** The StreamCache's memory, streams, chunks and completions. */
  cache: CacheStatsSnapshot;
  /**
   * Open connections: in total, WebSocket, SSE, and those lagging (a subscription cut back to catchup, or
   * paused for room in the send queue).
   */
  connections: {
    /** WebSocket plus SSE. */
    total: number;
    /** Open WebSocket connections. */
    ws: number;
    /** Open SSE streams. */
    sse: number;
    /** Connections with a subscription cut back to catchup or paused for room in the send queue. */
    lagging: number;
  };
  /**
   * Topics: how many, their subscribers and event rate summed, and the 100 most recently active (by last
   * event ID).
   */
  topics: {
    /** Topics in the registry. */
    count: number;
    /** Subscribers, summed over the topics. */
    subscribers: number;
    /** Events per second, summed over the topics. */
    eventsPerSec: number;
    /** The 100 most recently active topics, by last event ID. */
    list: TopicStatsSnapshot[];
  };
  /** Open messages in the StreamCache, most recently active first (at most 100). */
  streams: ActiveStreamSnapshot[];
  /** The broker's streams, with their consumer groups. */
  broker: {
    /** The broker's streams. */
    streams: BrokerStreamSnapshot[];
  };
  /**
   * Counters since the server started: events published (plain publishes plus `msg.open`, `msg.delta` and
   * `msg.end`), events delivered to subscribers, and bytes written to them.
   */
  events: {
    /** Events published: plain publishes plus `msg.open`, `msg.delta` and `msg.end`. */
    published: number;
    /** Events delivered to subscribers. */
    delivered: number;
    /** Bytes written to subscribers. */
    bytesOut: number;
  };
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
  self: {
    /** `SPOOL_INSTANCE_ID`: the instance's name across restarts. */
    instanceId: string;
    /** This process start: 16 random hex digits. */
    incarnation: string;
  };
  /** Live instances by instance ID, as their heartbeats say; null when Redis cannot be read now. */
  instances: ClusterInstanceSnapshot[] | null;
}

/** One live instance in {@link ClusterStatsSnapshot}. */
export interface ClusterInstanceSnapshot {
  /** The instance's `SPOOL_INSTANCE_ID`. */
  instanceId: string;
  /** Its current process start (random per start). */
  incarnation: string;
  /** Age of its last heartbeat, in ms (Redis's clock): below `SPOOL_INSTANCE_TTL_MS`. */
  heartbeatAgeMs: number;
  /** Its open WebSocket and SSE connections, as of its last heartbeat. */
  connections: number;
  /** Messages open in its StreamCache, as of its last heartbeat. */
  openMessages: number;
  /** Events per second over all its topics, as of its last heartbeat. */
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

/** The StreamCache in {@link SpoolStats}. */
export interface CacheStatsSnapshot {
  /** Counted memory in bytes (payloads plus overheads of open streams). */
  memoryBytes: number;
  /** The memory limit, in bytes (`maxMemoryBytes`). */
  maxMemoryBytes: number;
  /** Open streams (messages) now. */
  streams: number;
  /** The limit of open streams (`maxStreams`). */
  maxStreams: number;
  /** Chunks held by open streams now. */
  chunks: number;
  /** Streams whose `onStreamComplete` succeeded (or had none to call), since the cache was created. */
  completed: number;
  /** Failed completion attempts, retried or not, since the cache was created. */
  completionFailures: number;
  /** Streams handed to `onCompleteFailed` after every attempt failed, since the cache was created. */
  deadLettered: number;
}

/** One topic in {@link SpoolStats} (`Topic.stats()`). */
export interface TopicStatsSnapshot {
  /** The topic's name. */
  name: string;
  /** Events its log retains now. */
  retainedEvents: number;
  /** UTF-8 bytes of the retained events' JSON data: what `retention.maxBytes` counts. */
  retainedBytes: number;
  /** The ID of the oldest retained event; null when none is retained. */
  firstId: string | null;
  /** The last ID appended; null while the topic is empty. */
  lastId: string | null;
  /** Open subscriptions plus `onAppend` listeners. */
  subscribers: number;
  /** Events appended per second, averaged over the last 10 seconds. */
  eventsPerSec: number;
  /** The retention limits: events, bytes, and age in ms (`maxAgeMs` may be Infinity, null in JSON). */
  retention: {
    /** Events kept at most. */
    maxEvents: number;
    /** Bytes kept at most. */
    maxBytes: number;
    /** Age in ms past which events go (Infinity, null in JSON: no limit). */
    maxAgeMs: number;
  };
}

/** One open message in {@link SpoolStats}, from the StreamCache. */
export interface ActiveStreamSnapshot {
  /** The message ID (decimal string). */
  messageId: string;
  /** The message's channel ID; `''` when none. */
  channelId: string;
  /** The channel's type (0 to 255). */
  channelType: number;
  /** The sender's user ID; `''` when none. */
  fromUid: string;
  /** The producer's own message number; `''` when none. */
  clientMsgNo: string;
  /** Chunks received so far. */
  chunks: number;
  /** Payload bytes so far (UTF-8 length for text), without overheads. */
  bytes: number;
  /** When the message was opened (ms since the epoch). */
  createdAt: number;
  /** Its last change: a chunk or a metadata update (ms since the epoch). */
  updatedAt: number;
  /** The message's free-form extra metadata. */
  customFields: Record<string, unknown>;
}

/**
 * One broker stream in {@link SpoolStats}: its length, last ID and consumer groups (XINFO STREAM and XINFO
 * GROUPS).
 */
export interface BrokerStreamSnapshot {
  /** The stream key. */
  key: string;
  /** Entries in the stream. */
  length: number;
  /** The ID of the newest entry ever added; null while none was. */
  lastId: string | null;
  /**
   * Its consumer groups: consumers, pending (delivered, not acknowledged) entries, lag (null when unknown)
   * and the last delivered ID.
   */
  groups: Array<{
    /** The group's name. */
    name: string;
    /** Its consumers. */
    consumers: number;
    /** Entries delivered and not acknowledged. */
    pending: number;
    /** Entries not yet delivered to the group; null when unknown. */
    lag: number | null;
    /** The ID of the last entry delivered to the group. */
    lastDeliveredId: string;
  }>;
}
