import { storeContract } from '@spool/core/testing';
import { afterAll } from 'vitest';
import { connectPostgresStore } from './connect';
import { adminPool, dropSchema, TEST_DATABASE_URL, uniqueSchema } from './pg-test-env';

const admin = adminPool();
afterAll(() => admin.end());

storeContract('PostgresMessageStore on PostgreSQL', async () => {
  const schema = uniqueSchema();
  const store = await connectPostgresStore({ connectionString: TEST_DATABASE_URL, schema, pool: { max: 4 } });
  return { store, cleanup: () => dropSchema(admin, schema) };
});
