import { MemoryBroker } from '@spool/core';
import type pg from 'pg';
import type { OutboxBroker } from './outbox-relay';

/**
 * Test brokers with `xaddOnce` (add a record once per once-key), for the relay's tests.
 * `OnceMemoryBroker` keeps its records in memory and counts calls per once-key;
 * `tableBroker` keeps them in a PostgreSQL table, so they outlive a process the test kills.
 */
export class OnceMemoryBroker extends MemoryBroker implements OutboxBroker {
  readonly calls = new Map<string, number>();
  readonly #seen = new Map<string, string>();
  /** Runs before each xaddOnce: a test makes it wait, fail or signal. */
  before: (onceKey: string) => void | Promise<void> = () => undefined;

  override async xaddOnce(key: string, onceKey: string, fields: Readonly<Record<string, string>>) {
    this.calls.set(onceKey, (this.calls.get(onceKey) ?? 0) + 1);
    await this.before(onceKey);
    const existing = this.#seen.get(`${key}\n${onceKey}`);
    if (existing) return { id: existing, added: false };
    const id = (await this.xadd(key, fields))!;
    this.#seen.set(`${key}\n${onceKey}`, id);
    return { id, added: true };
  }
}

/** `xaddOnce` on a table `records(stream, once_key, fields, n)` in `schema`. */
export function tableBroker(pool: pg.Pool, schema: string): OutboxBroker & { setup(): Promise<void> } {
  const table = `"${schema}".records`;
  return {
    async setup() {
      await pool.query(
        `CREATE TABLE IF NOT EXISTS ${table} (n bigint GENERATED ALWAYS AS IDENTITY, stream text, once_key text, fields jsonb, PRIMARY KEY (stream, once_key))`,
      );
    },
    async xaddOnce(key, onceKey, fields) {
      const added = await pool.query<{ n: string }>(
        `INSERT INTO ${table} (stream, once_key, fields) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING n::text AS n`,
        [key, onceKey, JSON.stringify(Object.entries(fields))],
      );
      if (added.rows[0]) return { id: `${added.rows[0].n}-0`, added: true };
      const found = await pool.query<{ n: string }>(
        `SELECT n::text AS n FROM ${table} WHERE stream = $1 AND once_key = $2`,
        [key, onceKey],
      );
      return { id: `${found.rows[0]!.n}-0`, added: false };
    },
  };
}
