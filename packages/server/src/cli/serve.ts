import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, MemoryBroker, type MessageStore, SpoolError, type StreamBroker } from '@spool/core';
import pino, { type Logger } from 'pino';
import { AccessControl, type AuthOptions } from '../auth/access-control';
import type { ClusterMembership } from '../cluster/membership';
import type { ServeCluster as ClusterMessagesHandle } from '../cluster/serve-cluster';
import type { Spool } from '../create-spool';
import { bundledDashboardDir } from '../dashboard/bundled-dashboard';
import { withDashboard } from '../dashboard/with-dashboard';
import { type Demo, type DemoOptions, startDemo } from '../demo/demo';
import { nodeListener } from '../http/node-bridge';
import { attach } from '../node/attach';
import { createSpoolInstance, type SpoolInstance } from '../spool';
import { LogDestination } from './log-destination';
import { loadRedisEngine } from './redis-engine';
import { joinServeCluster, type ServeCluster } from './serve-cluster';
import { jwtOptionsOf, type ServeConfig } from './serve-options';
import { openServeStore, type ServeStore } from './serve-store';

/** What `startServe` takes besides the configuration (tests inject a store, a clock, a logger). */
export interface ServeDeps {
  /**
   * The built dashboard, when the configuration names none.
   * @default bundledDashboardDir(): the build shipped in this package (or the repository's)
   */
  dashboardDir?: string;
  /** @default pino at `config.logLevel`, JSON lines on stdout */
  logger?: Logger;
  /** @default an in-memory store owned (and closed) by the server */
  store?: MessageStore;
  /** @default realClock */
  clock?: Clock;
  /** Demo tuning (intervals, seeds). */
  demo?: DemoOptions;
  /**
   * With `SPOOL_REDIS_URL`: this process's cluster membership. Given, the instance joins the
   * cluster's message handling (owner records, forwarded writes, shared reads, takeover;
   * docs/architecture.md, "Messages across instances"); closed by the shutdown.
   */
  membership?: ClusterMembership;
}

/** A running `spool serve`. */
export interface ServeHandle {
  /** The Spool served. */
  spool: Spool;
  /** The Node HTTP server, listening. */
  server: Server;
  /** The broker in use: RedisBroker with `SPOOL_REDIS_URL`, else a MemoryBroker. */
  broker: StreamBroker;
  /** `http://host:port`, as bound. */
  url: string;
  /** The demo, with `--demo`; undefined otherwise. */
  demo: Demo | undefined;
  /** With Redis: this instance's membership of the cluster. */
  cluster: ServeCluster | undefined;
  /**
   * Drains: stops accepting connections, stops the demo producer, ends every open message
   * (reason `force`) and waits for its completion (store, `msg.end`, `spool:completed`),
   * stops the demo workers, closes sockets and the broker. Idempotent.
   */
  shutdown(reason?: string): Promise<void>;
}

/**
 * Starts `spool serve` in process: the Spool server (memory broker with limits,
 * or RedisBroker with `SPOOL_REDIS_URL`), the dashboard at `/`, and the demo if asked.
 *
 * Finished messages go to PostgreSQL with `SPOOL_DATABASE_URL`, to the embedded PGlite
 * with `SPOOL_DATA_DIR`, else to memory; with a database, each message's `spool:completed`
 * record goes through the store's outbox and its relay (one record per message, across
 * crashes and outages).
 *
 * With Redis, the process joins the cluster first (docs/architecture.md, "Instances and
 * incarnations"), and the demo producer runs on the holder of the demo lock only.
 *
 * @throws SpoolError `INVALID_OPTION` (a non-loopback address without a token, a locked
 *   data directory, a bad schema name), `BROKER_UNAVAILABLE` (Redis unreachable),
 *   `STORE_UNAVAILABLE` (PostgreSQL unreachable), `INSTANCE_ID_TAKEN` (another live
 *   process runs as `SPOOL_INSTANCE_ID`)
 * @example
 * const serve = await startServe(config, { dashboardDir });
 * process.once('SIGTERM', () => void serve.shutdown('SIGTERM'));
 */
