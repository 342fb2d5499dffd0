import type { SpoolError, StreamBroker } from '@spool/core';
import type { Logger } from 'pino';
import type { MigrateResult } from '../postgres/migrate';
import type { PostgresMessageStore } from '../postgres/postgres-message-store';
import type { ServeConfig } from './serve-options';

/** The message store `spool serve` runs on, and what it takes to stop it. */
export interface ServeStore {
  kind: 'memory' | 'postgres' | 'pglite';
  /** Undefined in memory mode: `createSpool` makes (and closes) its own. */
  store: PostgresMessageStore | undefined;
  /**
   * Starts the outbox relay on `broker` (unless `--outbox-relay=false`): the store records
   * each saved message's completion in its outbox, and the relay writes it to the broker.
   */
  startRelay(broker: StreamBroker): void;
  /**
   * After the Spool has drained: relays what the outbox still holds (best effort, the next
   * start relays the rest), then closes the store.
   */
  close(): Promise<void>;
}

/**
 * Opens the store the configuration names: PostgreSQL (`SPOOL_DATABASE_URL`), the embedded
 * PGlite in a locked data directory (`SPOOL_DATA_DIR`), or none (memory). Migrations are
 * applied under an advisory lock, in the schema `SPOOL_DATABASE_SCHEMA`, created if absent.
 * The drivers are loaded only here, so memory mode needs neither `pg` nor PGlite.
 *
 * @throws SpoolError `INVALID_OPTION` (a bad schema name, a locked data directory),
 *   `STORE_UNAVAILABLE` (PostgreSQL unreachable, PGlite failing to start)
 * @example const { store, startRelay, close } = await openServeStore(config, logger);
 */
export async function openServeStore(config: ServeConfig, logger: Logger): Promise<ServeStore> {
  let store: PostgresMessageStore;
  if (config.databaseUrl !== undefined) {
    const { connectPostgresStore } = await import('../postgres/connect');
    store = await connectPostgresStore({
      connectionString: config.databaseUrl,
      schema: config.databaseSchema,
      onPoolError: (err: SpoolError) => logger.warn({ err }, 'postgres connection error'),
    });
  } else if (config.dataDir !== undefined) {
    const { openPgliteStore } = await import('../postgres/pglite-store');
    store = await openPgliteStore({ dataDir: config.dataDir, schema: config.databaseSchema });
  } else {
    return { kind: 'memory', store: undefined, startRelay: () => {}, close: async () => {} };
  }
  const opened = store;
  let relay: ReturnType<PostgresMessageStore['createRelay']> | undefined;
  return {
    kind: opened.kind,
    store: opened,
    startRelay(broker) {
      if (!config.outboxRelay) {
        logger.warn('the outbox relay is off: completion records wait in the outbox for another instance');
        return;
      }
      relay = opened.createRelay(broker, {
        onError: (err) => logger.warn({ err }, 'relaying the outbox failed; it is retried'),
      });
      relay.start();
    },
    async close() {
      if (relay) {
        await relay.stop();
        await relay.relayAll().catch((err: unknown) => {
          logger.warn({ err }, 'the outbox was not emptied before exit; the next start relays it');
        });
      }
      await opened.close();
    },
  };
}

/**
 * `spool migrate`: applies the store's migrations to the configured database (or data
 * directory, under its lock) and returns what it applied.
 *
 * @throws SpoolError as {@link openServeStore}
 */
export async function migrateServeStore(config: ServeConfig): Promise<MigrateResult> {
  if (config.databaseUrl !== undefined) {
    const { migratePostgres } = await import('../postgres/connect');
    return migratePostgres({ connectionString: config.databaseUrl, schema: config.databaseSchema });
  }
  const { migratePglite } = await import('../postgres/pglite-store');
  return migratePglite(config.dataDir!, { schema: config.databaseSchema });
}
