/**
 * Child process of migrate.test.ts: connects, says "ready", waits for "go" on stdin (so two
 * children start migrating together), migrates SCHEMA and prints the result as JSON.
 */
import { createInterface } from 'node:readline';
import { migrate } from '../migrate';
import { createPgPool, pgRunner } from '../pg-runner';

const pool = createPgPool({ connectionString: process.env['DATABASE_URL']!, max: 1 });
const runner = pgRunner(pool, { owned: true });
await runner.query('SELECT 1');
console.log('ready');
const input = createInterface({ input: process.stdin });
for await (const line of input) {
  if (line !== 'go') continue;
  try {
    console.log(JSON.stringify(await migrate(runner, { schema: process.env['SCHEMA']! })));
  } catch (err) {
    console.log(JSON.stringify({ error: String(err) }));
  }
  break;
}
input.close();
await runner.close();
