import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, MemoryBroker, type MessageStore, SpoolError, type StreamBroker } from '@spool/core';
import pino, { type Logger } from 'pino';
import { AccessControl, type AuthOptions } from '../auth/access-control';
import { bundledDashboardDir } from '../dashboard/bundled-dashboard';
import { withDashboard } from '../dashboard/with-dashboard';
import { type Demo, type DemoOptions, startDemo } from '../demo/demo';
import { nodeListener } from '../http/node-bridge';
import { createSpool, type Spool } from '../spool';
import { LogDestination } from './log-destination';
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
}

/** A running `spool serve`. */
export interface ServeHandle {
  spool: Spool;
  server: Server;
  broker: StreamBroker;
  /** `http://host:port`, as bound. */
  url: string;
  demo: Demo | undefined;
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
 * @throws SpoolError `INVALID_OPTION` (a non-loopback address without a token, a locked
 *   data directory, a bad schema name), `BROKER_UNAVAILABLE` (Redis unreachable),
 *   `STORE_UNAVAILABLE` (PostgreSQL unreachable)
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

  const engine = config.redisUrl ? await redisEngine() : undefined;
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
  let spool: Spool | undefined;
  let stored: ServeStore | undefined;
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
    stored = deps.store ? undefined : await openServeStore(config, logger);
    const store = deps.store ?? stored?.store;
    spool = createSpool({
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
    });
    // Before binding: the open local mode (no token) never listens beyond loopback.
    spool.access.assertCanServeOn(config.host);
    // Through the Spool's broker, so that `spool:completed` is a known stream key.
    stored?.startRelay(spool.broker);
  } catch (err) {
    await spool?.close();
    await stored?.close();
    await redisTopics?.close();
    await broker.close();
    throw err;
  }
  const s = spool;
  const storeKind = stored?.kind ?? deps.store?.kind ?? 'custom';

  const dashboardDir = config.dashboardDir ?? deps.dashboardDir ?? bundledDashboardDir();
  // API paths always get the API's answer (a JSON 404 for unknown ones); the dashboard gets the rest.
  const handler = withDashboard(s, { dir: dashboardDir });
  const server = createServer();
  s.attach(server, { requests: false });
  server.on(
    'request',
    nodeListener(handler, (err) => logger.error({ err }, 'request failed')),
  );

  const demo = config.demo ? startDemo(s, deps.demo) : undefined;
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
    await demo?.stopWorkers();
    await s.close();
    await stored?.close();
    await redisTopics?.close();
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
      await s.close();
      await demo?.stopWorkers();
      await stored?.close();
      await redisTopics?.close();
      await broker.close();
      server.closeAllConnections();
      await closed;
      logger.info({ reason }, 'spool stopped');
      if (destination && destination.dropped > 0) {
        toStderr(`spool: ${destination.dropped} log line(s) dropped: stdout could not take them\n`);
      }
    })());

  return { spool: s, server, broker, url, demo, shutdown };
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
 * The Redis engine entry (RedisBroker, the topic logs), loaded only when Redis is
 * configured: `ioredis` is an optional peer dependency, so memory mode runs without it
 * (docs/architecture.md, "Engines as entries").
 */
async function redisEngine(): Promise<typeof import('../redis')> {
  try {
    return await import('../redis');
  } catch (cause) {
    throw new SpoolError(
      'INVALID_OPTION',
      'SPOOL_REDIS_URL is set, but the Redis engine cannot load: install its driver next to @spool/server (npm install ioredis@6).',
      { cause },
    );
  }
}
