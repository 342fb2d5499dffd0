/**
 * The cost per chunk of the message owner records (docs/architecture.md, "Messages across
 * instances"), on real Redis: the fenced chunk script (owner check, chunk dedupe, text,
 * counters in one EVALSHA) against a bare `HSET` of the same chunk (no check, no dedupe),
 * both awaited one at a time (a producer's chunks are sequential) and 16 in flight; plus
 * round trips per chunk counted at the client, and the read of a 1,000-chunk message.
 *
 * Not part of `pnpm bench` (it reads server internals): run it on its own, from bench/:
 *   node --import tsx/esm --conditions=@spool/source message-records.ts
 * `SPOOL_BENCH_REDIS_URL` picks the Redis (default 127.0.0.1:6379); keys live under a unique
 * prefix and are deleted at the end.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { MessageRecords } from '../packages/server/src/cluster/message-records';

const url = process.env['SPOOL_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `spool-bench:${randomUUID()}:`;
const CHUNKS = 5_000;
const TEXT = 'hello there, ';

async function main(): Promise<void> {
  const redis = new Redis(url, { protocol: 2 });
  let calls = 0;
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command, stream) => {
    calls++;
    return send(command, stream);
  };
  const self = { instanceId: 'bench', incarnation: randomUUID() };
  const records = new MessageRecords(redis, prefix, self);
  const meta = { messageId: '1', channelId: 'bench', channelType: 1 };
  let next = 1;
  const open = async () => {
    const id = String(next++);
    await records.claim(id, 'chan:1:bench', { ...meta, messageId: id }, 'u:bench');
    return id;
  };

  const rows: string[] = [];
  const measure = async (name: string, fn: (i: number) => Promise<unknown>, inFlight: number) => {
    const before = calls;
    const t0 = performance.now();
    for (let i = 0; i < CHUNKS; i += inFlight) {
      const batch: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(CHUNKS, i + inFlight); j++) batch.push(fn(j));
      await Promise.all(batch);
    }
    const ms = performance.now() - t0;
    rows.push(
      `| ${name} | ${inFlight} | ${((ms * 1000) / CHUNKS).toFixed(1)} µs | ${((calls - before) / CHUNKS).toFixed(2)} |`,
    );
  };

  // Warm up: the script is loaded (EVAL once on NOSCRIPT), the connection and the JIT are hot.
  const warm = await open();
  for (let i = 0; i < 1000; i++) await records.append(warm, i, TEXT);
  for (let i = 0; i < 1000; i++) await redis.hset(`${prefix}warm`, String(i), TEXT);

  for (const inFlight of [1, 16]) {
    const id = await open();
    await measure('fenced chunk script', (i) => records.append(id, i, TEXT), inFlight);
    const bare = `${prefix}bare:${inFlight}`;
    await measure('bare HSET (no check)', (i) => redis.hset(bare, String(i), `t${TEXT}`), inFlight);
  }

  const big = await open();
  for (let i = 0; i < 1000; i++) await records.append(big, i, TEXT);
  const reads = 200;
  const t0 = performance.now();
  for (let i = 0; i < reads; i++) await records.read(big);
  const readUs = ((performance.now() - t0) * 1000) / reads;

  console.log(`Redis ${url.replace(/\/\/.*@/, '//***@')}, ${CHUNKS} chunks of ${TEXT.length} bytes each\n`);
  console.log('| write | in flight | per chunk | round trips per chunk |');
  console.log('| --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
  console.log(`\nread of a 1,000-chunk open message (record + chunks, text joined): ${readUs.toFixed(0)} µs`);

  let cursor = '0';
  do {
    const [c, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = c;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}

await main();
