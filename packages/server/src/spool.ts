import {
  ChannelCatchup,
  CircuitBreaker,
  type Clock,
  COMPLETED_STREAM,
  isTransientError,
  type Logger,
  MemoryBroker,
  MemoryMessageStore,
  MemoryTopicLog,
  type MessageStore,
  type RetryOptions,
  realClock,
  retry,
  SpoolError,
  type StreamBroker,
  StreamCache,
  SYS_TOPIC,
  silentLogger,
  type TopicEvent,
  TopicRegistry,
  type WireOpenMeta,
} from '@spool/core';
import type { MessageCluster, MessageDirectory, RunHandle, RunWork } from '@spool/core/internal';
import { ChatProducer } from '@spool/core/internal';
import { AuditLog } from './audit/audit-log';
import { AccessControl } from './auth/access-control';
import { type Principal, SYSTEM } from './auth/principal';
import { PrincipalLimiter } from './auth/principal-limits';
import type { ClusterMembership } from './cluster/membership';
import { dispatch } from './http/dispatch';
import { registerHealthRoutes } from './http/health-routes';
import type { RouteContext } from './http/route-context';
import { Router } from './http/router';
import {
  registerBrokerRoutes,
  registerChannelHistoryRoutes,
  registerMessageRoutes,
  registerMetricsRoutes,
  registerOperatorRoutes,
  registerStoreRoutes,
  registerTopicRoutes,
} from './http/routes';
// Known broker keys, and the slot the Node entry's Prometheus metrics go into
import { KnownStreamKeys, trackStreamKeys } from './metrics/known-stream-keys';
import { MetricsSlot } from './metrics/request-metrics';
import { type SpoolOptions, SYS_RETENTION, spoolDefaults, validateSpoolOptions } from './options';
import type { PublishOptions } from './publish-options';
import type { SpoolParts } from './server-parts';
import { resolveSseOptions, SseEndpoint } from './sse/sse-endpoint';
import { type Readiness, readiness, type ServerStats, StatsPublisher } from './stats';
import type { TopicDirectory } from './topic-directory';
import { type ConnectionHealth, NO_TRANSPORT, type Transport, type TransportTotals } from './transport';
import { IdempotencyWindow } from './ws/limits';
import { type ResolvedWsOptions, resolveWsOptions, wsDefaults } from './ws/ws-options';

/** The options of a publish that has none: shared, so the hot path allocates none. */
const NO_OPTIONS: Readonly<PublishOptions> = Object.freeze({});
/**
 * The implementation behind the public `Spool` of `createSpool` (docs/architecture.md,
 * "The package and entry graph"): every part of the server, for the route groups, the
 * Node entry, the CLI and the tests. Not exported by any entry; users hold the small
 * `Spool` interface.
 */
