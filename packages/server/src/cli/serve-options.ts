import { cacheDefaults, memoryBrokerServeLimits, SpoolError, topicRetentionDefaults } from '@spool/core';
import type { JwtOptions } from '../auth/jwt-auth';
import { listenDefaults } from '../node/attach';
import { sseDefaults } from '../sse/sse-endpoint';

/** Everything `spool serve` is configured with (flags over SPOOL_* variables over defaults). */
export interface ServeConfig {
  /**
   * Address to bind. Any non-loopback address needs an admin token. (`--host`, `SPOOL_HOST`)
   * @default '127.0.0.1'
   */
  host: string;
  /**
   * Port to listen on (0 picks a free one; the bound URL is logged). (`--port`, `SPOOL_PORT`)
   * @default 8080
   */
  port: number;
  /**
   * Admin bearer token(s), comma-separated. Once any token is set, tokens are required everywhere.
   * (`--admin-token`, `SPOOL_ADMIN_TOKEN`)
   * @default none
   */
  adminTokens: string[];
  /**
   * User bearer tokens, comma-separated (publish, subscribe, produce; no admin routes, no `$` topics).
   * (`--tokens`, `SPOOL_TOKENS`)
   * @default none
   */
  userTokens: string[];
  /**
   * HS256 secret for JWTs (at least 32 bytes). Any JWT key enforces auth everywhere and allows any bind
   * address. (`--jwt-secret`, `SPOOL_JWT_SECRET`)
   * @default none
   */
  jwtSecret: string | undefined;
  /**
   * PEM public key for JWTs: RSA (RS256) or P-256 (ES256); newlines may be given escaped, as backslash-n.
   * (`--jwt-public-key`, `SPOOL_JWT_PUBLIC_KEY`)
   * @default none
   */
  jwtPublicKey: string | undefined;
  /**
   * JWKS URL for JWTs (RS256/ES256), fetched on first use and cached. (`--jwt-jwks-url`,
   * `SPOOL_JWT_JWKS_URL`)
   * @default none
   */
  jwtJwksUrl: string | undefined;
  /** The `aud` every JWT must carry. (`--jwt-audience`, `SPOOL_JWT_AUDIENCE`) @default not checked */
  jwtAudience: string | undefined;
  /** The `iss` every JWT must carry. (`--jwt-issuer`, `SPOOL_JWT_ISSUER`) @default not checked */
  jwtIssuer: string | undefined;
  /**
   * Browser origins allowed on every route, SSE and the WebSocket, comma-separated (`*` for any).
   * (`--allowed-origins`, `SPOOL_ALLOWED_ORIGINS`)
   * @default loopback origins without tokens, any with tokens
   */
  allowedOrigins: string[] | undefined;
  /**
   * Redis URL: consumer-group streams on Redis (RedisBroker) instead of in memory. (`--redis-url`,
   * `SPOOL_REDIS_URL`)
   * @default none: in-memory broker
   */
  redisUrl: string | undefined;
  /** Prefix of every Redis key the broker touches. (`--redis-prefix`, `SPOOL_REDIS_PREFIX`) @default none */
  redisPrefix: string;
  /**
   * With Redis: this instance's name in the cluster, stable across restarts. A restart takes over its
   * previous start; a second live process with the same ID refuses to start (INSTANCE_ID_TAKEN).
   * (`--instance-id`, `SPOOL_INSTANCE_ID`)
   * @default generated: <hostname>-<pid>-<random>
   */
  instanceId: string | undefined;
  /**
   * With Redis: an instance that has not beaten for this long (ms) is dead and its work is taken over;
   * heartbeats go every third of it. Also the demo lock's TTL. (`--instance-ttl-ms`,
   * `SPOOL_INSTANCE_TTL_MS`)
   * @default 10000
   */
  instanceTtlMs: number;
  /**
   * PostgreSQL URL: finished messages are saved there (PostgresMessageStore). Not together with --data.
   * (`--database-url`, `SPOOL_DATABASE_URL`)
   * @default none: in-memory store
   */
  databaseUrl: string | undefined;
  /**
   * Schema of the message store tables (PostgreSQL or --data), created if absent. (`--database-schema`,
   * `SPOOL_DATABASE_SCHEMA`)
   * @default 'spool'
   */
  databaseSchema: string;
  /**
   * Directory of the embedded PostgreSQL (PGlite): finished messages outlive restarts with no external
   * service. One process per directory. (`--data`, `SPOOL_DATA_DIR`)
   * @default none: in-memory store
   */
  dataDir: string | undefined;
  /**
   * With a database: write the outbox (one spool:completed record per saved message) to the broker.
   * `--outbox-relay=false` leaves the records for another instance. (`--outbox-relay`, `SPOOL_OUTBOX_RELAY`)
   * @default true
   */
  outboxRelay: boolean;
  /**
   * Built dashboard to serve at `/`. (`--dashboard-dir`, `SPOOL_DASHBOARD_DIR`)
   * @default apps/dashboard/dist next to the CLI
   */
  dashboardDir: string | undefined;
  /**
   * Start the demo: simulated LLM replies in chan:1:general, chan:1:random, chan:2:support, and workers on
   * spool:completed. With Redis, the replies run on one instance of the cluster (the holder of the demo
   * lock). (`--demo`, `SPOOL_DEMO`)
   * @default false
   */
  demo: boolean;
  /**
   * StreamCache memory limit (bytes, or with KiB/MiB/GiB). (`--cache-max-memory`, `SPOOL_CACHE_MAX_MEMORY`)
   * @default 100MiB
   */
  cacheMaxMemoryBytes: number;
  /** Messages streaming at once. (`--cache-max-streams`, `SPOOL_CACHE_MAX_STREAMS`) @default 10000 */
  cacheMaxStreams: number;
  /** Chunks per message. (`--cache-max-chunks`, `SPOOL_CACHE_MAX_CHUNKS`) @default 100000 */
  cacheMaxChunks: number;
  /**
   * A message with no new chunk for this long (ms) ends with reason `timeout`. (`--chunk-inactivity-ms`,
   * `SPOOL_CHUNK_INACTIVITY_MS`)
   * @default 30000
   */
  chunkInactivityMs: number;
  /**
   * A message ends with reason `timeout` this long (ms) after it opened. (`--stream-timeout-ms`,
   * `SPOOL_STREAM_TIMEOUT_MS`)
   * @default 1800000
   */
  streamTimeoutMs: number;
  /**
   * Events each topic keeps in memory for resume. (`--retention-events`, `SPOOL_RETENTION_EVENTS`)
   * @default 10000
   */
  retentionEvents: number;
  /**
   * Bytes each topic keeps in memory for resume. (`--retention-bytes`, `SPOOL_RETENTION_BYTES`)
   * @default 8MiB
   */
  retentionBytes: number;
  /**
   * Age in ms after which a topic drops an event. (`--retention-age-ms`, `SPOOL_RETENTION_AGE_MS`)
   * @default 3600000
   */
  retentionAgeMs: number;
  /**
   * The `retry:` an SSE stream sends: how long a browser EventSource waits before it reconnects in ms.
   * (`--sse-retry-ms`, `SPOOL_SSE_RETRY_MS`)
   * @default 2000
   */
  sseRetryMs: number;
  /**
   * In-memory broker: entries kept per stream (XADD trims like MAXLEN ~). (`--max-stream-length`,
   * `SPOOL_MAX_STREAM_LENGTH`)
   * @default 10000
   */
  maxStreamLength: number;
  /**
   * In-memory broker: pending entries per consumer before it gets nothing new. (`--max-pending`,
   * `SPOOL_MAX_PENDING`)
   * @default 1000
   */
  maxPendingMessages: number;
  /**
   * Log level: fatal, error, warn, info, debug, trace, silent. (`--log-level`, `SPOOL_LOG_LEVEL`)
   * @default 'info'
   */
  logLevel: string;
  /**
   * Longest drain on SIGTERM/SIGINT, in ms, before the process exits anyway. (`--shutdown-timeout-ms`,
   * `SPOOL_SHUTDOWN_TIMEOUT_MS`)
   * @default 30000
   */
  shutdownTimeoutMs: number;
}

