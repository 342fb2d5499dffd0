import {
  COMPLETED_STREAM,
  completionFields,
  createManualClock,
  SpoolError,
  type StoredMessageInput,
} from '@spool/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Child, spawnChild } from './__tests__/child';
import { connectPostgresStore } from './connect';
import type { OutboxBroker } from './outbox-relay';
import { OnceMemoryBroker, tableBroker } from './outbox-test-brokers';
import { adminPool, dropSchema, TEST_DATABASE_URL, uniqueSchema } from './pg-test-env';
import type { PostgresMessageStore, PostgresMessageStoreOptions } from './postgres-message-store';

const admin = adminPool();
const schemas = new Set<string>();
const stores: PostgresMessageStore[] = [];
const children: Child[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  for (const s of stores.splice(0)) await s.close();
  for (const s of schemas) await dropSchema(admin, s);
  schemas.clear();
});
afterAll(() => admin.end());

async function open(
  schema = uniqueSchema(),
  options: PostgresMessageStoreOptions & { applicationName?: string } = {},
): Promise<PostgresMessageStore> {
  schemas.add(schema);
  const { applicationName, ...rest } = options;
  const store = await connectPostgresStore({
    connectionString: TEST_DATABASE_URL,
    schema,
    pool: { max: 4, ...(applicationName ? { application_name: applicationName } : {}) },
    ...rest,
  });
  stores.push(store);
  return store;
}

function message(id: string, seq = Number(id)): StoredMessageInput {
  return {
    messageId: id,
    channelId: 'general',
    channelType: 1,
    meta: { messageId: id, channelId: 'general', channelType: 1 },
    text: `text ${id}`,
    lastChunkId: 0,
    reason: 'success',
    firstEventId: `1-${seq}`,
    lastEventId: `1-${seq}`,
  };
}

async function outboxRows(schema: string) {
  const { rows } = await admin.query<{ once_key: string; attempts: number; last_error: string | null }>(
    `SELECT once_key, attempts, last_error FROM "${schema}".outbox ORDER BY id`,
  );
  return rows;
}

async function completed(broker: OnceMemoryBroker) {
  return (await broker.xrange(COMPLETED_STREAM, '-', '+')).map((e) => e.fields!);
}

/** Resolves when `n` once-keys have reached the broker. */
function untilCalls(broker: OnceMemoryBroker, n: number): Promise<void> {
  const before = broker.before;
  return new Promise((resolve) => {
    broker.before = async (key) => {
      await before(key);
      queueMicrotask(() => {
        if (broker.calls.size >= n) resolve();
      });
    };
  });
}

