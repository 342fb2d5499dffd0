/**
 * @spool/server/postgres: the PostgreSQL message store on node-postgres (`pg`, an
 * optional peer dependency that only this entry loads), with its migrations and the
 * outbox relay. The same store runs in-process on PGlite from `@spool/server/pglite`.
 * See packages/server/README.md, "PostgreSQL message store".
 */
export {
  connectPostgresStore,
  migratePostgres,
  type PostgresConnectOptions,
} from './connect';
export {
  assertSchemaCurrent,
  type MigrateOptions,
  type MigrateResult,
  migrate,
  migrateDefaults,
} from './migrate';
export { LATEST_SCHEMA_VERSION } from './migrations';
export {
  type OutboxBroker,
  OutboxRelay,
  type OutboxRelayOptions,
  outboxRelayDefaults,
  type RelayResult,
} from './outbox-relay';
export { createPgPool, pgPoolDefaults, pgRunner } from './pg-runner';
export {
  PostgresMessageStore,
  type PostgresMessageStoreOptions,
  type PostgresStoreStats,
  postgresMessageStoreDefaults,
} from './postgres-message-store';
export type { SqlQueryable, SqlResult, SqlRunner } from './sql-runner';