type Kind = 'string' | 'list' | 'int' | 'bytes' | 'bool' | 'level';

interface Setting {
  key: keyof ServeConfig;
  flag: string;
  env: string;
  kind: Kind;
  default: ServeConfig[keyof ServeConfig];
  /** How the default reads in --help, when it is not just the value. */
  shown?: string;
  help: string;
}

const MiB = 2 ** 20;
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Every setting of `spool serve`: its flag, its environment variable and its default. */
export const SERVE_SETTINGS: readonly Setting[] = [
  {
    key: 'host',
    flag: 'host',
    env: 'SPOOL_HOST',
    kind: 'string',
    default: listenDefaults.host,
    help: 'Address to bind. Any non-loopback address needs an admin token.',
  },
  {
    key: 'port',
    flag: 'port',
    env: 'SPOOL_PORT',
    kind: 'int',
    default: listenDefaults.port,
    help: 'Port to listen on (0 picks a free one; the bound URL is logged).',
  },
  {
    key: 'adminTokens',
    flag: 'admin-token',
    env: 'SPOOL_ADMIN_TOKEN',
    kind: 'list',
    default: [],
    shown: 'none',
    help: 'Admin bearer token(s), comma-separated. Once any token is set, tokens are required everywhere.',
  },
  {
    key: 'userTokens',
    flag: 'tokens',
    env: 'SPOOL_TOKENS',
    kind: 'list',
    default: [],
    shown: 'none',
    help: 'User bearer tokens, comma-separated (publish, subscribe, produce; no admin routes, no `$` topics).',
  },
  {
    key: 'jwtSecret',
    flag: 'jwt-secret',
    env: 'SPOOL_JWT_SECRET',
    kind: 'string',
    default: undefined,
    shown: 'none',
    help: 'HS256 secret for JWTs (at least 32 bytes). Any JWT key enforces auth everywhere and allows any bind address.',
  },
  {
    key: 'jwtPublicKey',
    flag: 'jwt-public-key',
    env: 'SPOOL_JWT_PUBLIC_KEY',
    kind: 'string',
    default: undefined,
    shown: 'none',
    help: 'PEM public key for JWTs: RSA (RS256) or P-256 (ES256); escaped \\n newlines are accepted.',
  },
  {
    key: 'jwtJwksUrl',
    flag: 'jwt-jwks-url',
    env: 'SPOOL_JWT_JWKS_URL',
    kind: 'string',
    default: undefined,
    shown: 'none',
    help: 'JWKS URL for JWTs (RS256/ES256), fetched on first use and cached.',
  },
  {
    key: 'jwtAudience',
    flag: 'jwt-audience',
    env: 'SPOOL_JWT_AUDIENCE',
    kind: 'string',
    default: undefined,
    shown: 'not checked',
    help: 'The `aud` every JWT must carry.',
  },
  {
    key: 'jwtIssuer',
    flag: 'jwt-issuer',
    env: 'SPOOL_JWT_ISSUER',
    kind: 'string',
    default: undefined,
    shown: 'not checked',
    help: 'The `iss` every JWT must carry.',
  },
  {
    key: 'allowedOrigins',
    flag: 'allowed-origins',
    env: 'SPOOL_ALLOWED_ORIGINS',
    kind: 'list',
    default: undefined,
    shown: 'loopback origins without tokens, any with tokens',
    help: 'Browser origins allowed on every route, SSE and the WebSocket, comma-separated (`*` for any).',
  },
  {
    key: 'redisUrl',
    flag: 'redis-url',
    env: 'SPOOL_REDIS_URL',
    kind: 'string',
    default: undefined,
    shown: 'none: in-memory broker',
    help: 'Redis URL: consumer-group streams on Redis (RedisBroker) instead of in memory.',
  },
  {
    key: 'redisPrefix',
    flag: 'redis-prefix',
    env: 'SPOOL_REDIS_PREFIX',
    kind: 'string',
    default: '',
    shown: 'none',
    help: 'Prefix of every Redis key the broker touches.',
  },
  {
    key: 'instanceId',
    flag: 'instance-id',
    env: 'SPOOL_INSTANCE_ID',
    kind: 'string',
    default: undefined,
    shown: 'generated: <hostname>-<pid>-<random>',
    help: "With Redis: this instance's name in the cluster, stable across restarts. A restart takes over its previous start; a second live process with the same ID refuses to start (INSTANCE_ID_TAKEN).",
  },
  {
    key: 'instanceTtlMs',
    flag: 'instance-ttl-ms',
    env: 'SPOOL_INSTANCE_TTL_MS',
    kind: 'int',
    default: 10_000,
    help: "With Redis: an instance that has not beaten for this long is dead and its work is taken over; heartbeats go every third of it. Also the demo lock's TTL.",
  },
  {
    key: 'databaseUrl',
    flag: 'database-url',
    env: 'SPOOL_DATABASE_URL',
    kind: 'string',
    default: undefined,
    shown: 'none: in-memory store',
    help: 'PostgreSQL URL: finished messages are saved there (PostgresMessageStore). Not together with --data.',
  },
  {
    key: 'databaseSchema',
    flag: 'database-schema',
    env: 'SPOOL_DATABASE_SCHEMA',
    kind: 'string',
    default: 'spool',
    help: 'Schema of the message store tables (PostgreSQL or --data), created if absent.',
  },
  {
    key: 'dataDir',
    flag: 'data',
    env: 'SPOOL_DATA_DIR',
    kind: 'string',
    default: undefined,
    shown: 'none: in-memory store',
    help: 'Directory of the embedded PostgreSQL (PGlite): finished messages outlive restarts with no external service. One process per directory.',
  },
  {
    key: 'outboxRelay',
    flag: 'outbox-relay',
    env: 'SPOOL_OUTBOX_RELAY',
    kind: 'bool',
    default: true,
    help: 'With a database: write the outbox (one spool:completed record per saved message) to the broker. `--outbox-relay=false` leaves the records for another instance.',
  },
  {
    key: 'dashboardDir',
    flag: 'dashboard-dir',
    env: 'SPOOL_DASHBOARD_DIR',
    kind: 'string',
    default: undefined,
    shown: 'apps/dashboard/dist next to the CLI',
    help: 'Built dashboard to serve at `/`.',
  },
  {
    key: 'demo',
    flag: 'demo',
    env: 'SPOOL_DEMO',
    kind: 'bool',
    default: false,
    help: 'Start the demo: simulated LLM replies in chan:1:general, chan:1:random, chan:2:support, and workers on spool:completed. With Redis, the replies run on one instance of the cluster (the holder of the demo lock).',
  },
  {
    key: 'cacheMaxMemoryBytes',
    flag: 'cache-max-memory',
    env: 'SPOOL_CACHE_MAX_MEMORY',
    kind: 'bytes',
    default: cacheDefaults.maxMemoryBytes,
    shown: '100MiB',
    help: 'StreamCache memory limit (bytes, or with KiB/MiB/GiB).',
  },
  {
    key: 'cacheMaxStreams',
    flag: 'cache-max-streams',
    env: 'SPOOL_CACHE_MAX_STREAMS',
    kind: 'int',
    default: cacheDefaults.maxStreams,
    help: 'Messages streaming at once.',
  },
  {
    key: 'cacheMaxChunks',
    flag: 'cache-max-chunks',
    env: 'SPOOL_CACHE_MAX_CHUNKS',
    kind: 'int',
    default: cacheDefaults.maxChunksPerStream,
    help: 'Chunks per message.',
  },
  {
    key: 'chunkInactivityMs',
    flag: 'chunk-inactivity-ms',
    env: 'SPOOL_CHUNK_INACTIVITY_MS',
    kind: 'int',
    default: cacheDefaults.chunkInactivityTimeoutMs,
    help: 'A message with no new chunk for this long ends with reason `timeout`.',
  },
  {
    key: 'streamTimeoutMs',
    flag: 'stream-timeout-ms',
    env: 'SPOOL_STREAM_TIMEOUT_MS',
    kind: 'int',
    default: cacheDefaults.streamTimeoutMs,
    help: 'A message ends with reason `timeout` this long after it opened.',
  },
  {
    key: 'retentionEvents',
    flag: 'retention-events',
    env: 'SPOOL_RETENTION_EVENTS',
    kind: 'int',
    default: topicRetentionDefaults.maxEvents,
    help: 'Events each topic keeps in memory for resume.',
  },
  {
    key: 'retentionBytes',
    flag: 'retention-bytes',
    env: 'SPOOL_RETENTION_BYTES',
    kind: 'bytes',
    default: topicRetentionDefaults.maxBytes,
    shown: '8MiB',
    help: 'Bytes each topic keeps in memory for resume.',
  },
  {
    key: 'retentionAgeMs',
    flag: 'retention-age-ms',
    env: 'SPOOL_RETENTION_AGE_MS',
    kind: 'int',
    default: topicRetentionDefaults.maxAgeMs,
    help: 'Age after which a topic drops an event (ms).',
  },
  {
    key: 'sseRetryMs',
    flag: 'sse-retry-ms',
    env: 'SPOOL_SSE_RETRY_MS',
    kind: 'int',
    default: sseDefaults.retryMs,
    help: 'The `retry:` an SSE stream sends: how long a browser EventSource waits before it reconnects (ms).',
  },
  {
    key: 'maxStreamLength',
    flag: 'max-stream-length',
    env: 'SPOOL_MAX_STREAM_LENGTH',
    kind: 'int',
    default: memoryBrokerServeLimits.maxStreamLength,
    help: 'In-memory broker: entries kept per stream (XADD trims like MAXLEN ~).',
  },
  {
    key: 'maxPendingMessages',
    flag: 'max-pending',
    env: 'SPOOL_MAX_PENDING',
    kind: 'int',
    default: memoryBrokerServeLimits.maxPendingMessages,
    help: 'In-memory broker: pending entries per consumer before it gets nothing new.',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: 'SPOOL_LOG_LEVEL',
    kind: 'level',
    default: 'info',
    help: `Log level: ${LEVELS.join(', ')}.`,
  },
  {
    key: 'shutdownTimeoutMs',
    flag: 'shutdown-timeout-ms',
    env: 'SPOOL_SHUTDOWN_TIMEOUT_MS',
    kind: 'int',
    default: 30_000,
    help: 'Longest drain on SIGTERM/SIGINT before the process exits anyway.',
  },
];

