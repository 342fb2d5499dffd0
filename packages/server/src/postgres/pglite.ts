/**
 * @spool/server/pglite: the PostgreSQL message store on PGlite (`@electric-sql/pglite`,
 * an optional peer dependency that only this entry loads), PostgreSQL in WebAssembly in
 * this process: the embedded durable mode. Migrations, the outbox and its relay are those
 * of `@spool/server/postgres`. See packages/server/README.md, "PostgreSQL message store".
 */
export { DataDirLock, LOCK_FILE } from './data-dir-lock';
export { type MigrateOptions, type MigrateResult, migrate } from './migrate';
export {
  type OutboxBroker,
  OutboxRelay,
  type OutboxRelayOptions,
  outboxRelayDefaults,
  type RelayResult,
} from './outbox-relay';
export { pgliteRunner } from './pglite-runner';
export { openPgliteStore, type PgliteStoreOptions } from './pglite-store';
export {
  PostgresMessageStore,
  type PostgresMessageStoreOptions,
  type PostgresStoreStats,
  postgresMessageStoreDefaults,
} from './postgres-message-store';
export type { SqlQueryable, SqlResult, SqlRunner } from './sql-runner';
