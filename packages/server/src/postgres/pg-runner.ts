import { SpoolError } from '@spool/core';
import pg from 'pg';
import { isDataError } from './sql-errors';
import type { SqlQueryable, SqlResult, SqlRunner } from './sql-runner';

/** Pool settings Spool changes from node-postgres's own defaults. */
export const pgPoolDefaults = {
  /** Connections in the pool. */
  max: 10,
  /** A connection attempt that takes longer fails (node-postgres waits forever by default). */
  connectionTimeoutMillis: 5_000,
  /** A query that takes longer fails on the client side, even when the network went silent. */
  query_timeout: 30_000,
} as const;

/**
 * A {@link SqlRunner} over a node-postgres pool. Transactions run on one pooled client;
 * a client that failed for any reason but the data itself is discarded, not reused.
 *
 * @param options.owned close the pool with the runner (true when the runner's creator made the pool).
 * @example const runner = pgRunner(new pg.Pool({ connectionString }), { owned: true });
 */
export function pgRunner(pool: pg.Pool, options: { owned?: boolean } = {}): SqlRunner {
  const owned = options.owned ?? false;
  const wrap = (client: pg.PoolClient): SqlQueryable => ({
    query: async <Row>(text: string, params?: readonly unknown[]) =>
      result<Row>(await client.query(text, params as unknown[] | undefined)),
  });
  return {
    kind: 'postgres',
    query: async <Row>(text: string, params?: readonly unknown[]) =>
      result<Row>(await pool.query(text, params as unknown[] | undefined)),
    async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let discard: Error | undefined;
      // A checked-out client emits `error` when its connection dies (the pool only listens
      // to idle ones); unheard, that event would end the process. The pending query rejects
      // on its own, so noting the error is enough.
      const onError = (err: Error) => {
        discard = err;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const value = await fn(wrap(client));
        await client.query('COMMIT');
        return value;
      } catch (err) {
        if (!isDataError(err)) discard = err instanceof Error ? err : new Error(String(err));
        try {
          await client.query('ROLLBACK');
        } catch {
          discard ??= new Error('ROLLBACK failed');
        }
        throw err;
      } finally {
        client.off('error', onError);
        client.release(discard);
      }
    },
    async close() {
      if (owned) await pool.end();
    },
  };
}

/**
 * A pool with {@link pgPoolDefaults}, and an `error` listener: node-postgres emits
 * `error` on the pool when an idle connection dies (a server restart, a cut network),
 * and an unheard `error` event would end the process.
 *
 * @example const pool = createPgPool({ connectionString: process.env.SPOOL_DATABASE_URL });
 */
export function createPgPool(config: pg.PoolConfig, onError?: (err: SpoolError) => void): pg.Pool {
  const pool = new pg.Pool({ ...pgPoolDefaults, ...config });
  pool.on('error', (err) => {
    onError?.(
      new SpoolError('STORE_UNAVAILABLE', `An idle PostgreSQL connection failed: ${err.message}`, {
        cause: err,
      }),
    );
  });
  return pool;
}

function result<Row>(r: pg.QueryResult): SqlResult<Row> {
  return { rows: r.rows as Row[], rowCount: r.rowCount ?? r.rows.length };
}
