import { SpoolError } from '@spool/core';
import type pg from 'pg';
import { type MigrateOptions, type MigrateResult, migrate } from './migrate';
import { createPgPool, pgRunner } from './pg-runner';
import { PostgresMessageStore, type PostgresMessageStoreOptions } from './postgres-message-store';

/** Options of {@link connectPostgresStore} and {@link migratePostgres}. */
export interface PostgresConnectOptions {
  /** `postgres://user@host:5432/db`; or give `pool` settings instead (or both). */
  connectionString?: string;
  /** node-postgres pool settings, over `pgPoolDefaults`. */
  pool?: pg.PoolConfig;
  /** Idle connections that fail are reported here (they never crash the process). */
  onPoolError?: (error: SpoolError) => void;
}

/**
 * Connects to PostgreSQL with a pool of its own, migrates the schema (unless
 * `migrate: false`) and returns the store; `store.close()` ends the pool.
 *
 * @throws SpoolError `INVALID_OPTION`; `STORE_UNAVAILABLE` when PostgreSQL cannot be reached.
 * @example
 * const store = await connectPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1/app', schema: 'spool' });
 */
export async function connectPostgresStore(
  options: PostgresConnectOptions & PostgresMessageStoreOptions,
): Promise<PostgresMessageStore> {
  const { connectionString, pool: poolConfig, onPoolError, ...storeOptions } = options;
  PostgresMessageStore.checkOptions(storeOptions);
  const runner = pgRunner(createPgPool(poolSettings(connectionString, poolConfig), onPoolError), {
    owned: true,
  });
  try {
    return await PostgresMessageStore.open(runner, storeOptions);
  } catch (err) {
    await runner.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Applies the store's migrations and disconnects: what `spool migrate` runs.
 *
 * @example const { applied } = await migratePostgres({ connectionString, schema: 'spool' });
 */
export async function migratePostgres(
  options: PostgresConnectOptions & MigrateOptions,
): Promise<MigrateResult> {
  const { connectionString, pool: poolConfig, onPoolError, ...migrateOptions } = options;
  const runner = pgRunner(
    createPgPool({ ...poolSettings(connectionString, poolConfig), max: 1 }, onPoolError),
    {
      owned: true,
    },
  );
  try {
    return await migrate(runner, migrateOptions);
  } finally {
    await runner.close().catch(() => undefined);
  }
}

function poolSettings(connectionString: string | undefined, pool: pg.PoolConfig | undefined): pg.PoolConfig {
  if (connectionString !== undefined && (typeof connectionString !== 'string' || connectionString === ''))
    throw new SpoolError('INVALID_OPTION', '`connectionString` must be a postgres:// URL.');
  if (connectionString === undefined && pool === undefined)
    throw new SpoolError(
      'INVALID_OPTION',
      'Give `connectionString` (e.g. postgres://postgres@127.0.0.1:5432/app) or `pool` settings.',
    );
  return { ...pool, ...(connectionString === undefined ? {} : { connectionString }) };
}