export class SpoolInstance implements SpoolParts {
  /** The StreamCache holding the messages that stream now. */
  readonly cache: StreamCache;
  /** Where finished messages are saved (the `store` option; an in-memory store by default). */
  readonly store: MessageStore;
  /**
   * The consumer-group broker (the `broker` option; a MemoryBroker by default), wrapped so every key written
   * through it is known.
   */
  readonly broker: StreamBroker;
  /** The topics of this instance. */
  readonly topics: TopicRegistry;
  /** The topics of a log shared with other instances (the Redis topic index); undefined in memory mode. */
  readonly topicDirectory: TopicDirectory | undefined;
  /** Authentication, authorization and the origin check. */
  readonly access: AccessControl;
  /** The chat pipeline (open, append, end) that the WebSocket and the message routes drive. */
  readonly messages: ChatProducer;
  /** Cluster mode only: see {@link useCluster}. */
  cluster: MessageDirectory | undefined;
  /** The circuit breakers of the store and the broker. */
  readonly breakers: { store: CircuitBreaker; broker: CircuitBreaker };
  /** Register more routes here; `fetch` dispatches to them. */
  readonly router = new Router<RouteContext>();
  /** The server's logger (the `logger` option; silent by default). */
  readonly logger: Logger;
  /** The clock of every timer and timestamp (the `clock` option). */
  readonly clock: Clock;
  /** The SSE endpoint: streams, fan-out, totals (the built-in transport `sse`). */
  readonly sseEndpoint: SseEndpoint;
  /** The WebSocket options, resolved: the Node entry's WebSocket transport reads them. */
  readonly wsOptions: ResolvedWsOptions;
  /** When this instance was created (ms since the epoch). */
  readonly startedAt: number;
  /** Largest JSON request body the HTTP routes accept, in bytes. */
  readonly maxBodyBytes: number;
  /** Broker streams written through {@link broker} (for `GET /v1/streams`, `$sys`, `/metrics`). */
  readonly streamKeys = new KnownStreamKeys([COMPLETED_STREAM, `${COMPLETED_STREAM}:dead`]);
  /** Request durations and `GET /metrics`: empty until `installMetrics` of the Node entry fills it. */
  readonly metrics = new MetricsSlot();
  /** The rate per principal, on every path (docs/security.md, "Defaults"). */
  readonly principalLimits: PrincipalLimiter;
  /** Operator actions of this instance, logged with their principal (docs/security.md, "Audit log"). */
  readonly audit: AuditLog;
  /** Events published through this instance. */
  published = 0;
  /** Idempotency keys of {@link publish}, in a window as large as the WebSocket's. */
  private readonly publishKeys = new IdempotencyWindow(wsDefaults.idempotencyWindow);
  /** This instance's membership of the cluster (`options.membership`); undefined on a single process. */
  readonly membership: ClusterMembership | undefined;
  /** How clients connect, by name: `sse` built in, `ws` once the Node entry attaches it. */
  private readonly transports = new Map<string, Transport>();
  private readonly statsPublisher: StatsPublisher;
  private replayTimer: unknown;
  private readonly owns: { store: boolean; broker: boolean };
  private closed: Promise<void> | undefined;