describe('the outbox: one completion record per message', () => {
  it('records the completion in the save transaction, and the relay writes it once, then deletes it', async () => {
    const store = await open();
    expect(store.recordsCompletions).toBe(true);
    const saved = await store.save(message('1843563473929170944', 1));
    expect(await outboxRows(store.schema)).toEqual([
      { once_key: 'spool:completed:1843563473929170944', attempts: 0, last_error: null },
    ]);
    const broker = new OnceMemoryBroker();
    const relay = store.createRelay(broker);
    expect(await relay.relayOnce()).toEqual({ claimed: 1, relayed: 1, duplicates: 0, failed: [] });
    const records = await completed(broker);
    expect(records).toEqual([completionFields(saved, true)]);
    expect(Object.keys(records[0]!)).toEqual([
      'messageId',
      'channelId',
      'channelType',
      'reason',
      'persisted',
    ]);
    expect(await outboxRows(store.schema)).toEqual([]);
    expect((await store.stats()).outboxBacklog).toBe(0);
  });

  it('records nothing with completions: false', async () => {
    const store = await open(undefined, { completions: false });
    expect(store.recordsCompletions).toBe(false);
    await store.save(message('1'));
    expect(await outboxRows(store.schema)).toEqual([]);
  });

  it('gives one record to a message saved again, before and after the relay ran (retried saves)', async () => {
    const store = await open();
    const broker = new OnceMemoryBroker();
    const relay = store.createRelay(broker);
    await store.save(message('5'));
    await store.save(message('5'));
    expect(await outboxRows(store.schema)).toHaveLength(1);
    expect(await relay.relayAll()).toMatchObject({ relayed: 1, duplicates: 0 });
    await store.save(message('5'));
    expect(await relay.relayAll()).toMatchObject({ relayed: 1, duplicates: 1 });
    expect(await completed(broker)).toHaveLength(1);
  });

  it('survives a relay process killed after the broker has the record and before the delete commits', async () => {
    const store = await open();
    for (const id of ['1', '2', '3']) await store.save(message(id));
    const records = tableBroker(admin, store.schema);
    await records.setup();
    const child = spawnChild('./relay-crash-child.ts', {
      DATABASE_URL: TEST_DATABASE_URL,
      SCHEMA: store.schema,
    });
    children.push(child);
    expect(await child.exited).toMatchObject({ signal: 'SIGKILL' });
    // The dead relay's transaction ends when PostgreSQL notices the closed socket; wait for
    // that (terminating is idempotent) so its row locks are gone.
    await admin.query(
      `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = 'relay-crash-child'`,
    );
    const count = async () =>
      Number(
        (await admin.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${store.schema}".records`))
          .rows[0]!.n,
      );
    expect(await count()).toBe(1);
    expect(await outboxRows(store.schema)).toHaveLength(3);
    const result = await store.createRelay(records).relayAll();
    expect(result).toMatchObject({ claimed: 3, relayed: 3, duplicates: 1, failed: [] });
    expect(await count()).toBe(3);
    expect(await outboxRows(store.schema)).toEqual([]);
  });

  it('survives losing the database connection after the broker has the record', async () => {
    const app = `relay-${uniqueSchema()}`;
    const store = await open(undefined, { applicationName: app });
    for (const id of ['1', '2', '3']) await store.save(message(id));
    const broker = new OnceMemoryBroker();
    let cut = false;
    broker.before = async () => {
      if (cut) return;
      cut = true;
      await admin.query(
        'SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = $1',
        [app],
      );
    };
    const relay = store.createRelay(broker);
    await expect(relay.relayOnce()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(await outboxRows(store.schema)).toHaveLength(3);
    expect(await relay.relayAll()).toMatchObject({ relayed: 3, duplicates: 3 });
    expect(await completed(broker)).toHaveLength(3);
    expect([...broker.calls.values()]).toEqual([2, 2, 2]);
  });

  it('lets two relays share the outbox: SKIP LOCKED hands each row to one of them', async () => {
    const a = await open();
    const b = await open(a.schema);
    for (let i = 1; i <= 100; i++) await a.save(message(String(i)));
    const shared = new OnceMemoryBroker();
    let bStarted!: () => void;
    const bRunning = new Promise<void>((resolve) => {
      bStarted = resolve;
    });
    let aClaimed!: () => void;
    const aHolding = new Promise<void>((resolve) => {
      aClaimed = resolve;
    });
    const via = (hook: () => Promise<void> | void): OutboxBroker => ({
      async xaddOnce(key, onceKey, fields) {
        await hook();
        return shared.xaddOnce(key, onceKey, fields);
      },
    });
    // A claims a batch and holds it until B has claimed one of its own: with plain FOR
    // UPDATE, B would wait for A's rows (and A for B: a deadlock); without it, B would take them too.
    const relayA = a.createRelay(
      via(async () => {
        aClaimed();
        await bRunning;
      }),
      { batchSize: 20 },
    );
    const relayB = b.createRelay(via(bStarted), { batchSize: 20 });
    const runA = relayA.relayAll();
    await aHolding;
    const [ra, rb] = await Promise.all([runA, relayB.relayAll()]);
    expect(ra.relayed).toBeGreaterThan(0);
    expect(rb.relayed).toBeGreaterThan(0);
    expect(ra.relayed + rb.relayed).toBe(100);
    expect(ra.duplicates + rb.duplicates).toBe(0);
    expect(shared.calls.size).toBe(100);
    expect([...shared.calls.values()].every((n) => n === 1)).toBe(true);
    expect(await completed(shared)).toHaveLength(100);
  });

  it('keeps rows the broker refused: a transient failure ends the batch, and they go out later, once', async () => {
    const store = await open();
    for (const id of ['1', '2', '3']) await store.save(message(id));
    const broker = new OnceMemoryBroker();
    broker.before = (key) => {
      if (key === 'spool:completed:2') throw new SpoolError('BROKER_UNAVAILABLE', 'redis is restarting');
    };
    const relay = store.createRelay(broker);
    const first = await relay.relayOnce();
    expect(first).toMatchObject({
      claimed: 3,
      relayed: 1,
      failed: [{ onceKey: 'spool:completed:2', error: { code: 'BROKER_UNAVAILABLE' } }],
    });
    expect(await outboxRows(store.schema)).toEqual([
      { once_key: 'spool:completed:2', attempts: 1, last_error: 'redis is restarting' },
      { once_key: 'spool:completed:3', attempts: 0, last_error: null },
    ]);
    broker.before = () => undefined;
    expect(await relay.relayAll()).toMatchObject({ relayed: 2, duplicates: 0, failed: [] });
    // '3' (never failed) goes before '2' (failed once): rows that failed wait behind the others
    expect((await completed(broker)).map((f) => f['messageId'])).toEqual(['1', '3', '2']);
  });

  it('skips a row the broker keeps refusing, and relays newer rows first', async () => {
    const store = await open();
    await store.save(message('1'));
    await store.save(message('2'));
    const broker = new OnceMemoryBroker();
    broker.before = (key) => {
      if (key === 'spool:completed:1') throw new SpoolError('WRONGTYPE', 'the key holds a list');
    };
    const relay = store.createRelay(broker, { batchSize: 1 });
    expect(await relay.relayOnce()).toMatchObject({ relayed: 0, failed: [{ onceKey: 'spool:completed:1' }] });
    expect(await relay.relayOnce()).toMatchObject({ relayed: 1, failed: [] });
    await store.save(message('3'));
    expect(await relay.relayOnce()).toMatchObject({ relayed: 1, failed: [] });
    expect((await completed(broker)).map((f) => f['messageId'])).toEqual(['2', '3']);
    expect(await outboxRows(store.schema)).toEqual([
      { once_key: 'spool:completed:1', attempts: 1, last_error: 'the key holds a list' },
    ]);
  });

  it('gives up on a broker call that hangs after brokerTimeoutMs, and keeps the row', async () => {
    const store = await open();
    await store.save(message('1'));
    const clock = createManualClock(0);
    const broker = new OnceMemoryBroker();
    let called!: () => void;
    const calledOnce = new Promise<void>((resolve) => {
      called = resolve;
    });
    broker.before = () => {
      called();
      return new Promise<void>(() => undefined);
    };
    const relay = store.createRelay(broker, { clock, brokerTimeoutMs: 1000 });
    const run = relay.relayOnce();
    await calledOnce;
    clock.advance(999);
    clock.advance(1);
    expect(await run).toMatchObject({ relayed: 0, failed: [{ error: { code: 'TIMEOUT' } }] });
    expect(await outboxRows(store.schema)).toMatchObject([{ once_key: 'spool:completed:1', attempts: 1 }]);
  });

  it('started, relays what a save commits at once, what other processes commit on its next poll, and reports failures', async () => {
    const store = await open();
    const other = await open(store.schema);
    const broker = new OnceMemoryBroker();
    let failures = 1;
    broker.before = () => {
      if (failures-- > 0) throw new SpoolError('BROKER_UNAVAILABLE', 'not yet');
    };
    const errors: string[] = [];
    const relay = store.createRelay(broker, {
      pollIntervalMs: 20,
      maxBackoffMs: 40,
      onError: (e) => errors.push(e.code),
    });
    relay.start();
    const first = untilCalls(broker, 1);
    await store.save(message('1'));
    await first;
    const second = untilCalls(broker, 2);
    await other.save(message('2'));
    await second;
    await relay.stop();
    expect(relay.running).toBe(false);
    expect(errors).toEqual(['BROKER_UNAVAILABLE']);
    expect((await completed(broker)).map((f) => f['messageId'])).toEqual(['1', '2']);
    expect(await outboxRows(store.schema)).toEqual([]);
  });

  it('validates its options eagerly', async () => {
    const store = await open();
    const broker = new OnceMemoryBroker();
    for (const bad of [
      { batchSize: 0 },
      { batchSize: 1.5 },
      { pollIntervalMs: -1 },
      { brokerTimeoutMs: Number.NaN },
      { schema: 'Bad' },
    ])
      expect(() => store.createRelay(broker, bad)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION' }),
      );
    expect(() => store.createRelay({} as OutboxBroker)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});
