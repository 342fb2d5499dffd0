import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { SqlQueryable, SqlResult, SqlRunner } from './sql-runner';

interface PgliteLike {
  query: PGlite['query'];
}

/**
 * A {@link SqlRunner} over a PGlite instance. PGlite is one connection: its queries run one
 * at a time, and a transaction holds it until it ends, which is what keeps a transaction's
 * statements together.
 *
 * @example const runner = pgliteRunner(await PGlite.create(), { owned: true });
 */
export function pgliteRunner(
  db: PGlite,
  options: {
    /** The runner owns the instance: its `close()` closes it. Otherwise `close()` leaves it open. @default false */
    owned?: boolean;
    /** Runs after the instance closes (e.g. releasing the data-directory lock); only with `owned`. */
    onClose?: () => void;
  } = {},
): SqlRunner {
  const wrap = (q: PgliteLike | Transaction): SqlQueryable => ({
    query: async <Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> => {
      const r = await q.query<Row>(text, params as unknown[] | undefined);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
  });
  const direct = wrap(db);
  let closed = false;
  return {
    kind: 'pglite',
    query: direct.query,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    async close() {
      if (closed || !options.owned) return;
      closed = true;
      try {
        await db.close();
      } finally {
        options.onClose?.();
      }
    },
  };
}