  constructor(options: SpoolOptions = {}) {
    validateSpoolOptions(options);
    this.membership = options.membership;
    this.clock = options.clock ?? realClock;
    this.logger = options.logger ?? silentLogger;
    this.startedAt = this.clock.now();
    this.audit = new AuditLog(this.logger, this.clock);
    this.maxBodyBytes = options.maxBodyBytes ?? spoolDefaults.maxBodyBytes;
    this.access = new AccessControl(options.auth);
    this.principalLimits = new PrincipalLimiter(options.principalLimits, this.clock);
    this.wsOptions = resolveWsOptions(options.ws);
    const sseOptions = resolveSseOptions(options.sse);
    this.owns = { store: options.store === undefined, broker: options.broker === undefined };
    this.store = options.store ?? new MemoryMessageStore({ clock: this.clock });
    // Wrapped so every key written through Spool is known (the broker cannot list keys).
    this.broker = trackStreamKeys(options.broker ?? new MemoryBroker({ clock: this.clock }), this.streamKeys);
    const breaker = { ...spoolDefaults.breaker, ...options.breaker };
    this.breakers = {
      // Only a dependency's own trouble trips a breaker, never a caller's bad input (NOGROUP...).
      store: new CircuitBreaker({
        ...breaker,
        name: 'store',
        clock: this.clock,
        isFailure: isTransientError,
      }),
      broker: new CircuitBreaker({
        ...breaker,
        name: 'broker',
        clock: this.clock,
        isFailure: isTransientError,
      }),
    };
    for (const b of Object.values(this.breakers)) {
      b.onStateChange(({ name, from, to }) =>
        this.logger.warn({ breaker: name, from, to }, 'circuit breaker changed state'),
      );
    }
    const retryOptions: RetryOptions = { ...spoolDefaults.retry, ...options.retry, clock: this.clock };

    // The cache is created after the producer's callbacks exist; the producer gets it below.
    let producer: ChatProducer | undefined;
    this.cache = new StreamCache({
      ...options.cache,
      clock: this.clock,
      // Spool's completion already retries through `retry` + the store breaker.
      completionRetry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
      onStreamComplete: (id, chunks, meta) => producer!.onStreamComplete(id, chunks, meta),
      onCompleteFailed: (id, chunks, meta, failure) => producer!.onCompleteFailed(id, chunks, meta, failure),
    });
    const { retention, channelRetention, catchupPageSize, directory, ...registry } = options.topics ?? {};
    this.topicDirectory = directory;
    // The channel catchup reads the store through the breaker and core's retry.
    const guardedStore: MessageStore = {
      save: (m) => this.breakers.store.execute(() => this.store.save(m)),
      get: (id) => retryStore(() => this.store.get(id)),
      listAfter: (channel, after, o) => retryStore(() => this.store.listAfter(channel, after, o)),
      listBefore: (channel, before, o) => retryStore(() => this.store.listBefore(channel, before, o)),
      listBySender: (fromUid, before, o) => retryStore(() => this.store.listBySender(fromUid, before, o)),
      listByField: (field, value, before, o) =>
        retryStore(() => this.store.listByField(field, value, before, o)),
      close: () => this.store.close(),
    };
    const retryStore = <T>(fn: () => Promise<T>) =>
      retry(() => this.breakers.store.execute(fn), retryOptions);
    this.topics = new TopicRegistry({
      ...registry,
      createLog: registry.createLog ?? ((_name: string, clock: Clock) => new MemoryTopicLog({ clock })),
      clock: this.clock,
      defaults: { retention, ...(catchupPageSize ? { catchupPageSize } : {}) },
      patterns: [
        {
          match: 'chan:*',
          options: {
            retention: { ...channelRetention },
            // A channel's chat events stay until their message is persisted (docs/architecture.md, "Chat events on a channel topic").
            retainUntilPersisted: 'messages',
            catchup: new ChannelCatchup({
              store: guardedStore,
              open: { openMessages: (t) => producer!.openMessages(t) },
            }),
          },
        },
        { match: SYS_TOPIC, options: { retention: SYS_RETENTION } },
      ],
      onError: (err) => this.logger.error({ err }, 'topic registry error'),
    });
    producer = new ChatProducer({
      cache: this.cache,
      topics: this.topics,
      store: this.store,
      broker: this.broker,
      storeBreaker: this.breakers.store,
      brokerBreaker: this.breakers.broker,
      retry: retryOptions,
      // The pipeline hands back the principal it was given: always one of the server's.
      access: {
        system: SYSTEM,
        authorize: (principal: Principal, action, topic) => this.access.authorize(principal, action, topic),
      },
      logger: this.logger,
      clock: this.clock,
      endedIdWindow: options.endedIdWindow ?? spoolDefaults.endedIdWindow,
    });
    this.messages = producer;
    this.sseEndpoint = new SseEndpoint(
      sseOptions,
      this.access,
      this.topics,
      this.clock,
      this.principalLimits,
    );
    this.transports.set('sse', this.sseEndpoint);
    this.router.get('/v1/topics/:topic/events', (request, { topic }) => this.sse(request, topic!), {
      access: 'public', // SSE authenticates itself: it also checks the origin
    });
    registerHealthRoutes(this.router, { readiness: () => this.readiness() });
    // Each route group gets only the parts it reads (docs/architecture.md).
    const storeBreaker = this.breakers.store;
    registerTopicRoutes(this.router, {
      topics: this.topics,
      topicDirectory: this.topicDirectory,
      publishFor: (principalId, topic, data, options) => this.publishFor(principalId, topic, data, options),
    });
    registerMessageRoutes(this.router, {
      messages: this.messages,
      cache: this.cache,
      store: this.store,
      storeBreaker,
      audit: this.audit,
      cluster: () => this.cluster,
    });
    registerChannelHistoryRoutes(this.router, { store: this.store, storeBreaker, messages: this.messages });
    registerStoreRoutes(this.router, { store: this.store, storeBreaker });
    registerBrokerRoutes(this.router, {
      broker: this.broker,
      streamKeys: this.streamKeys,
      audit: this.audit,
    });
    registerOperatorRoutes(this.router, {
      stats: () => this.stats(),
      messages: this.messages,
      audit: this.audit,
    });
    registerMetricsRoutes(this.router, { metrics: this.metrics });
    this.statsPublisher = new StatsPublisher(this, options.statsIntervalMs ?? spoolDefaults.statsIntervalMs);
    this.scheduleReplay(options.deadLetterReplayMs ?? spoolDefaults.deadLetterReplayMs);
  }