/**
 * The `auth.jwt` options the SPOOL_JWT_* settings ask for, or undefined when none is set.
 * An audience or issuer without a key is refused: it would leave JWTs off while looking on.
 *
 * @throws SpoolError `INVALID_OPTION`
 * @example jwtOptionsOf(config) // { secret: '…', audience: 'spool' }
 */
export function jwtOptionsOf(config: ServeConfig): JwtOptions | undefined {
  const jwt: JwtOptions = {};
  if (config.jwtSecret !== undefined) jwt.secret = config.jwtSecret;
  if (config.jwtPublicKey !== undefined) jwt.publicKey = config.jwtPublicKey;
  if (config.jwtJwksUrl !== undefined) jwt.jwksUrl = config.jwtJwksUrl;
  const hasKey = Object.keys(jwt).length > 0;
  if (config.jwtAudience !== undefined) jwt.audience = config.jwtAudience;
  if (config.jwtIssuer !== undefined) jwt.issuer = config.jwtIssuer;
  if (Object.keys(jwt).length === 0) return undefined;
  if (!hasKey) {
    throw new SpoolError(
      'INVALID_OPTION',
      'SPOOL_JWT_AUDIENCE or SPOOL_JWT_ISSUER is set without a JWT key: set SPOOL_JWT_SECRET, SPOOL_JWT_PUBLIC_KEY or SPOOL_JWT_JWKS_URL.',
    );
  }
  return jwt;
}