export async function startServe(config: ServeConfig, deps: ServeDeps): Promise<ServeHandle> {
  // Not pino's default destination: logging must never keep a draining process alive (log-destination.ts).
  const destination = deps.logger ? undefined : stdoutLogDestination();
  const logger = deps.logger ?? pino({ level: config.logLevel, base: { service: 'spool' } }, destination);
  const auth: AuthOptions = {};
  if (config.adminTokens.length + config.userTokens.length > 0) {
    auth.tokens = { admin: config.adminTokens, user: config.userTokens };
  }
  const jwt = jwtOptionsOf(config);
  if (jwt) auth.jwt = jwt;
  if (config.allowedOrigins) auth.allowedOrigins = config.allowedOrigins;

  const engine = config.redisUrl ? await loadRedisEngine() : undefined;
  const onRedisError = (err: unknown) => logger.warn({ err }, 'redis connection error');
  const broker: StreamBroker = engine
    ? new engine.RedisBroker({ url: config.redisUrl!, keyPrefix: config.redisPrefix, onError: onRedisError })
    : new MemoryBroker({
        clock: deps.clock,
        maxStreamLength: config.maxStreamLength,
        maxPendingMessages: config.maxPendingMessages,
      });
  // Every topic's log on Redis too, so that instances share topics and fan out each
  // other's events (docs/architecture.md, "Topics across instances"); `$sys` stays local.
  const retention = {
    maxEvents: config.retentionEvents,
    maxBytes: config.retentionBytes,
    maxAgeMs: config.retentionAgeMs,
  };
  const redisTopics = engine?.openRedisTopics({
    url: config.redisUrl!,
    keyPrefix: config.redisPrefix,
    retention: () => retention,
    onError: onRedisError,
  });
  let spool: SpoolInstance | undefined;
  let stored: ServeStore | undefined;
  let cluster: ServeCluster | undefined;
  let clustered: ClusterMessagesHandle | undefined;
  try {
    if (config.redisUrl) {
      await Promise.all([broker.ping(), redisTopics?.directory.ping()]).catch((cause: unknown) => {
        throw new SpoolError(
          'BROKER_UNAVAILABLE',
          `Cannot reach Redis at SPOOL_REDIS_URL (${redactUrl(config.redisUrl!)}): is it running?`,
          { cause },
        );
      });
    }
    // Before a database starts (PGlite takes seconds): a refused address fails at once.
    new AccessControl(auth).assertCanServeOn(config.host);
    // A membership given by the embedder (tests) stands in for the one on Redis.
    if (config.redisUrl && !deps.membership)
      cluster = await joinServeCluster(config, logger, () => instanceLoad(spool));
    const membership = deps.membership ?? cluster?.membership;
    stored = deps.store ? undefined : await openServeStore(config, logger);
    const store = deps.store ?? stored?.store;
    spool = createSpoolInstance({
      broker,
      ...(store ? { store } : {}),
      ...(deps.clock ? { clock: deps.clock } : {}),
      auth,
      logger,
      cache: {
        maxMemoryBytes: config.cacheMaxMemoryBytes,
        maxStreams: config.cacheMaxStreams,
        maxChunksPerStream: config.cacheMaxChunks,
        chunkInactivityTimeoutMs: config.chunkInactivityMs,
        streamTimeoutMs: config.streamTimeoutMs,
      },
      topics: {
        retention,
        ...(redisTopics ? { createLog: redisTopics.createLog, directory: redisTopics.directory } : {}),
      },
      sse: { retryMs: config.sseRetryMs },
      ...(membership ? { membership } : {}),
    });
    // Before binding: the open local mode (no token) never listens beyond loopback.
    spool.access.assertCanServeOn(config.host);
    // Through the Spool's broker, so that `spool:completed` is a known stream key.
    stored?.startRelay(spool.broker);
    if (config.redisUrl && membership) {
      clustered = await serveCluster(spool, config.redisUrl, config.redisPrefix, membership, logger);
    }
  } catch (err) {
    await spool?.close();
    await clustered?.close();
    await stored?.close();
    await redisTopics?.close();
    await cluster?.close();
    await broker.close();
    throw err;
  }
  const s = spool;
  const storeKind = stored?.kind ?? deps.store?.kind ?? 'custom';

  const dashboardDir = config.dashboardDir ?? deps.dashboardDir ?? bundledDashboardDir();
  // API paths always get the API's answer (a JSON 404 for unknown ones); the dashboard gets the rest.
  const handler = withDashboard(s, { dir: dashboardDir });
  const server = createServer();
  attach(s, server, { requests: false });
  server.on(
    'request',
    nodeListener(handler, (err) => logger.error({ err }, 'request failed')),
  );

  // In a cluster the producer waits for the demo lock; the workers compete in one group
  // everywhere, as consumers named after their instance.
  const instance = (deps.membership ?? cluster?.membership)?.self.instanceId;
  const demo = config.demo
    ? startDemo(s, {
        ...deps.demo,
        ...(cluster ? { produce: false } : {}),
        ...(instance === undefined ? {} : { workers: { ...deps.demo?.workers, instance } }),
      })
    : undefined;
  if (demo && cluster) cluster.leadDemo(demo);
  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
  } catch (err) {
    demo?.stopProducing();
    await cluster?.releaseDemo();
    await demo?.stopWorkers();
    await s.close();
    await clustered?.close();
    await stored?.close();
    await redisTopics?.close();
    await cluster?.close();
    await broker.close();
    throw err;
  }
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info(
    {
      url,
      broker: config.redisUrl ? 'redis' : 'memory',
      topics: config.redisUrl ? 'redis' : 'memory',
      store: storeKind,
      auth: s.access.mode,
      demo: config.demo,
      ...(cluster ? { instanceId: cluster.membership.self.instanceId } : {}),
      dashboardDir,
    },
    `spool listening on ${url}`,
  );

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason = 'shutdown') =>
    (shuttingDown ??= (async () => {
      logger.info({ reason, openMessages: s.cache.getStreamCount() }, 'draining');
      const closed = new Promise<void>((done) => server.close(() => done()));
      demo?.stopProducing();
      // Released first: another instance's producer takes over while this one drains.
      await cluster?.releaseDemo();
      await s.close();
      // After the server: its last completions still write the owner records.
      // What this instance took over and could not end yet is handed to the survivors' takeover.
      const handOver = { handOver: (clustered?.messages.unfinishedEndings ?? 0) > 0 };
      await clustered?.close();
      await deps.membership?.close(handOver);
      await demo?.stopWorkers();
      await stored?.close();
      await redisTopics?.close();
      // After the drain: this instance's messages have ended before it leaves the cluster.
      await cluster?.close(handOver);
      await broker.close();
      server.closeAllConnections();
      await closed;
      logger.info({ reason }, 'spool stopped');
      if (destination && destination.dropped > 0) {
        toStderr(`spool: ${destination.dropped} log line(s) dropped: stdout could not take them\n`);
      }
    })());

  return { spool: s, server, broker, url, demo, cluster, shutdown };
}

