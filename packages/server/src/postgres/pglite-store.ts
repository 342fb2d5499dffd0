import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { SpoolError } from '@spool/core';
import { DataDirLock } from './data-dir-lock';
import { type MigrateOptions, type MigrateResult, migrate } from './migrate';
import { pgliteRunner } from './pglite-runner';
import { PostgresMessageStore, type PostgresMessageStoreOptions } from './postgres-message-store';
import { toStoreError } from './sql-errors';

/** Options of {@link openPgliteStore}. */
export interface PgliteStoreOptions extends PostgresMessageStoreOptions {
  /**
   * Where the database lives (PGlite's files go in its `pglite/` folder, next to the lock
   * file `spool.lock`). Absent: in memory, gone when the process ends (for tests).
   */
  dataDir?: string;
}

/**
 * The PostgreSQL message store on PGlite, in this process, with no server: the same SQL
 * and migrations as on PostgreSQL. With `dataDir`, finished messages outlive restarts; the
 * directory is locked for this process (a second process, or a second store in this one,
 * is refused with `INVALID_OPTION`), and `store.close()` closes PGlite and releases it.
 * PGlite starts in a few seconds of CPU: open one store per process.
 *
 * @throws SpoolError `INVALID_OPTION` (a bad option, a locked directory); `STORE_UNAVAILABLE`
 *   when PGlite cannot start (e.g. the directory holds something else).
 * @example const store = await openPgliteStore({ dataDir: './data' });
 */
export async function openPgliteStore(options: PgliteStoreOptions = {}): Promise<PostgresMessageStore> {
  const { dataDir, ...storeOptions } = options;
  PostgresMessageStore.checkOptions(storeOptions);
  const lock = dataDir === undefined ? undefined : DataDirLock.acquire(dataDir);
  let db: PGlite;
  try {
    db = await PGlite.create(dataDir === undefined ? undefined : join(dataDir, 'pglite'));
  } catch (err) {
    lock?.release();
    throw toStoreError(err, `Starting PGlite${dataDir === undefined ? '' : ` in ${dataDir}`}`);
  }
  const runner = pgliteRunner(db, { owned: true, onClose: () => lock?.release() });
  try {
    return await PostgresMessageStore.open(runner, storeOptions);
  } catch (err) {
    await runner.close().catch(() => undefined);
    throw err instanceof SpoolError ? err : toStoreError(err, 'Opening the PGlite store');
  }
}

/**
 * Applies the store's migrations to a data directory (locked meanwhile, as by a running
 * store) and closes it: `spool migrate --data <dir>`.
 *
 * @throws SpoolError `INVALID_OPTION` (a locked directory), `STORE_UNAVAILABLE`
 * @example const { applied } = await migratePglite('./data', { schema: 'spool' });
 */
export async function migratePglite(dataDir: string, options: MigrateOptions = {}): Promise<MigrateResult> {
  const lock = DataDirLock.acquire(dataDir);
  let db: PGlite;
  try {
    db = await PGlite.create(join(dataDir, 'pglite'));
  } catch (err) {
    lock.release();
    throw toStoreError(err, `Starting PGlite in ${dataDir}`);
  }
  const runner = pgliteRunner(db, { owned: true, onClose: () => lock.release() });
  try {
    return await migrate(runner, options);
  } finally {
    await runner.close().catch(() => undefined);
  }
}