/** What the command line asked for. */
export type ServeCommand =
  | {
      /** `--help`, `-h` or `help`: print the usage, and exit. */
      kind: 'help';
    }
  | {
      /** `spool serve`: run the server. */
      kind: 'serve';
      /** The server's configuration, from the flags and the environment. */
      config: ServeConfig;
    }
  | {
      /** `spool migrate`: run the store's migrations, then exit. */
      kind: 'migrate';
      /** The configuration whose store is migrated. */
      config: ServeConfig;
    };

/**
 * Parses `spool serve [flags]`, `spool migrate [flags]` (the store's migrations, then exit)
 * and `spool --help`. A flag wins over its SPOOL_* variable, which wins over the default.
 *
 * @throws SpoolError `INVALID_OPTION` with a message that names the flag and what it takes
 * @example parseServeArgs(['serve', '--port', '0', '--demo'], process.env)
 */
export function parseServeArgs(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): ServeCommand {
  const args = [...argv];
  if (args.includes('--help') || args.includes('-h') || args[0] === 'help') return { kind: 'help' };
  const command = args.shift();
  if (command !== 'serve' && command !== 'migrate') {
    throw new SpoolError(
      'INVALID_OPTION',
      `Unknown command ${JSON.stringify(command ?? '')}: the commands are \`spool serve\` and \`spool migrate\` (see \`spool --help\`).`,
    );
  }
  const given = new Map<string, string | true>();
  while (args.length > 0) {
    const arg = args.shift()!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const setting = m ? SERVE_SETTINGS.find((s) => s.flag === m[1]) : undefined;
    if (!m || !setting)
      throw new SpoolError(
        'INVALID_OPTION',
        `Unknown argument ${JSON.stringify(arg)}; see \`spool --help\`.`,
      );
    if (setting.kind === 'bool') {
      given.set(setting.flag, m[2] ?? true);
      continue;
    }
    const value = m[2] ?? args.shift();
    if (value === undefined || (m[2] === undefined && value.startsWith('--'))) {
      throw new SpoolError('INVALID_OPTION', `\`--${setting.flag}\` needs a value.`);
    }
    given.set(setting.flag, value);
  }
  const config = {} as Record<string, unknown>;
  for (const s of SERVE_SETTINGS) {
    const flag = given.get(s.flag);
    const raw = flag ?? env[s.env];
    const source = flag === undefined ? s.env : `--${s.flag}`;
    config[s.key] = raw === undefined || raw === '' ? s.default : parseValue(s, raw, source);
  }
  const serveConfig = config as unknown as ServeConfig;
  if (serveConfig.databaseUrl !== undefined && serveConfig.dataDir !== undefined)
    throw new SpoolError(
      'INVALID_OPTION',
      'SPOOL_DATABASE_URL (--database-url) and SPOOL_DATA_DIR (--data) are both set: choose PostgreSQL or the embedded data directory, not both.',
    );
  if (command === 'migrate' && serveConfig.databaseUrl === undefined && serveConfig.dataDir === undefined)
    throw new SpoolError(
      'INVALID_OPTION',
      '`spool migrate` needs SPOOL_DATABASE_URL (--database-url) or SPOOL_DATA_DIR (--data).',
    );
  return { kind: command, config: serveConfig };
}

