import type {
  Clock,
  Logger,
  MessageStore,
  RetryOptions,
  StreamBroker,
  StreamCacheOptions,
  TopicRegistryOptions,
  TopicRetention,
} from '@spool/core';
import { SpoolError } from '@spool/core';
import type { AuthOptions } from './auth/access-control';
import type { PrincipalLimitOptions } from './auth/principal-limits';
import type { ClusterMembership } from './cluster/membership';
import type { SseOptions } from './sse/sse-endpoint';
import type { TopicDirectory } from './topic-directory';
import type { WsOptions } from './ws/ws-options';

/** Options of {@link createSpool}. Every part has an in-memory default, so `createSpool()` just works. */
export interface SpoolOptions {
  /**
   * Consumer-group streams (finished messages go to `spool:completed`).
   * @default new MemoryBroker()
   */
  broker?: StreamBroker;
  /**
   * Where finished messages are saved; the catchup source once the log no longer holds them.
   * @default new MemoryMessageStore()
   */
  store?: MessageStore;
  /**
   * StreamCache options (limits, timeouts). The completion callbacks belong to Spool.
   * @default cacheDefaults of @spool/core
   */
  cache?: Omit<StreamCacheOptions, 'onStreamComplete' | 'onCompleteFailed' | 'completionRetry' | 'clock'>;
  /** Topic retention and registry options. @default core's topic and registry defaults */
  topics?: TopicsOptions;
  /** Authentication, authorization and origins. @default the open local mode (loopback only) */
  auth?: AuthOptions;
  /**
   * The rate per principal (summed over its connections and requests, on this instance),
   * beside the per-connection rate of `ws`. @default principalLimitDefaults
   */
  principalLimits?: PrincipalLimitOptions;
  /** WebSocket adapter options. @default wsDefaults */
  ws?: WsOptions;
  /** SSE options. @default sseDefaults */
  sse?: SseOptions;
  /**
   * Retry of store and broker calls (exponential backoff, full jitter).
   * @default { maxAttempts: 3, baseMs: 50, maxMs: 2000 }
   */
  retry?: Pick<RetryOptions, 'maxAttempts' | 'baseMs' | 'maxMs'>;
  /**
   * Circuit breakers of the store and the broker.
   * @default { failureThreshold: 5, cooldownMs: 10000 }
   */
  breaker?: {
    /** Consecutive failures that open a circuit. @default 5 */
    failureThreshold?: number;
    /** How long an open circuit rejects calls before it lets a trial call through (ms). @default 10000 */
    cooldownMs?: number;
  };
  /**
   * Interval of the `$sys` stats push (only while someone subscribes).
   * @default 1000
   */
  statsIntervalMs?: number;
  /**
   * Largest JSON request body the HTTP routes accept.
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number;
  /**
   * Ended message IDs remembered, so that opening one again is refused with
   * `MESSAGE_ENDED` even when the store cannot say (it is down, or the message was not
   * persisted). Past it the oldest is forgotten and only the store remembers. Held in
   * memory: a restart forgets it (docs/architecture.md, "A message ID names one message").
   * @default 100000
   */
  endedIdWindow?: number;
  /**
   * How often messages whose save failed (the dead letters) are saved again, while there
   * are any; `POST /v1/dead-letters/replay` does it at once (docs/http-api.md).
   * @default 5000
   */
  deadLetterReplayMs?: number;
  /**
   * The cluster this instance belongs to (`RedisMembership` of `@spool/server/redis`):
   * `$sys` and `GET /v1/stats` then carry a `cluster` section. Not closed by the server.
   * @default none: a single process
   */
  membership?: ClusterMembership;
  /**
   * Where the server logs: any object with pino's `info`/`warn`/`error(fields, message)`
   * (a pino logger fits as it is). @default silentLogger of @spool/core
   */
  logger?: Logger;
  /** Every timer of the server (heartbeats, sweeps, stats). @default realClock */
  clock?: Clock;
}

/** Topic options of {@link SpoolOptions}. */
export interface TopicsOptions
  extends Pick<
    TopicRegistryOptions,
    'idleTimeoutMs' | 'timeoutMs' | 'cleanupIntervalMs' | 'maxTopics' | 'createLog'
  > {
  /** Retention of every topic. @default topicRetentionDefaults of @spool/core */
  retention?: Partial<TopicRetention>;
  /** Retention of channel topics (`chan:*`), over `retention`. @default `retention` */
  channelRetention?: Partial<TopicRetention>;
  /** Events per catchup page. @default 256 */
  catchupPageSize?: number;
  /**
   * The topics of a log shared with other instances (with a shared `createLog`, e.g.
   * `openRedisTopics` of `@spool/server/redis`): `GET /v1/topics` lists them all, and
   * `/readyz` checks the shared log. @default none: the topics this instance holds
   */
  directory?: TopicDirectory;
}

/** Retention of the `$sys` stats topic: about a minute of snapshots. */
export const SYS_RETENTION = Object.freeze({ maxEvents: 60, maxBytes: 4 * 2 ** 20, maxAgeMs: 60_000 });

/** The defaults of {@link SpoolOptions}' scalar settings. */
export const spoolDefaults = Object.freeze({
  retry: Object.freeze({ maxAttempts: 3, baseMs: 50, maxMs: 2000 }),
  breaker: Object.freeze({ failureThreshold: 5, cooldownMs: 10_000 }),
  statsIntervalMs: 1000,
  maxBodyBytes: 1024 * 1024,
  endedIdWindow: 100_000,
  deadLetterReplayMs: 5000,
});

const KNOWN = new Set([
  'broker',
  'store',
  'cache',
  'topics',
  'auth',
  'principalLimits',
  'ws',
  'sse',
  'retry',
  'breaker',
  'statsIntervalMs',
  'maxBodyBytes',
  'endedIdWindow',
  'deadLetterReplayMs',
  'membership',
  'logger',
  'clock',
]);

/**
 * Checks the top-level options eagerly, so a typo fails at startup with a hint.
 * @throws SpoolError `INVALID_OPTION`
 */
export function validateSpoolOptions(options: SpoolOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new SpoolError(
      'INVALID_OPTION',
      '`createSpool(options)`: options must be an object, e.g. createSpool({ auth: { tokens } }).',
    );
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw new SpoolError('INVALID_OPTION', `Unknown option \`${key}\`; known: ${[...KNOWN].join(', ')}.`);
    }
  }
  for (const key of ['statsIntervalMs', 'maxBodyBytes', 'endedIdWindow', 'deadLetterReplayMs'] as const) {
    const v = options[key];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) {
      throw new SpoolError('INVALID_OPTION', `\`${key}\` must be a positive integer, got ${String(v)}.`);
    }
  }
  if (options.broker !== undefined && typeof options.broker?.xadd !== 'function') {
    throw new SpoolError(
      'INVALID_OPTION',
      '`broker` must implement StreamBroker (e.g. new MemoryBroker() or new RedisBroker(...)).',
    );
  }
  if (options.store !== undefined && typeof options.store?.save !== 'function') {
    throw new SpoolError(
      'INVALID_OPTION',
      '`store` must implement MessageStore (e.g. new MemoryMessageStore()).',
    );
  }
}