  /**
   * Saves dead letters again every `ms` while there are any, so a store that comes back
   * after an outage gets the messages that finished meanwhile (docs/http-api.md,
   * "Dead letters"). A replay against a store whose breaker is open fails at once.
   */
  private scheduleReplay(ms: number): void {
    this.replayTimer = this.clock.setTimeout(() => {
      const run =
        this.messages.deadLetters.length > 0 && this.closed === undefined
          ? this.messages.replayDeadLetters().then(() => undefined)
          : Promise.resolve();
      void run.finally(() => {
        if (this.closed === undefined) this.scheduleReplay(ms);
      });
    }, ms);
  }

  /**
   * The fetch-style handler: SSE, the registered routes, then a 404 JSON error. Usable from
   * any framework on WHATWG Request/Response (Hono on Node, route handlers).
   */
  readonly fetch = (request: Request): Promise<Response> => dispatch(this, request);

  /**
   * The SSE stream of `topic` for `request` (`GET /v1/topics/:topic/events`, which `fetch`
   * serves too): authenticates, checks the origin, resumes from `Last-Event-ID`.
   */
  sse(request: Request, topic: string): Promise<Response> {
    return this.sseEndpoint.handle(request, topic);
  }

  /**
   * Plugs in a transport under `name` (the Node entry's WebSocket adapter as `ws`), once:
   * its totals join `stats()` and `/metrics`, and `close()` refuses and closes its
   * connections with the others.
   * @throws SpoolError `INVALID_OPTION` when `name` is taken; `UNAVAILABLE` once closing
   */
  addTransport(name: string, transport: Transport): void {
    if (this.transports.has(name)) {
      throw new SpoolError('INVALID_OPTION', `This Spool already has a \`${name}\` transport.`);
    }
    if (this.closed !== undefined) throw new SpoolError('UNAVAILABLE', 'This Spool is closing.');
    this.transports.set(name, transport);
  }

  /** The transport plugged in under `name`, if any. */
  transport(name: string): Transport | undefined {
    return this.transports.get(name);
  }

  transportTotals(name: string): TransportTotals {
    return this.transports.get(name)?.totals() ?? NO_TRANSPORT;
  }

  connectionHealth(): ConnectionHealth[] {
    return [...this.transports.values()].flatMap((t) => t.health?.() ?? []);
  }

  /**
   * Cluster mode (docs/architecture.md, "Messages across instances"): owner records fence the
   * chat pipeline's writes, writes for messages owned elsewhere reach their owner, and the
   * message routes read the shared records. Called once, before serving, by the cluster's
   * `ClusterMessages.start`; memory mode never calls it.
   */
  useCluster(cluster: MessageCluster & MessageDirectory): void {
    this.cluster = cluster;
    this.messages.useCluster(cluster);
  }

  /**
   * Publishes one event on a topic; resolves to its event ID. The arguments are the
   * client's (`client.publish(topic, data, { event, key })`): `event` defaults to
   * `message`, and a repeated `key` on the same topic is applied once (docs/http-api.md,
   * "Topics").
   *
   * @example
   * const id = await spool.publish('news', { headline: 'hi' }, { event: 'story' });
   */
  publish(topic: string, data: unknown, options: PublishOptions = NO_OPTIONS): Promise<string> {
    // Not async: without a key the append's own promise is the answer (a publish is the
    // hot path of every fan-out, and each async layer is one more promise per event).
    if (options.key === undefined) return this.publishFor(SYSTEM.id, topic, data, options);
    return this.publishKeys
      .run(SYSTEM.id, `${topic}\u0000${options.key}`, () => this.publishFor(SYSTEM.id, topic, data, options))
      .then((r) => r.id);
  }

