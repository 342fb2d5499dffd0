/**
 * `spool serve` as a cluster member, for the process tests: the real CLI (`runCli`), with a
 * membership double whose deaths the test declares over Redis pub/sub (`<prefix>test:dead`)
 * and whose takeover claim is the real `SET NX`. Heartbeats are not this test's subject.
 * Prints `{ instanceId, incarnation }` as its first line.
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { runCli } from '../../cli/run-cli';
import { TestMembership } from '../cluster-test-kit';

const url = process.env['SPOOL_REDIS_URL']!;
const prefix = process.env['SPOOL_REDIS_PREFIX'] ?? '';
const instanceId = process.env['SPOOL_TEST_INSTANCE'] ?? randomUUID();
const redis = new Redis(url, { protocol: 2 });
const subscriber = new Redis(url, { protocol: 2 });
const membership = new TestMembership({ instanceId, incarnation: randomUUID() }, redis, prefix);
await membership.listenForDeaths(subscriber);
process.stdout.write(`${JSON.stringify(membership.self)}\n`);

process.exitCode = await runCli(
  process.argv.slice(2),
  process.env,
  { dashboardDir: join(tmpdir(), 'spool-no-dashboard'), membership },
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    onSignal: (signal, listener) => process.on(signal, listener),
  },
);
redis.disconnect();
subscriber.disconnect();
process.exit();
