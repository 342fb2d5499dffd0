import { randomUUID } from 'node:crypto';
import pg from 'pg';

/**
 * Test support for the real PostgreSQL at 127.0.0.1:5432, database `test`
 * (SPOOL_TEST_DATABASE_URL overrides it): a fresh schema per store, dropped afterwards.
 */
export const TEST_DATABASE_URL =
  process.env['SPOOL_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name no other run uses. */
export function uniqueSchema(): string {
  return `spool_test_${randomUUID().replaceAll('-', '')}`;
}

/** One connection for setup, checks and cleanup. */
export function adminPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
  pool.on('error', () => undefined);
  return pool;
}

export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