  /**
   * A principal's publish whose `key` the caller's window already checked (the WebSocket
   * and HTTP routes, and {@link publish}): the key, scoped by the principal, goes on to the
   * topic's log. A shared (Redis) log applies it once across instances for 5 minutes; a log
   * in memory ignores it (docs/protocol.md, "Rules").
   */
  publishFor(principalId: string, topic: string, data: unknown, options: PublishOptions): Promise<string> {
    let appending: Promise<TopicEvent>;
    try {
      appending = this.topics
        .getOrCreate(topic)
        .append(
          options.event ?? 'message',
          data,
          options.key === undefined ? NO_OPTIONS : { key: JSON.stringify([principalId, options.key]) },
        );
    } catch (err) {
      // A bad topic name: the caller gets a rejection, as from any failed append.
      return Promise.reject(err);
    }
    return appending.then(this.#countPublished);
  }

  /** Counts an appended publish and answers its ID: one function for every publish. */
  readonly #countPublished = (ev: TopicEvent): string => {
    this.published++;
    return ev.id;
  };

  /**
   * Runs a server-side producer: opens a message,
   * appends what `work` writes, ends it with `success` or `error`, and aborts `signal` when
   * the message is cancelled.
   */
  run(meta: WireOpenMeta, work: RunWork): Promise<RunHandle> {
    return this.messages.runs.start(meta, work);
  }

  /** The operators' snapshot (`GET /v1/stats`, and `$sys` every second). */
  stats(): Promise<ServerStats> {
    return this.statsPublisher.snapshot();
  }

  /** Readiness of the broker and the store, breakers included (`/readyz`). */
  readiness(): Promise<Readiness> {
    return readiness(this);
  }

  /**
   * Shuts down gracefully: refuses new sockets and streams, ends every open message with
   * reason `force` and waits for its completion (store, `msg.end`, `spool:completed`), so
   * that connected clients get each `msg.end` before their socket closes with 1001 and
   * their SSE stream ends (docs/protocol.md, "Close codes"). Idempotent.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.statsPublisher.stop();
      this.clock.clearTimeout(this.replayTimer);
      for (const transport of this.transports.values()) transport.refuseNew();
      this.messages.runs.abortAll();
      await this.cache.close();
      await this.messages.drain();
      // Dead letters live in this process: one last replay, and a loud log of what remains.
      if (this.messages.deadLetters.length > 0) {
        const { remaining } = await this.messages.replayDeadLetters();
        if (remaining > 0)
          this.logger.error(
            { messageIds: this.messages.deadLetters.map((l) => l.messageId) },
            `${remaining} finished message(s) were never saved and are lost with this process`,
          );
      }
      for (const transport of this.transports.values()) transport.close();
      await this.topics.close();
      if (this.owns.broker) await this.broker.close();
      if (this.owns.store) await this.store.close();
    })();
    return this.closed;
  }
}

/**
 * A new {@link SpoolInstance}, with every internal part in reach (the Node entry, the CLI
 * and the tests); users call `createSpool`, whose `Spool` keeps them private.
 */
export function createSpoolInstance(options: SpoolOptions = {}): SpoolInstance {
  return new SpoolInstance(options);
}

/**
 * The implementation behind a `Spool` made by `createSpool`.
 * @throws SpoolError `INVALID_OPTION` for any other object
 */
export function internalsOf(spool: object): SpoolInstance {
  if (spool instanceof SpoolInstance) return spool;
  throw new SpoolError('INVALID_OPTION', 'Expected a Spool made by `createSpool` of @spool/server.');
}
