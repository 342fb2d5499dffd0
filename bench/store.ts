/**
 * Message store benchmarks (@spool/server/postgres and /pglite), on the real PostgreSQL
 * at SPOOL_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), each run
 * in schemas of its own, dropped at the end:
 * - saves per second under a burst of 1,000 finished messages: the store's batched saves
 *   (group commit, multi-row INSERT) against one INSERT per message on the same pool
 *   (target ≥ 5x);
 * - `listAfter` (100 messages after an event ID in one channel) on a table of 10,000 and
 *   of 1,000,000 messages (target ≤ 1.5x), with the sequential-scan plan as contrast;
 * - PGlite against PostgreSQL on the same workload (no target).
 * SPOOL_BENCH_STORE_ROWS sets the big table's size (default 1,000,000; loading it takes
 * about 40 s here).
 */
import type { StoredMessageInput } from '@spool/core';
import { openPgliteStore } from '@spool/server/pglite';
import {
  connectPostgresStore,
  createPgPool,
  type PostgresMessageStore,
  pgRunner,
  type SqlRunner,
} from '@spool/server/postgres';
import { type BenchOutput, median, report, type Table } from './harness';

const URL = process.env['SPOOL_BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const SMALL = 10_000;
const BIG = Number(process.env['SPOOL_BENCH_STORE_ROWS'] ?? 1_000_000);
if (!Number.isSafeInteger(BIG) || BIG < SMALL)
  throw new Error(`SPOOL_BENCH_STORE_ROWS must be an integer of at least ${SMALL}, got ${String(BIG)}`);
const BURST = 1_000;
const SAMPLES = 5;
const READS = 200;
const BASE_MS = 1_700_000_000_000;
const general = { channelId: 'general', channelType: 1 };

const runId = `${process.pid}_${Date.now()}`;
const schemaName = (what: string) => `spool_bench_${what}_${runId}`;

function message(i: number): StoredMessageInput {
  const messageId = String(i);
  return {
    messageId,
    channelId: 'general',
    channelType: 1,
    meta: {
      messageId,
      channelId: 'general',
      channelType: 1,
      fromUid: `u${i % 100}`,
      customFields: { model: 'm1' },
    },
    text: `a finished message of about a hundred bytes, number ${i}, as a chat UI would store it.`,
    lastChunkId: 3,
    reason: 'success',
    firstEventId: `${BASE_MS + i}-0`,
    lastEventId: `${BASE_MS + i}-4`,
  };
}

// The peer: what an app without batching does, one INSERT (its own implicit transaction)
// per message, all 1,000 in flight at once on the same pool of 10 connections.
const SINGLE_INSERT = (schema: string) => `INSERT INTO "${schema}".messages
  (message_id, channel_type, channel_id, from_uid, client_msg_no, meta, text, last_chunk_id, reason,
   first_ms, first_seq, last_ms, last_seq, persisted_at)
  VALUES ($1::bigint, 1, 'general', $2, NULL, $3::jsonb, $4, 3, 'success', $5::bigint, 0, $5::bigint, 4, now())
  ON CONFLICT (message_id) DO UPDATE SET text = EXCLUDED.text`;

async function burst(store: PostgresMessageStore, from: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: BURST }, (_, i) => store.save(message(from + i))));
  return BURST / ((performance.now() - t0) / 1000);
}

async function singleInserts(runner: SqlRunner, schema: string, from: number): Promise<number> {
  const sql = SINGLE_INSERT(schema);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: BURST }, (_, k) => {
      const m = message(from + k);
      return runner.query(sql, [
        m.messageId,
        m.meta.fromUid,
        JSON.stringify(m.meta),
        m.text,
        BASE_MS + from + k,
      ]);
    }),
  );
  return BURST / ((performance.now() - t0) / 1000);
}

async function truncate(runner: SqlRunner, schema: string): Promise<void> {
  await runner.query(`TRUNCATE "${schema}".messages, "${schema}".outbox`);
}

