import { PGlite } from '@electric-sql/pglite';
import { COMPLETED_STREAM } from '@spool/core';
import { storeContract } from '@spool/core/testing';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { OnceMemoryBroker } from './outbox-test-brokers';
import { uniqueSchema } from './pg-test-env';
import { pgliteRunner } from './pglite-runner';
import { PostgresMessageStore } from './postgres-message-store';

// One PGlite per file: it takes seconds of CPU to start (the first test's hook pays it,
// hence the longer hook timeout on a loaded machine). Each test gets its own schema in it.
vi.setConfig({ hookTimeout: 120_000 });
let db: Promise<PGlite> | undefined;
afterAll(async () => {
  await (await db)?.close();
});

storeContract('PostgresMessageStore on PGlite', async () => {
  db ??= PGlite.create();
  const instance = await db;
  const schema = uniqueSchema();
  const store = await PostgresMessageStore.open(pgliteRunner(instance), { schema });
  return { store, cleanup: async () => void (await instance.query(`DROP SCHEMA "${schema}" CASCADE`)) };
});

describe('the outbox on PGlite', () => {
  it('records completions with the save and relays each once, also for a message saved again', async () => {
    db ??= PGlite.create();
    const instance = await db;
    const schema = uniqueSchema();
    const store = await PostgresMessageStore.open(pgliteRunner(instance), { schema });
    try {
      const message = {
        messageId: '1843563473929170944',
        channelId: 'general',
        channelType: 1,
        meta: { messageId: '1843563473929170944', channelId: 'general', channelType: 1 },
        text: 'hi',
        lastChunkId: 0,
        reason: 'success' as const,
        firstEventId: '1-0',
        lastEventId: '1-1',
      };
      await store.save(message);
      await store.save({ ...message, messageId: '2', meta: { ...message.meta, messageId: '2' } });
      const broker = new OnceMemoryBroker();
      const relay = store.createRelay(broker, { schema });
      expect(await relay.relayAll()).toMatchObject({ relayed: 2, duplicates: 0, failed: [] });
      await store.save(message);
      expect(await relay.relayAll()).toMatchObject({ relayed: 1, duplicates: 1 });
      expect(await broker.xlen(COMPLETED_STREAM)).toBe(2);
      expect(await store.stats()).toMatchObject({ kind: 'pglite', messages: 2, outboxBacklog: 0 });
    } finally {
      await store.close();
      await instance.query(`DROP SCHEMA "${schema}" CASCADE`);
    }
  });
});
