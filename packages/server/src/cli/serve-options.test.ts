import { cacheDefaults, memoryBrokerServeLimits, topicRetentionDefaults } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { sseDefaults } from '../sse/sse-endpoint';
import { jwtOptionsOf, parseServeArgs, SERVE_SETTINGS, serveHelp } from './serve-options';

const serve = (argv: string[], env: Record<string, string> = {}) => {
  const c = parseServeArgs(argv, env);
  if (c.kind !== 'serve') throw new Error('expected serve');
  return c.config;
};

describe('JWT settings', () => {
  it('reads SPOOL_JWT_* into auth.jwt, and nothing when none is set', () => {
    const env = {
      SPOOL_JWT_SECRET: 's'.repeat(40),
      SPOOL_JWT_AUDIENCE: 'spool',
      SPOOL_JWT_ISSUER: 'https://auth.example.com',
    };
    expect(jwtOptionsOf(serve(['serve'], env))).toEqual({
      secret: 's'.repeat(40),
      audience: 'spool',
      issuer: 'https://auth.example.com',
    });
    expect(jwtOptionsOf(serve(['serve'], { SPOOL_JWT_JWKS_URL: 'https://auth.example.com/jwks' }))).toEqual({
      jwksUrl: 'https://auth.example.com/jwks',
    });
    expect(jwtOptionsOf(serve(['serve', '--jwt-public-key', 'PEM']))).toEqual({ publicKey: 'PEM' });
    expect(jwtOptionsOf(serve(['serve']))).toBeUndefined();
  });

  it('refuses an audience or issuer without a key', () => {
    const envs: Array<Record<string, string>> = [
      { SPOOL_JWT_AUDIENCE: 'spool' },
      { SPOOL_JWT_ISSUER: 'https://auth.example.com' },
    ];
    for (const env of envs) {
      expect(() => jwtOptionsOf(serve(['serve'], env))).toThrow(
        expect.objectContaining({
          code: 'INVALID_OPTION',
          message: expect.stringMatching(/without a JWT key/),
        }),
      );
    }
  });
});

