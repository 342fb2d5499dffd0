import {
  type ActiveStreamSnapshot,
  type BrokerStreamSnapshot,
  type ClusterStatsSnapshot,
  compareEventIds,
  type SpoolStats,
  type StoreStatsSnapshot,
  SYS_TOPIC,
} from '@spool/core';
import type { SpoolParts } from './server-parts';
import type { ConnectionHealth } from './transport';

/**
 * `SpoolStats` plus the server's per-connection health (queued bytes, credit, lagging,
 * healthy) for the WebSocket connections, worst first (at most 100).
 */
export interface ServerStats extends SpoolStats {
  /** The WebSocket connections' health, worst first (at most 100). */
  connectionHealth: ConnectionHealth[];
}

/** `/readyz`: each dependency's check, with its circuit breaker's state. */
export interface Readiness {
  /** True when every check passed. */
  ready: boolean;
  /**
   * Each dependency's check by name: whether it passed, its breaker's state, and the error when it failed.
   */
  checks: Record<
    string,
    {
      /** True when the dependency answered. */
      ok: boolean;
      /** The state of the dependency's circuit breaker after the check (store and broker only). */
      breaker?: 'closed' | 'open' | 'half-open';
      /** The failed check's error message (absent when it passed). */
      error?: string;
      /** The backend behind it (`memory`, `postgres`, `pglite`, `redis`, or `custom` for a store that names none). */
      kind?: string;
    }
  >;
}

const LIST_LIMIT = 100;
/** How old the store's counts in a snapshot may be. */
const STORE_COUNTS_MAX_AGE_MS = 2000;

/**
 * Builds the operators' snapshot, and pushes it on `$sys` (event `stats`) every interval,
 * but only while someone subscribes to `$sys`, so an unwatched server pays nothing.
 */
export class StatsPublisher {
  private timer: unknown;
  private stopped = false;
  private publishing = false;
  private storeCounts: { at: number; messages: number; outboxBacklog: number } | undefined;

  constructor(
    private readonly spool: SpoolParts,
    private readonly intervalMs: number,
  ) {
    this.schedule();
  }

  async snapshot(): Promise<ServerStats> {
    const spool = this.spool;
    const now = spool.clock.now();
    const c = spool.cache.getStats();
    const ws = spool.transportTotals('ws');
    const sse = spool.transportTotals('sse');
    const all = spool.topics.stats();
    let subscribers = 0;
    let eventsPerSec = 0;
    for (const t of all) {
      subscribers += t.subscribers;
      eventsPerSec += t.eventsPerSec;
    }
    // Most recently active first: by last event ID (IDs start with their time).
    const list = all
      .sort((a, b) =>
        b.lastId === a.lastId
          ? 0
          : a.lastId === null
            ? 1
            : b.lastId === null
              ? -1
              : compareEventIds(b.lastId, a.lastId),
      )
      .slice(0, LIST_LIMIT);
    const streams: ActiveStreamSnapshot[] = spool.cache
      .listStreams()
      .sort((a, b) => b.updatedAt - a.updatedAt)
      .slice(0, LIST_LIMIT)
      .map((v) => ({
        messageId: v.meta.messageId,
        channelId: v.meta.channelId,
        channelType: v.meta.channelType,
        fromUid: v.meta.fromUid,
        clientMsgNo: v.meta.clientMsgNo,
        chunks: v.chunkCount,
        bytes: v.bytes,
        createdAt: v.createdAt,
        updatedAt: v.updatedAt,
        customFields: v.meta.customFields,
      }));
    const connectionHealth = spool
      .connectionHealth()
      .sort((a, b) => Number(a.healthy) - Number(b.healthy) || b.queuedBytes - a.queuedBytes)
      .slice(0, LIST_LIMIT);
    return {
      at: now,
      uptimeMs: now - spool.startedAt,
      cache: {
        memoryBytes: c.memoryBytes,
        maxMemoryBytes: c.maxMemoryBytes,
        streams: c.streams,
        maxStreams: c.maxStreams,
        chunks: c.chunks,
        completed: c.completed,
        completionFailures: c.completionFailures,
        deadLettered: c.deadLettered,
      },
      connections: {
        total: ws.connections + sse.connections,
        ws: ws.connections,
        sse: sse.connections,
        lagging: ws.lagging + sse.lagging,
      },
      topics: { count: all.length, subscribers, eventsPerSec, list },
      streams,
      broker: { streams: await brokerSnapshots(spool) },
      events: {
        // Plain publishes plus the chat events (msg.open, msg.delta, msg.end) the cache produced,
        // the same sum as the `spool_events_published_total` metric.
        published: spool.published + c.opened + c.appended + c.ended,
        delivered: ws.delivered + sse.delivered,
        bytesOut: ws.bytesOut + sse.bytesOut,
      },
      breakers: { store: spool.breakers.store.state, broker: spool.breakers.broker.state },
      store: await this.storeSnapshot(now),
      ...(spool.membership ? { cluster: await clusterSnapshot(spool) } : {}),
      connectionHealth,
    };
  }

