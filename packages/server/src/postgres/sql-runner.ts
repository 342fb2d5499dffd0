/**
 * The small surface the PostgreSQL store needs from a driver, so the same SQL and
 * migrations run on node-postgres (a pool of connections to a server) and on PGlite
 * (PostgreSQL in WebAssembly, in-process). Parameters are `$1`-style; bigint columns are
 * read as text in the SQL itself, so no driver's number parsing is ever involved.
 */

/** What a query returns. */
export interface SqlResult<Row> {
  /** The rows, for a statement that returns rows. */
  rows: Row[];
  /** Rows the statement inserted, updated, deleted or returned. */
  rowCount: number;
}

/** Runs one statement with `$n` parameters. */
export interface SqlQueryable {
  /** Runs one statement with `$1`-style parameters. */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>>;
}

/**
 * A database the store runs on: single statements, transactions (`BEGIN`..`COMMIT` on one
 * connection, rolled back when `fn` throws), and `close`.
 *
 * @example
 * const runner = pgRunner(new pg.Pool({ connectionString }));
 * await runner.transaction(async (tx) => { await tx.query('SELECT 1'); });
 */
export interface SqlRunner extends SqlQueryable {
  /** Which engine runs the SQL: for stats and the dashboard. */
  readonly kind: 'postgres' | 'pglite';
  /**
   * Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws.
   */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /** Releases what the runner owns (a pool it created, a PGlite instance and its lock). */
  close(): Promise<void>;
}
