import { PGlite } from '@electric-sql/pglite';
import { storeContract } from '@spool/core/testing';
import { afterAll, vi } from 'vitest';
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
