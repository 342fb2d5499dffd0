import type { StoredMessageInput } from '@spool/core';
import { storeContract } from '@spool/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from './__tests__/tcp-proxy';
import { connectPostgresStore } from './connect';
import { OnceMemoryBroker } from './outbox-test-brokers';
import { pgRunner } from './pg-runner';
import { adminPool, dropSchema, TEST_DATABASE_URL, uniqueSchema } from './pg-test-env';
import { PostgresMessageStore } from './postgres-message-store';
import type { SqlRunner } from './sql-runner';

const admin = adminPool();
afterAll(() => admin.end());

storeContract('PostgresMessageStore on PostgreSQL', async () => {
  const schema = uniqueSchema();
  const store = await connectPostgresStore({ connectionString: TEST_DATABASE_URL, schema, pool: { max: 4 } });
  return { store, cleanup: () => dropSchema(admin, schema) };
});

function message(id: number): StoredMessageInput {
  const messageId = String(id);
  return {
    messageId,
    channelId: 'general',
    channelType: 1,
    meta: { messageId, channelId: 'general', channelType: 1 },
    text: `text ${id}`,
    lastChunkId: 0,
    reason: 'success',
    firstEventId: `1-${id}`,
    lastEventId: `2-${id}`,
  };
}

describe('PostgresMessageStore on PostgreSQL: batching, shutdown and outages', () => {
  const schemas: string[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    for (const s of schemas.splice(0)) await dropSchema(admin, s);
  });
  const schema = () => {
    const s = uniqueSchema();
    schemas.push(s);
    return s;
  };

  it('writes a burst of 1,000 concurrent saves in a few transactions (group commit), losing none', async () => {
    const inner = pgRunner(admin);
    let transactions = 0;
    const counting: SqlRunner = {
      ...inner,
      transaction: (fn) => {
        transactions++;
        return inner.transaction(fn);
      },
    };
    const store = await PostgresMessageStore.open(counting, { schema: schema(), maxBatchSize: 500 });
    cleanups.push(() => store.close());
    transactions = 0;
    await Promise.all(Array.from({ length: 1000 }, (_, i) => store.save(message(i + 1))));
    // saves made in one tick share a batch: two batches of at most 500, one transaction each
    expect(transactions).toBe(2);
    expect(await store.stats()).toMatchObject({ messages: 1000, outboxBacklog: 1000, queuedSaves: 0 });
    const all = await store.listAfter({ channelId: 'general', channelType: 1 }, '0-0', { limit: 10_000 });
    expect(all.map((m) => m.messageId)).toEqual(Array.from({ length: 1000 }, (_, i) => String(i + 1)));
  });

  it('lets saves in flight commit when closed', async () => {
    const s = schema();
    const store = await connectPostgresStore({ connectionString: TEST_DATABASE_URL, schema: s });
    const saves = Array.from({ length: 50 }, (_, i) => store.save(message(i + 1)));
    await store.close();
    await Promise.all(saves);
    const { rows } = await admin.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${s}".messages`);
    expect(rows[0]!.n).toBe('50');
  });

  it('survives an idle connection killed by the server: reported, not fatal, and the next query works', async () => {
    const app = `idle-${uniqueSchema()}`;
    let reported!: (code: string) => void;
    const report = new Promise<string>((resolve) => {
      reported = resolve;
    });
    const store = await connectPostgresStore({
      connectionString: TEST_DATABASE_URL,
      schema: schema(),
      pool: { max: 1, application_name: app },
      onPoolError: (err) => reported(err.code),
    });
    cleanups.push(() => store.close());
    await store.save(message(1));
    await admin.query(
      'SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = $1',
      [app],
    );
    expect(await report).toBe('STORE_UNAVAILABLE');
    expect((await store.get('1'))?.text).toBe('text 1');
  });

  describe('behind a TCP proxy the test controls', () => {
    let proxy: TcpProxy;
    afterEach(async () => {
      await proxy?.close();
    });

    async function storeBehindProxy(s: string) {
      proxy = await startTcpProxy(Number(new URL(TEST_DATABASE_URL).port || 5432));
      const url = new URL(TEST_DATABASE_URL);
      url.port = String(proxy.port);
      const store = await connectPostgresStore({
        connectionString: url.toString(),
        schema: s,
        pool: { max: 2, connectionTimeoutMillis: 5_000, query_timeout: 2_000 },
      });
      cleanups.push(() => store.close());
      return store;
    }

    it('fails saves with STORE_UNAVAILABLE while PostgreSQL is unreachable, then saves once it is back, with one record', async () => {
      const s = schema();
      const store = await storeBehindProxy(s);
      await store.save(message(1));
      proxy.cut();
      await expect(store.save(message(2))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      await expect(store.listBefore({ channelId: 'general', channelType: 1 })).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
      });
      proxy.restore();
      await store.save(message(2));
      const broker = new OnceMemoryBroker();
      expect(await store.createRelay(broker).relayAll()).toMatchObject({ relayed: 2, duplicates: 0 });
      expect((await broker.xrange('spool:completed', '-', '+')).map((e) => e.fields!['messageId'])).toEqual([
        '1',
        '2',
      ]);
    });

    it('fails a save on a network gone silent after query_timeout, and recovers on a fresh connection', async () => {
      const s = schema();
      const store = await storeBehindProxy(s);
      await store.save(message(1));
      proxy.stall();
      await expect(store.save(message(2))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      proxy.cut();
      proxy.restore();
      await store.save(message(2));
      expect(
        (await store.listBefore({ channelId: 'general', channelType: 1 })).items.map((m) => m.messageId),
      ).toEqual(['2', '1']);
    });
  });
});