async function saveBursts(): Promise<{ pg: number; table: Table }> {
  const pool = createPgPool({ connectionString: URL, max: 10 });
  const runner = pgRunner(pool);
  const plain = schemaName('burst');
  const outbox = schemaName('burst_outbox');
  const batched = await connectPostgresStore({ connectionString: URL, schema: plain, completions: false });
  const withOutbox = await connectPostgresStore({ connectionString: URL, schema: outbox });
  const rates = { batched: [] as number[], single: [] as number[], outbox: [] as number[] };
  try {
    // one warm-up round, then samples alternate so the machine's noise hits all alike
    for (let s = -1; s < SAMPLES; s++) {
      await truncate(runner, plain);
      const b = await burst(batched, 1);
      await truncate(runner, plain);
      const p = await singleInserts(runner, plain, 1);
      await truncate(runner, outbox);
      const o = await burst(withOutbox, 1);
      if (s >= 0) {
        rates.batched.push(b);
        rates.single.push(p);
        rates.outbox.push(o);
      }
    }
  } finally {
    await batched.close();
    await withOutbox.close();
    for (const s of [plain, outbox]) await runner.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await pool.end();
  }
  const b = median(rates.batched);
  const single = median(rates.single);
  const table = report(
    `store saves: a burst of ${BURST} finished messages, PostgreSQL, pool of 10 (median of ${SAMPLES})`,
    [
      { name: 'one INSERT per message, all in flight', value: single, unit: 'saves/s' },
      {
        name: 'PostgresMessageStore.save (batched)',
        value: b,
        unit: 'saves/s',
        peer: 'one INSERT per message',
        ratio: b / single,
        target: '≥ 5x',
      },
      {
        name: '  the same, completion in the outbox too',
        value: median(rates.outbox),
        unit: 'saves/s',
        peer: 'one INSERT per message',
        ratio: median(rates.outbox) / single,
      },
    ],
  );
  return { pg: b, table };
}

/** Fills `general` with `rows` messages, in SQL, in chunks. */
async function fill(runner: SqlRunner, schema: string, rows: number, label: string): Promise<void> {
  const chunk = 100_000;
  const t0 = performance.now();
  for (let from = 1; from <= rows; from += chunk) {
    const to = Math.min(rows, from + chunk - 1);
    await runner.query(
      `INSERT INTO "${schema}".messages SELECT i, 1, 'general', 'u' || (i % 100), NULL,
         jsonb_build_object('messageId', i::text, 'channelId', 'general', 'channelType', 1,
           'fromUid', 'u' || (i % 100), 'customFields', jsonb_build_object('model', 'm' || (i % 10))),
         'a finished message of about a hundred bytes, number ' || i, 3, 'success',
         ${BASE_MS} + i, 0, ${BASE_MS} + i, 4, now()
       FROM generate_series($1::bigint, $2::bigint) AS i`,
      [from, to],
    );
  }
  await runner.query(`ANALYZE "${schema}".messages`);
  console.log(
    `  (${label}: ${rows.toLocaleString('en-US')} rows loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
}

/** Resume points spread over the middle half of the table, picked before timing. */
function points(rows: number): string[] {
  return Array.from(
    { length: READS },
    (_, r) => `${BASE_MS + Math.floor(rows / 4 + ((r * 7919) % (rows / 2)))}-4`,
  );
}

/** Mean µs of one `listAfter(general, after, { limit: 100 })` over the points. */
async function timeListAfter(store: PostgresMessageStore, after: string[]): Promise<number> {
  const t0 = performance.now();
  for (const a of after) {
    const page = await store.listAfter(general, a, { limit: 100 });
    if (page.length !== 100) throw new Error(`short page: ${page.length}`);
  }
  return ((performance.now() - t0) * 1000) / after.length;
}

// The query listAfter runs (postgres-message-store.ts), for EXPLAIN. Output names differ
// from the column names, as in the store: ORDER BY must see the bigint columns.
const LIST_AFTER = (schema: string, after: number) => `SELECT message_id::text AS "messageId",
  meta::text AS "metaJson", text AS "body"
  FROM "${schema}".messages WHERE channel_type = 1 AND channel_id = 'general'
  AND (last_ms, last_seq) > (${after}::bigint, 4::bigint) ORDER BY last_ms, last_seq, message_id LIMIT 100`;

async function explain(runner: SqlRunner, schema: string, after: number, seqScan: boolean) {
  return runner.transaction(async (tx) => {
    if (seqScan) {
      // Forbid the indexes, so the planner shows what the query costs without them.
      for (const s of ['enable_indexscan', 'enable_indexonlyscan', 'enable_bitmapscan'])
        await tx.query(`SET LOCAL ${s} = off`);
    }
    const t0 = performance.now();
    const { rows } = await tx.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, COSTS OFF) ${LIST_AFTER(schema, after)}`,
    );
    const ms = performance.now() - t0;
    return { us: ms * 1000, plan: rows.map((r) => r['QUERY PLAN']) };
  });
}