  /**
   * The store part of a snapshot. Its counts come from the store (a `count(*)` on
   * PostgreSQL), so they are read at most every {@link STORE_COUNTS_MAX_AGE_MS}, not with
   * every `$sys` push; never while the store's breaker is open.
   */
  private async storeSnapshot(now: number): Promise<StoreStatsSnapshot> {
    const spool = this.spool;
    const store = spool.store;
    const out: StoreStatsSnapshot = {
      kind: store.kind ?? 'custom',
      messages: null,
      outboxBacklog: null,
      deadLetters: spool.messages.deadLetters.length,
    };
    if (typeof store.stats !== 'function' || spool.breakers.store.state === 'open') return out;
    if (this.storeCounts === undefined || now - this.storeCounts.at >= STORE_COUNTS_MAX_AGE_MS) {
      try {
        const counts = await spool.breakers.store.execute(() => store.stats!());
        this.storeCounts = { at: now, ...counts };
      } catch {
        // the store is down: the counts are unknown, which null says
        this.storeCounts = undefined;
        return out;
      }
    }
    out.messages = this.storeCounts.messages;
    out.outboxBacklog = this.storeCounts.outboxBacklog;
    return out;
  }

  stop(): void {
    this.stopped = true;
    this.spool.clock.clearTimeout(this.timer);
  }

  private schedule(): void {
    this.timer = this.spool.clock.setTimeout(() => {
      void this.tick().finally(() => {
        if (!this.stopped) this.schedule();
      });
    }, this.intervalMs);
  }

  private async tick(): Promise<void> {
    if (this.publishing || (this.spool.topics.get(SYS_TOPIC)?.subscriberCount ?? 0) === 0) return;
    this.publishing = true;
    try {
      await this.spool.publish(SYS_TOPIC, await this.snapshot(), { event: 'stats' });
    } catch (err) {
      this.spool.logger.warn({ err }, 'publishing stats on $sys failed');
    } finally {
      this.publishing = false;
    }
  }
}

async function brokerSnapshots(spool: SpoolParts): Promise<BrokerStreamSnapshot[]> {
  // Stats must not wait on (or hammer) a broker that is down: skip while its breaker is open.
  if (spool.breakers.broker.state === 'open') return [];
  const out: BrokerStreamSnapshot[] = [];
  for (const key of spool.streamKeys.recent(LIST_LIMIT)) {
    // Every key written through Spool
    try {
      const broker = spool.breakers.broker;
      const info = await broker.execute(() => spool.broker.xinfoStream(key));
      const groups = await broker.execute(() => spool.broker.xinfoGroups(key));
      out.push({
        key,
        length: info.length,
        lastId: info.lastGeneratedId ?? null,
        groups: groups.map((g) => ({
          name: g.name,
          consumers: g.consumers,
          pending: g.pending,
          lag: g.lag ?? null,
          lastDeliveredId: g.lastDeliveredId,
        })),
      });
    } catch {
      // NO_SUCH_KEY: the stream does not exist yet.
    }
  }
  return out;
}

/**
 * The cluster section: every live instance as its heartbeats say (one Redis read). A Redis
 * that cannot be read now gives `instances: null`, never a stale list.
 */
async function clusterSnapshot(spool: SpoolParts): Promise<ClusterStatsSnapshot> {
  const cluster = spool.membership!;
  const self = { instanceId: cluster.self.instanceId, incarnation: cluster.self.incarnation };
  try {
    const instances = (await cluster.instances()).map((i) => ({
      instanceId: i.instanceId,
      incarnation: i.incarnation,
      heartbeatAgeMs: i.ageMs,
      connections: i.connections,
      openMessages: i.openMessages,
      eventsPerSecond: i.eventsPerSecond,
    }));
    return { self, instances };
  } catch (err) {
    spool.logger.warn({ err }, 'reading the cluster for stats failed');
    return { self, instances: null };
  }
}

/** Pings the broker and reads the breakers: ready only when both dependencies are. */
export async function readiness(spool: SpoolParts): Promise<Readiness> {
  const checks: Readiness['checks'] = {};
  const broker = spool.breakers.broker;
  try {
    await broker.execute(() => spool.broker.ping());
    checks.broker = { ok: true, breaker: broker.state };
  } catch (err) {
    checks.broker = {
      ok: false,
      breaker: broker.state,
      error: err instanceof Error ? err.message : String(err),
    };
  }
  const store = spool.breakers.store;
  const kind = spool.store.kind ?? 'custom';
  try {
    // A cheap read through the breaker: an open breaker fails it at once with CIRCUIT_OPEN.
    await store.execute(() => spool.store.get('1'));
    checks.store = { ok: true, kind, breaker: store.state };
  } catch (err) {
    checks.store = {
      ok: false,
      kind,
      breaker: store.state,
      error: err instanceof Error ? err.message : String(err),
    };
  }
  const directory = spool.topicDirectory;
  if (directory) {
    // The topic log's own connection: with it down, no topic can append or catch up.
    try {
      await directory.ping();
      checks.topics = { ok: true, kind: directory.kind };
    } catch (err) {
      checks.topics = {
        ok: false,
        kind: directory.kind,
        error: err instanceof Error ? err.message : String(err),
      };
    }
  }
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}
