/**
 * Child process of outbox-relay.test.ts: relays SCHEMA's outbox to the table broker and
 * dies by SIGKILL right after the broker holds the first record, before the relay's
 * transaction deletes the row and commits: the crash window the outbox must survive.
 */
import { connectPostgresStore } from '../connect';
import { tableBroker } from '../outbox-test-brokers';
import { createPgPool } from '../pg-runner';

const url = process.env['DATABASE_URL']!;
const schema = process.env['SCHEMA']!;
const store = await connectPostgresStore({
  connectionString: url,
  schema,
  pool: { application_name: 'relay-crash-child' },
});
const records = tableBroker(createPgPool({ connectionString: url, max: 1 }), schema);
const relay = store.createRelay({
  async xaddOnce(key, onceKey, fields) {
    const r = await records.xaddOnce(key, onceKey, fields);
    process.kill(process.pid, 'SIGKILL');
    return r;
  },
});
await relay.relayOnce();
console.log('the relay survived its own SIGKILL');