async function listAfterCost(): Promise<{ pg: number; table: Table; notes: string[] }> {
  const pool = createPgPool({ connectionString: URL, max: 4 });
  const runner = pgRunner(pool);
  const smallSchema = schemaName('small');
  const bigSchema = schemaName('big');
  const small = await connectPostgresStore({
    connectionString: URL,
    schema: smallSchema,
    completions: false,
  });
  const big = await connectPostgresStore({ connectionString: URL, schema: bigSchema, completions: false });
  try {
    await fill(runner, smallSchema, SMALL, 'small table');
    await fill(runner, bigSchema, BIG, 'big table');
    const smallPoints = points(SMALL);
    const bigPoints = points(BIG);
    const s: number[] = [];
    const b: number[] = [];
    for (let i = -1; i < SAMPLES; i++) {
      const x = await timeListAfter(small, smallPoints);
      const y = await timeListAfter(big, bigPoints);
      if (i >= 0) {
        s.push(x);
        b.push(y);
      }
    }
    const mid = BASE_MS + BIG / 2;
    const indexed = await explain(runner, bigSchema, mid, false);
    const seq: number[] = [];
    let seqPlan: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await explain(runner, bigSchema, mid, true);
      seq.push(r.us);
      seqPlan = r.plan;
    }
    const smallUs = median(s);
    const bigUs = median(b);
    const table = report(
      'store listAfter: 100 messages after an event ID in one channel, PostgreSQL (median µs per call)',
      [
        { name: `table of ${SMALL.toLocaleString('en-US')}`, value: smallUs, unit: 'µs' },
        {
          name: `table of ${BIG.toLocaleString('en-US')}`,
          value: bigUs,
          unit: 'µs',
          peer: `table of ${SMALL.toLocaleString('en-US')}`,
          ratio: bigUs / smallUs,
          target: '≤ 1.5x',
        },
        {
          name: `sequential scan, table of ${BIG.toLocaleString('en-US')} (contrast, EXPLAIN ANALYZE)`,
          value: median(seq),
          unit: 'µs',
          peer: 'listAfter on the same table',
          ratio: median(seq) / bigUs,
        },
      ],
    );
    console.log('  plan used by listAfter:');
    for (const line of indexed.plan) console.log(`    ${line}`);
    console.log('  plan without the index (contrast):');
    for (const line of seqPlan) console.log(`    ${line}`);
    return {
      pg: smallUs,
      table,
      notes: [
        `listAfter plan: ${indexed.plan.join(' / ')}`,
        `without the index (contrast): ${seqPlan.join(' / ')}`,
      ],
    };
  } finally {
    await small.close();
    await big.close();
    for (const x of [smallSchema, bigSchema]) await runner.query(`DROP SCHEMA IF EXISTS "${x}" CASCADE`);
    await pool.end();
  }
}

async function pgliteAgainstPostgres(pg: { saves: number; listAfterUs: number }): Promise<Table> {
  const t0 = performance.now();
  const store = await openPgliteStore({ completions: false });
  const startMs = performance.now() - t0;
  try {
    const rates: number[] = [];
    for (let s = -1; s < SAMPLES; s++) {
      await store.listAfter(general, '0-0', { limit: 1 }); // keeps the instance warm
      const r = await burst(store, 1 + (s + 1) * BURST);
      if (s >= 0) rates.push(r);
    }
    // the same table of 10,000 as on PostgreSQL: the bursts above plus the rest
    const saved = (SAMPLES + 1) * BURST;
    for (let i = saved + 1; i <= SMALL; i += BURST)
      await Promise.all(
        Array.from({ length: Math.min(BURST, SMALL - i + 1) }, (_, k) => store.save(message(i + k))),
      );
    const reads: number[] = [];
    for (let i = -1; i < SAMPLES; i++) {
      const us = await timeListAfter(store, points(SMALL));
      if (i >= 0) reads.push(us);
    }
    const saves = median(rates);
    const listUs = median(reads);
    return report(
      `store on PGlite (in-process, in memory) against PostgreSQL, same workload (median of ${SAMPLES})`,
      [
        { name: 'PGlite start-up (create + migrate)', value: startMs, unit: 'ms' },
        {
          name: `PGlite: burst of ${BURST} saves (batched)`,
          value: saves,
          unit: 'saves/s',
          peer: 'PostgreSQL',
          ratio: saves / pg.saves,
        },
        {
          name: `PGlite: listAfter 100 on a table of ${SMALL.toLocaleString('en-US')}`,
          value: listUs,
          unit: 'µs',
          peer: 'PostgreSQL',
          ratio: listUs / pg.listAfterUs,
        },
      ],
    );
  } finally {
    await store.close();
  }
}

export default async function run(): Promise<BenchOutput> {
  const saves = await saveBursts();
  const reads = await listAfterCost();
  const pglite = await pgliteAgainstPostgres({ saves: saves.pg, listAfterUs: reads.pg });
  return { tables: [saves.table, reads.table, pglite], notes: reads.notes };
}