/** `spool serve`'s log lines on stdout, never holding the process up (a closed or stalled pipe). */
function stdoutLogDestination(): LogDestination {
  return new LogDestination(process.stdout, {
    onBroken: (err) => {
      const code = (err as NodeJS.ErrnoException).code ?? err.message;
      toStderr(`spool: stdout is closed (${code}); log lines from now on are dropped\n`);
    },
  });
}

function toStderr(text: string): void {
  if (process.stderr.writable) process.stderr.write(text);
}

/** What this instance's heartbeats say about its load (zeros until the server exists). */
function instanceLoad(spool: SpoolInstance | undefined): {
  connections: number;
  openMessages: number;
  eventsPerSecond: number;
} {
  if (!spool) return { connections: 0, openMessages: 0, eventsPerSecond: 0 };
  let eventsPerSecond = 0;
  for (const t of spool.topics.stats()) eventsPerSecond += t.eventsPerSec;
  return {
    connections: spool.transportTotals('ws').connections + spool.transportTotals('sse').connections,
    openMessages: spool.cache.getStreamCount(),
    eventsPerSecond,
  };
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'an unparsable URL';
  }
}

/**
 * The cluster's message handling, loaded only with Redis (docs/architecture.md, "Messages
 * across instances").
 */
async function serveCluster(
  spool: SpoolInstance,
  redisUrl: string,
  keyPrefix: string,
  membership: ClusterMembership,
  logger: Logger,
): Promise<ClusterMessagesHandle> {
  const { connectClusterMessages } = await import('../cluster/serve-cluster');
  return connectClusterMessages(spool, { redisUrl, keyPrefix, membership, logger });
}
