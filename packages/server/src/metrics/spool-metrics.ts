import type { BrokerStreamSnapshot } from '@spool/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SpoolParts } from '../server-parts';
import type { TransportTotals } from '../transport';
import { brokerStreamSnapshot } from './known-stream-keys';
import type { RequestMetrics } from './request-metrics';

/** Options of {@link SpoolMetrics}. */
export interface SpoolMetricsOptions {
  /**
   * Broker streams described per scrape (the most recently written first); each costs two
   * broker round trips.
   * @default 100
   */
  maxBrokerStreams?: number;
  /**
   * Buckets of `spool_http_request_duration_seconds`, in seconds.
   * @default [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
   */
  httpBuckets?: number[];
}

/** Defaults of {@link SpoolMetricsOptions}. */
export const spoolMetricsDefaults = Object.freeze({
  maxBrokerStreams: 100,
  httpBuckets: Object.freeze([0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
});

/** The `spool_circuit_breaker_state` values. */
export const BREAKER_STATE_VALUE = Object.freeze({ closed: 0, 'half-open': 1, open: 2 });

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

type Labels = Record<string, string>;
type Sample = readonly [labels: Labels, value: number];

/**
 * Spool's Prometheus metrics (`GET /metrics`), through prom-client with a Registry of its
 * own per Spool instance (never the global one), so two servers in one process never mix
 * their numbers. Gauges read the server's state at scrape time; counters follow the
 * server's own monotonic totals; HTTP request durations are observed by the dispatcher.
 *
 * @example
 * const metrics = new SpoolMetrics(spool);
 * const text = await metrics.text(); // Prometheus text format 0.0.4
 */
export class SpoolMetrics implements RequestMetrics {
  /** The prom-client registry of this instance's metrics. */
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly maxBrokerStreams: number;
  private brokerMemo: Promise<BrokerStreamSnapshot[]> | undefined;

  constructor(
    private readonly spool: SpoolParts,
    options: SpoolMetricsOptions = {},
  ) {
    this.maxBrokerStreams = options.maxBrokerStreams ?? spoolMetricsDefaults.maxBrokerStreams;
    const registers = [this.registry];
    const gauge = (
      name: string,
      help: string,
      labelNames: string[],
      read: () => Sample[] | Promise<Sample[]>,
    ) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          const samples = await read();
          this.reset();
          for (const [labels, value] of samples) this.set(labels, value);
        },
      });
    const counter = (name: string, help: string, labelNames: string[], read: () => Sample[]) => {
      // The server keeps lifetime totals; the counter advances by what they grew since the last scrape.
      const last = new Map<string, number>();
      return new Counter({
        name,
        help,
        labelNames,
        registers,
        collect() {
          for (const [labels, value] of read()) {
            const key = JSON.stringify(labels);
            const delta = value - (last.get(key) ?? 0);
            // inc by 0 too: a label set shows (as 0) from the first scrape, not from its first event.
            if (delta >= 0) this.inc(labels, delta);
            last.set(key, Math.max(value, last.get(key) ?? 0));
          }
        },
      });
    };
    const transports = () => ({ ws: spool.transportTotals('ws'), sse: spool.transportTotals('sse') });
    const byTransport = (pick: (t: TransportTotals) => number): Sample[] => {
      const t = transports();
      return [
        [{ transport: 'ws' }, pick(t.ws)],
        [{ transport: 'sse' }, pick(t.sse)],
      ];
    };
    const one = (value: number): Sample[] => [[{}, value]];

    // Connections and subscriptions.
    gauge('spool_connections', 'Open client connections.', ['transport'], () =>
      byTransport((t) => t.connections),
    );
    gauge('spool_subscriptions', 'Topic subscriptions, over every transport.', [], () => {
      let n = 0;
      for (const t of spool.topics.topics()) n += t.subscriberCount;
      return one(n);
    });
    gauge(
      'spool_lagging_connections',
      'Connections with a subscription cut back to catchup because the client reads too slowly.',
      ['transport'],
      () => byTransport((t) => t.lagging),
    );
    counter(
      'spool_lag_cuts_total',
      'Subscriptions cut from live back to catchup because their client read too slowly (they resume with nothing lost).',
      ['transport'],
      () => byTransport((t) => t.lagCuts),
    );
    gauge('spool_topics', 'Topics held in memory.', [], () => one(spool.topics.size));

    // Events.
    counter(
      'spool_events_published_total',
      'Events appended to topics: by publishers (WebSocket pub, HTTP POST), and chat events (msg.open, one msg.delta per chunk, msg.end).',
      ['source'],
      () => {
        const c = spool.cache.getStats();
        return [
          [{ source: 'publish' }, spool.published],
          [{ source: 'chat' }, c.opened + c.appended + c.ended],
        ];
      },
    );
    counter('spool_events_delivered_total', 'Events written to subscribers.', ['transport'], () =>
      byTransport((t) => t.delivered),
    );
    counter('spool_delivered_bytes_total', 'Bytes written to subscribers.', ['transport'], () =>
      byTransport((t) => t.bytesOut),
    );

    // The StreamCache.
    const cache = () => spool.cache.getStats();
    gauge('spool_cache_memory_bytes', 'Memory the StreamCache counts (payloads and overheads).', [], () =>
      one(cache().memoryBytes),
    );
    gauge('spool_cache_memory_limit_bytes', 'The StreamCache memory limit (maxMemoryBytes).', [], () =>
      one(cache().maxMemoryBytes),
    );
    gauge('spool_cache_streams', 'Open streams (messages) in the StreamCache.', [], () =>
      one(cache().streams),
    );
    gauge('spool_cache_streams_limit', 'The StreamCache stream limit (maxStreams).', [], () =>
      one(cache().maxStreams),
    );
    gauge('spool_cache_chunks', 'Chunks held by open streams.', [], () => one(cache().chunks));
    counter('spool_cache_streams_ended_total', 'Streams ended, by reason.', ['reason'], () =>
      Object.entries(cache().endedByReason).map(([reason, n]): Sample => [{ reason }, n]),
    );
    counter(
      'spool_cache_completed_total',
      'Completions that succeeded (the message was persisted).',
      [],
      () => one(cache().completed),
    );
    counter('spool_cache_completion_failures_total', 'Completion attempts that failed.', [], () =>
      one(cache().completionFailures),
    );
    counter(
      'spool_cache_dead_lettered_total',
      'Messages whose completion failed every attempt (kept for operators).',
      [],
      () => one(cache().deadLettered),
    );

    // Broker streams and groups.
    const broker = () => this.brokerStreams();
    gauge('spool_broker_stream_length', 'Entries in a broker stream (XLEN).', ['stream'], async () =>
      (await broker()).map((s): Sample => [{ stream: s.key }, s.length]),
    );
    gauge(
      'spool_broker_group_pending',
      'Entries delivered to a consumer group and not acked yet.',
      ['stream', 'group'],
      async () =>
        (await broker()).flatMap((s) =>
          s.groups.map((g): Sample => [{ stream: s.key, group: g.name }, g.pending]),
        ),
    );
    gauge(
      'spool_broker_group_lag',
      'Entries of the stream not yet delivered to a consumer group (absent when Redis cannot tell).',
      ['stream', 'group'],
      async () =>
        (await broker()).flatMap((s) =>
          s.groups
            .filter((g) => g.lag !== null)
            .map((g): Sample => [{ stream: s.key, group: g.name }, g.lag!]),
        ),
    );
    gauge('spool_broker_group_consumers', 'Consumers of a consumer group.', ['stream', 'group'], async () =>
      (await broker()).flatMap((s) =>
        s.groups.map((g): Sample => [{ stream: s.key, group: g.name }, g.consumers]),
      ),
    );

    // Dependencies.
    gauge(
      'spool_circuit_breaker_state',
      'Circuit breaker state by dependency: 0 closed, 1 half-open, 2 open.',
      ['breaker'],
      () =>
        Object.entries(spool.breakers).map(
          ([name, b]): Sample => [{ breaker: name }, BREAKER_STATE_VALUE[b.state]],
        ),
    );

    this.httpDuration = new Histogram({
      name: 'spool_http_request_duration_seconds',
      help: 'HTTP request durations until the response head, by route pattern (streams such as SSE count until they start).',
      labelNames: ['method', 'route', 'status'],
      buckets: [...(options.httpBuckets ?? spoolMetricsDefaults.httpBuckets)],
      registers,
    });
  }

  /** Records one HTTP request; `route` is the matched pattern (`/v1/messages/:id`), never the raw path. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    // Clients choose the method: anything unusual shares one label value.
    const m = KNOWN_METHODS.has(method) ? method : 'OTHER';
    this.httpDuration.observe({ method: m, route, status: String(status) }, seconds);
  }

  /** The `Content-Type` of {@link text}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the Prometheus text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * Broker stream snapshots, shared by the broker gauges of one scrape: prom-client starts
   * every metric's `collect` in one synchronous loop, so a memo that lives until the next
   * microtask is shared by exactly one scrape.
   */
  private brokerStreams(): Promise<BrokerStreamSnapshot[]> {
    if (this.brokerMemo) return this.brokerMemo;
    const value = this.readBrokerStreams();
    this.brokerMemo = value;
    queueMicrotask(() => {
      this.brokerMemo = undefined;
    });
    return value;
  }

  private async readBrokerStreams(): Promise<BrokerStreamSnapshot[]> {
    const spool = this.spool;
    // A scrape must not wait on (or hammer) a broker that is down.
    if (spool.breakers.broker.state === 'open') return [];
    const out: BrokerStreamSnapshot[] = [];
    for (const key of spool.streamKeys.recent(this.maxBrokerStreams)) {
      try {
        const snapshot = await brokerStreamSnapshot(spool.broker, key);
        if (snapshot) out.push(snapshot);
      } catch (err) {
        spool.logger.warn({ err, stream: key }, 'reading a broker stream for /metrics failed');
      }
    }
    return out;
  }
}