function parseValue(s: Setting, raw: string | true, source: string): unknown {
  if (s.kind === 'bool') {
    if (raw === true || raw === '1' || raw === 'true') return true;
    if (raw === '0' || raw === 'false') return false;
    throw new SpoolError('INVALID_OPTION', `${source} must be true or false, got ${JSON.stringify(raw)}.`);
  }
  const text = String(raw);
  switch (s.kind) {
    case 'string':
      return text;
    case 'list':
      return text
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '');
    case 'level':
      if (!LEVELS.includes(text))
        throw new SpoolError(
          'INVALID_OPTION',
          `${source} must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(text)}.`,
        );
      return text;
    case 'int':
    case 'bytes': {
      const m = /^(\d+)(KiB|MiB|GiB)?$/.exec(text);
      const unit = m?.[2] === undefined ? 1 : { KiB: 1024, MiB, GiB: 1024 * MiB }[m[2]]!;
      const n = m && (s.kind === 'bytes' || m[2] === undefined) ? Number(m[1]) * unit : Number.NaN;
      const min = s.key === 'port' ? 0 : 1;
      if (!Number.isSafeInteger(n) || n < min || (s.key === 'port' && n > 65_535)) {
        const what =
          s.kind === 'bytes'
            ? 'a size in bytes (e.g. 104857600 or 100MiB)'
            : s.key === 'port'
              ? 'a port from 0 to 65535'
              : 'a positive integer';
        throw new SpoolError('INVALID_OPTION', `${source} must be ${what}, got ${JSON.stringify(text)}.`);
      }
      return n;
    }
    default:
      return text;
  }
}

