import { SpoolError } from '@spool/core';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations';
import { quoteSchema } from './schema-name';
import { sqlState, toStoreError } from './sql-errors';
import type { SqlQueryable, SqlRunner } from './sql-runner';

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /**
   * The schema that holds the store's tables; created if absent.
   * @default 'spool'
   */
  schema?: string;
  /**
   * Stop at this version instead of the newest (for tests of upgrades).
   * @default LATEST_SCHEMA_VERSION
   */
  target?: number;
}

/** Defaults of {@link MigrateOptions}. */
export const migrateDefaults = { schema: 'spool' } as const;

/** What {@link migrate} did. */
export interface MigrateResult {
  /** The schema migrated. */
  schema: string;
  /** Versions this call applied, in order; empty when the schema was already current. */
  applied: number[];
  /** The schema's version afterwards. */
  version: number;
}

/** Advisory-lock class of Spool's migrations; the second key is the schema name's hash. */
const LOCK_CLASS = 0x5350_4f4c; // "SPOL"

/**
 * Brings the store's schema up to date: creates the schema if absent, then applies every
 * migration it lacks, in one transaction under an advisory lock, so two processes
 * starting together apply each migration once (the second waits, then finds nothing to
 * do). A schema migrated by a newer build is refused rather than used.
 *
 * @throws SpoolError `INVALID_OPTION` for a bad schema name or a schema newer than this
 *   build; `STORE_UNAVAILABLE` when the database cannot be reached.
 * @example
 * const { applied } = await migrate(pgRunner(pool), { schema: 'spool' });
 */
export async function migrate(runner: SqlRunner, options: MigrateOptions = {}): Promise<MigrateResult> {
  const schema = options.schema ?? migrateDefaults.schema;
  const quoted = quoteSchema(schema);
  const target = options.target ?? LATEST_SCHEMA_VERSION;
  if (!MIGRATIONS.some((m) => m.version === target))
    throw new SpoolError(
      'INVALID_OPTION',
      `\`target\` must be a known schema version (1 to ${LATEST_SCHEMA_VERSION}), got ${String(target)}.`,
    );
  try {
    return await runner.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [LOCK_CLASS, schema]);
      await tx.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
      await tx.query(
        `CREATE TABLE IF NOT EXISTS ${quoted}.schema_migrations (
          version    integer     PRIMARY KEY,
          name       text        NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`,
      );
      const current = await readVersion(tx, quoted);
      assertNotNewer(schema, current);
      await tx.query("SELECT set_config('search_path', $1, true)", [quoted]);
      const applied: number[] = [];
      for (const m of MIGRATIONS) {
        if (m.version <= current || m.version > target) continue;
        for (const statement of m.statements) await tx.query(statement);
        await tx.query(`INSERT INTO ${quoted}.schema_migrations (version, name) VALUES ($1, $2)`, [
          m.version,
          m.name,
        ]);
        applied.push(m.version);
      }
      return { schema, applied, version: Math.max(current, applied.at(-1) ?? 0) };
    });
  } catch (err) {
    throw toStoreError(err, `Migrating schema ${quoted}`);
  }
}

/**
 * The version of `schema`, for a store opened with `migrate: false`: it must be exactly
 * this build's.
 *
 * @throws SpoolError `INVALID_OPTION` when the schema is missing, behind or ahead.
 */
export async function assertSchemaCurrent(runner: SqlRunner, schema: string): Promise<void> {
  const quoted = quoteSchema(schema);
  let current: number;
  try {
    current = await readVersion(runner, quoted);
  } catch (err) {
    // 3F000 invalid_schema_name, 42P01 undefined_table: never migrated
    const state = sqlState(err);
    if (state !== '3F000' && state !== '42P01') throw toStoreError(err, `Reading schema ${quoted}`);
    current = 0;
  }
  assertNotNewer(schema, current);
  if (current < LATEST_SCHEMA_VERSION)
    throw new SpoolError(
      'INVALID_OPTION',
      `Schema ${quoted} is at version ${current}, this build needs ${LATEST_SCHEMA_VERSION}: run \`spool migrate\` (or open the store with \`migrate: true\`).`,
    );
}

async function readVersion(q: SqlQueryable, quoted: string): Promise<number> {
  const { rows } = await q.query<{ version: string | null }>(
    `SELECT max(version)::text AS version FROM ${quoted}.schema_migrations`,
  );
  return Number(rows[0]?.version ?? 0);
}

function assertNotNewer(schema: string, current: number): void {
  if (current > LATEST_SCHEMA_VERSION)
    throw new SpoolError(
      'INVALID_OPTION',
      `Schema "${schema}" is at version ${current}, newer than this build knows (${LATEST_SCHEMA_VERSION}): upgrade Spool, or use another schema.`,
    );
}