describe('parseServeArgs', () => {
  it('defaults to loopback:8080, in memory with the memory broker serve limits, no token, no demo', () => {
    expect(serve(['serve'])).toEqual({
      host: '127.0.0.1',
      port: 8080,
      adminTokens: [],
      userTokens: [],
      jwtSecret: undefined,
      jwtPublicKey: undefined,
      jwtJwksUrl: undefined,
      jwtAudience: undefined,
      jwtIssuer: undefined,
      allowedOrigins: undefined,
      redisUrl: undefined,
      redisPrefix: '',
      instanceId: undefined,
      instanceTtlMs: 10_000,
      databaseUrl: undefined,
      databaseSchema: 'spool',
      dataDir: undefined,
      outboxRelay: true,
      dashboardDir: undefined,
      demo: false,
      cacheMaxMemoryBytes: cacheDefaults.maxMemoryBytes,
      cacheMaxStreams: cacheDefaults.maxStreams,
      cacheMaxChunks: cacheDefaults.maxChunksPerStream,
      chunkInactivityMs: cacheDefaults.chunkInactivityTimeoutMs,
      streamTimeoutMs: cacheDefaults.streamTimeoutMs,
      retentionEvents: topicRetentionDefaults.maxEvents,
      retentionBytes: topicRetentionDefaults.maxBytes,
      retentionAgeMs: topicRetentionDefaults.maxAgeMs,
      sseRetryMs: sseDefaults.retryMs,
      maxStreamLength: memoryBrokerServeLimits.maxStreamLength,
      maxPendingMessages: memoryBrokerServeLimits.maxPendingMessages,
      logLevel: 'info',
      shutdownTimeoutMs: 30_000,
    });
  });

  it('sets the SSE retry hint from SPOOL_SSE_RETRY_MS or --sse-retry-ms, refusing 0', () => {
    expect(serve(['serve'], { SPOOL_SSE_RETRY_MS: '50' }).sseRetryMs).toBe(50);
    expect(serve(['serve', '--sse-retry-ms', '75'], { SPOOL_SSE_RETRY_MS: '50' }).sseRetryMs).toBe(75);
    expect(() => serve(['serve'], { SPOOL_SSE_RETRY_MS: '0' })).toThrow(/SPOOL_SSE_RETRY_MS/);
  });

  it('reads SPOOL_* variables, and flags win over them', () => {
    const env = {
      SPOOL_PORT: '9000',
      SPOOL_HOST: '0.0.0.0',
      SPOOL_ADMIN_TOKEN: 'admin-secret-1',
      SPOOL_TOKENS: 'user-a-token, user-b-token',
      SPOOL_CACHE_MAX_MEMORY: '64MiB',
      SPOOL_DEMO: '1',
      SPOOL_REDIS_URL: 'redis://127.0.0.1:6379',
    };
    const config = serve(['serve', '--port', '0', '--retention-events=50', '--demo=false'], env);
    expect(config).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      adminTokens: ['admin-secret-1'],
      userTokens: ['user-a-token', 'user-b-token'],
      cacheMaxMemoryBytes: 64 * 2 ** 20,
      retentionEvents: 50,
      demo: false,
      redisUrl: 'redis://127.0.0.1:6379',
    });
    expect(serve(['serve', '--demo'], {}).demo).toBe(true);
    expect(serve(['serve'], { SPOOL_DEMO: '0' }).demo).toBe(false);
    expect(
      serve(['serve', '--instance-ttl-ms', '3000'], {
        SPOOL_INSTANCE_ID: 'api-1',
        SPOOL_INSTANCE_TTL_MS: '9000',
      }),
    ).toMatchObject({ instanceId: 'api-1', instanceTtlMs: 3000 });
    expect(serve(['serve'], { SPOOL_PORT: '' }).port).toBe(8080);
  });

  it('fails with INVALID_OPTION naming the flag or variable', () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['serve', '--port', '70000'], {}, /--port must be a port/],
      [['serve'], { SPOOL_PORT: 'http' }, /SPOOL_PORT must be a port/],
      [['serve', '--cache-max-streams', '0'], {}, /positive integer/],
      [['serve', '--cache-max-streams', '5MiB'], {}, /positive integer/],
      [['serve', '--log-level', 'loud'], {}, /one of/],
      [['serve', '--port'], {}, /needs a value/],
      [['serve', '--port', '--demo'], {}, /needs a value/],
      [['serve', '--nope'], {}, /Unknown argument/],
      [['start'], {}, /Unknown command/],
      [[], {}, /Unknown command/],
      [['serve', '--demo=maybe'], {}, /true or false/],
      [['serve', '--data', '/tmp/x'], { SPOOL_DATABASE_URL: 'postgres://h/db' }, /both set/],
      [['serve'], { SPOOL_DATA_DIR: '/tmp/x', SPOOL_DATABASE_URL: 'postgres://h/db' }, /both set/],
      [['migrate'], {}, /needs SPOOL_DATABASE_URL/],
    ];
    for (const [argv, env, message] of cases) {
      expect(() => parseServeArgs(argv, env)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringMatching(message) }),
      );
    }
  });

  it('reads the store settings, and `spool migrate` takes the same ones', () => {
    expect(
      serve(['serve', '--database-schema', 'chat', '--outbox-relay=false'], {
        SPOOL_DATABASE_URL: 'postgres://db.internal/app',
      }),
    ).toMatchObject({
      databaseUrl: 'postgres://db.internal/app',
      databaseSchema: 'chat',
      outboxRelay: false,
    });
    expect(serve(['serve'], { SPOOL_DATA_DIR: './data' })).toMatchObject({
      dataDir: './data',
      databaseSchema: 'spool',
      outboxRelay: true,
    });
    expect(parseServeArgs(['migrate', '--data', './data'], {})).toMatchObject({
      kind: 'migrate',
      config: { dataDir: './data', databaseSchema: 'spool' },
    });
  });

  it('--help documents every flag with its variable and default', () => {
    expect(parseServeArgs(['serve', '--help'], {})).toEqual({ kind: 'help' });
    expect(parseServeArgs(['-h'], {})).toEqual({ kind: 'help' });
    const help = serveHelp();
    for (const s of SERVE_SETTINGS) {
      expect(help).toContain(`--${s.flag}`);
      expect(help).toContain(`env ${s.env}; default `);
    }
    expect(help).toContain('env SPOOL_PORT; default 8080');
    expect(help).toContain('env SPOOL_HOST; default 127.0.0.1');
  });
});