/** The `--help` text: every flag with its variable and its default. */
export function serveHelp(): string {
  const rows = SERVE_SETTINGS.map((s) => {
    const value = s.kind === 'bool' ? '' : ' <value>';
    const shown = s.shown ?? (Array.isArray(s.default) ? s.default.join(',') : String(s.default));
    return `  --${s.flag}${value}\n      ${s.help}\n      env ${s.env}; default ${shown}`;
  });
  return [
    'Usage: spool serve [flags]',
    '       spool migrate [flags]   apply the message store migrations (--database-url or --data) and exit',
    '',
    'Runs Spool in one process: the WebSocket/SSE fan-out, the HTTP API, the dashboard at /,',
    'and (with --demo) a simulated producer and workers. In memory by default: no external service;',
    '--data keeps finished messages in an embedded PostgreSQL, --database-url in PostgreSQL.',
    'Flags win over SPOOL_* environment variables, which win over the defaults.',
    '',
    'Flags:',
    ...rows,
    '  --help, -h',
    '      Show this help.',
    '',
    'Bound to loopback with no token, every local caller has full access. Bound to any other',
    'address, spool serve refuses to start unless an admin token or a JWT key is set. JWT claims',
    'and topic patterns: docs/security.md. SIGTERM or SIGINT drains:',
    'stop accepting, end open messages, wait for their completion, close sockets.',
    '',
  ].join('\n');
}
