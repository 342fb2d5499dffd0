/**
 * RedisTopicLog (`@spool/server/redis`) on real Redis:
 * - append throughput at 16 events per event-loop turn: the log, whose appends of one turn
 *   share one script call, against bare pipelined `XADD`s of the same fields on the same
 *   connection (target ≥ 0.8x); also the log with one call per event (each append awaited);
 * - catchup: `read(after, 100)` on a stream of 1,000,000 entries against one of 1,000
 *   (XRANGE is O(log n + k): target ≤ 1.5x), with a bare XRANGE of the same page for
 *   contrast (the log's read adds the floor, `holdsAfter` and building the events);
 * - Redis commands per appended event, from `INFO commandstats` (the script's own commands
 *   included), and round trips per event counted at the client.
 *
 * It starts a private `redis-server` on a free port (no persistence), so the command counts
 * are this benchmark's alone and the million-entry stream never loads a shared server;
 * `SPOOL_BENCH_REDIS_URL` points it at another Redis instead (keys under a unique prefix,
 * deleted at the end).
 */
import { randomUUID } from 'node:crypto';
import { type EventId, MIN_EVENT_ID, type TrimRules } from '@spool/core';
import { encodeTopicPayload, resolveTopicRetention } from '@spool/core/internal';
import { RedisTopicLog } from '@spool/server/redis';
import { Redis } from 'ioredis';
import { type BenchOutput, median, pick, report, type Table } from './harness';
import { commandCount, redisCpuUs, startRedis } from './redis-server';

const TURN = 16;
const TURNS_PER_SAMPLE = pick(500, 100);
const SAMPLES = pick(7, 3);
const BIG = pick(1_000_000, 100_000);
const READS = pick(2_000, 500);
const prefix = `spool-bench:${randomUUID()}:`;
/** Roughly a chat delta's data. */
const DATA = { messageId: '1843563473929170944', chunkId: 0, text: 'hello there, ' };

const keepAll: TrimRules = {
  ...resolveTopicRetention({ maxEvents: 10_000_000, maxBytes: 2 ** 40, maxAgeMs: Number.POSITIVE_INFINITY }),
  isPinned: () => false,
};

type Subject = 'batched' | 'per-event' | 'xadd';

/** Appends TURN events per turn for TURNS_PER_SAMPLE turns; returns events/s and commands/event. */
async function appendSample(
  subject: Subject,
  client: Redis,
  admin: Redis,
  round: number,
): Promise<{ rate: number; commands: number; trips: number; nodeUs: number; redisUs: number }> {
  const topic = `bench.append.${subject}.${round}`;
  const payload = encodeTopicPayload('msg.delta', DATA);
  let trips = 0;
  let log: RedisTopicLog | undefined;
  const key = `${prefix}bare.${round}`;
  if (subject !== 'xadd') log = await RedisTopicLog.open(client, topic, { keyPrefix: prefix });
  const before = await commandCount(admin);
  const redisBefore = await redisCpuUs(admin);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (let turn = 0; turn < TURNS_PER_SAMPLE; turn++) {
    if (subject === 'batched') {
      const pending = [];
      for (let i = 0; i < TURN; i++) pending.push(log!.append(payload, keepAll));
      await Promise.all(pending);
      trips++;
    } else if (subject === 'per-event') {
      for (let i = 0; i < TURN; i++) {
        await log!.append(payload, keepAll);
        trips++;
      }
    } else {
      // The peer: what a hand-written client sends for the same events, one pipeline per turn.
      const pipeline = client.pipeline();
      for (let i = 0; i < TURN; i++) pipeline.xadd(key, '*', 'e', payload.event, 'd', payload.json);
      await pipeline.exec();
      trips++;
    }
  }
  const secs = (performance.now() - t0) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  const events = TURN * TURNS_PER_SAMPLE;
  const redisUs = (await redisCpuUs(admin)) - redisBefore;
  // INFO calls made between the two counts are excluded by name.
  const commands = (await commandCount(admin)) - before;
  return {
    rate: events / secs,
    commands: commands / events,
    trips: trips / events,
    nodeUs: (user + system) / events,
    redisUs: redisUs / events,
  };
}

async function appendThroughput(url: string, admin: Redis, shared: boolean): Promise<Table[]> {
  // One connection, as a server process shares one between its topics; RESP2 like RedisBroker.
  const client = new Redis(url, { protocol: 2, enableAutoPipelining: true });
  const subjects: Subject[] = ['batched', 'xadd', 'per-event'];
  const empty = () => ({ rate: [], commands: [], trips: [], nodeUs: [], redisUs: [] });
  const samples: Record<Subject, Record<'rate' | 'commands' | 'trips' | 'nodeUs' | 'redisUs', number[]>> = {
    batched: empty(),
    'per-event': empty(),
    xadd: empty(),
  };
  // Warm-up, then samples alternate between the subjects so noise hits them alike.
  for (let round = -2; round < SAMPLES; round++) {
    for (const subject of subjects) {
      const s = await appendSample(subject, client, admin, round + 2);
      if (round >= 0) {
        samples[subject].rate.push(s.rate);
        samples[subject].commands.push(s.commands);
        samples[subject].trips.push(s.trips);
        samples[subject].nodeUs.push(s.nodeUs);
        samples[subject].redisUs.push(s.redisUs);
      }
    }
  }
  client.disconnect();
  const rate = (s: Subject) => median(samples[s].rate);
  const throughput = report(
    `RedisTopicLog append throughput: ${TURN} events per event-loop turn (median of ${SAMPLES})`,
    [
      {
        name: `RedisTopicLog, one script call per turn`,
        value: rate('batched'),
        unit: 'events/s',
        peer: 'bare pipelined XADD',
        ratio: rate('batched') / rate('xadd'),
        target: '≥ 0.8x',
      },
      { name: 'bare pipelined XADD (one pipeline per turn)', value: rate('xadd'), unit: 'events/s' },
      {
        name: 'RedisTopicLog, one script call per event (awaited)',
        value: rate('per-event'),
        unit: 'events/s',
        peer: 'bare pipelined XADD',
        ratio: rate('per-event') / rate('xadd'),
      },
    ],
  );
  const cost = report(
    `Redis cost per appended event at ${TURN} events per turn${shared ? ' (shared Redis: counts include other clients)' : ''}`,
    [
      {
        name: 'RedisTopicLog batched: Redis commands per event (INFO commandstats)',
        value: median(samples.batched.commands),
        unit: 'commands',
      },
      {
        name: 'RedisTopicLog batched: round trips per event',
        value: median(samples.batched.trips),
        unit: 'trips',
      },
      {
        name: 'RedisTopicLog per event: Redis commands per event',
        value: median(samples['per-event'].commands),
        unit: 'commands',
      },
      { name: 'bare XADD: Redis commands per event', value: median(samples.xadd.commands), unit: 'commands' },
      {
        name: 'RedisTopicLog batched: Redis CPU per event (INFO cpu)',
        value: median(samples.batched.redisUs),
        unit: 'µs',
        peer: 'bare XADD',
        ratio: median(samples.batched.redisUs) / median(samples.xadd.redisUs),
      },
      { name: 'bare XADD: Redis CPU per event', value: median(samples.xadd.redisUs), unit: 'µs' },
      {
        name: 'RedisTopicLog batched: Node CPU per event (this process)',
        value: median(samples.batched.nodeUs),
        unit: 'µs',
        peer: 'bare XADD',
        ratio: median(samples.batched.nodeUs) / median(samples.xadd.nodeUs),
      },
      { name: 'bare XADD: Node CPU per event', value: median(samples.xadd.nodeUs), unit: 'µs' },
    ],
  );
  return [throughput, cost];
}

/** A log of `n` events, filled 1,000 appends per turn (one script call each). */
async function filledLog(client: Redis, n: number): Promise<{ log: RedisTopicLog; ids: EventId[] }> {
  const log = await RedisTopicLog.open(client, `bench.catchup.${n}`, { keyPrefix: prefix });
  const payload = encodeTopicPayload('msg.delta', DATA);
  const ids: EventId[] = [];
  for (let done = 0; done < n; ) {
    const count = Math.min(1_000, n - done);
    const batch = [];
    for (let i = 0; i < count; i++) batch.push(log.append(payload, keepAll));
    for (const ev of await Promise.all(batch)) ids.push(ev.id);
    done += count;
  }
  return { log, ids };
}

/** IDs to resume after, spread over the middle half of the log, as fresh strings. */
function resumePoints(ids: EventId[], count: number): EventId[] {
  const n = ids.length;
  return Array.from({ length: count }, (_, r) => `${ids[Math.floor(n / 4 + ((r * 7919) % (n / 2)))]!}`);
}

/** µs per `read(after, 100)`, one read at a time (each a round trip), over the points. */
async function timeReads(log: RedisTopicLog, points: EventId[]): Promise<number> {
  const t0 = performance.now();
  for (const after of points) {
    const page = await log.read(after, 100);
    if (page.events.length !== 100 || !page.holdsAfter) throw new Error('short page');
  }
  return ((performance.now() - t0) * 1000) / points.length;
}

/** The contrast: µs per bare `XRANGE key (after + COUNT 100` on the same stream, raw replies. */
async function timeBareReads(client: Redis, key: string, points: EventId[]): Promise<number> {
  const t0 = performance.now();
  for (const after of points) {
    const page = await client.xrange(key, `(${after}`, '+', 'COUNT', 100);
    if (page.length !== 100) throw new Error('short bare page');
  }
  return ((performance.now() - t0) * 1000) / points.length;
}

async function catchupCost(url: string): Promise<Table> {
  const client = new Redis(url, { protocol: 2, enableAutoPipelining: true });
  const small = await filledLog(client, 1_000);
  const big = await filledLog(client, BIG);
  if ((await big.log.read(MIN_EVENT_ID, 0)).floor !== big.log.creationFloor)
    throw new Error('big log trimmed');
  const smallPoints = resumePoints(small.ids, READS);
  const bigPoints = resumePoints(big.ids, READS);
  const smallSamples: number[] = [];
  const bigSamples: number[] = [];
  const bareSamples: number[] = [];
  for (let s = -1; s < SAMPLES; s++) {
    const a = await timeReads(small.log, smallPoints);
    const b = await timeReads(big.log, bigPoints);
    const c = await timeBareReads(client, big.log.keys.stream, bigPoints);
    if (s >= 0) {
      smallSamples.push(a);
      bigSamples.push(b);
      bareSamples.push(c);
    }
  }
  client.disconnect();
  const smallUs = median(smallSamples);
  const bigUs = median(bigSamples);
  const bareUs = median(bareSamples);
  return report('RedisTopicLog catchup: 100 events after an ID (median µs per read, one at a time)', [
    { name: 'RedisTopicLog.read, stream of 1,000', value: smallUs, unit: 'µs' },
    {
      name: `RedisTopicLog.read, stream of ${BIG.toLocaleString('en-US')}`,
      value: bigUs,
      unit: 'µs',
      peer: 'stream of 1,000',
      ratio: bigUs / smallUs,
      target: '≤ 1.5x',
    },
    {
      name: `bare XRANGE (COUNT 100), stream of ${BIG.toLocaleString('en-US')} (contrast)`,
      value: bareUs,
      unit: 'µs',
      peer: 'RedisTopicLog.read on the same stream',
      ratio: bareUs / bigUs,
    },
  ]);
}

async function deleteKeys(admin: Redis): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await admin.del(...keys);
  } while (cursor !== '0');
}

export default async function run(): Promise<BenchOutput> {
  const redis = await startRedis();
  const admin = new Redis(redis.url, { protocol: 2 });
  try {
    const tables = [
      ...(await appendThroughput(redis.url, admin, redis.shared)),
      await catchupCost(redis.url),
    ];
    return {
      tables,
      notes: [
        `Each turn appends ${TURN} chat deltas of ${encodeTopicPayload('msg.delta', DATA).size} bytes to one topic on one connection (RESP2, auto-pipelining). Retention is not reached, so the script trims nothing; the commands per event count the script's own (EXISTS, HMGET, one XADD per event, XLEN, HSET) and the EVALSHA.`,
        redis.shared
          ? 'Redis is shared (SPOOL_BENCH_REDIS_URL): INFO commandstats counts every client, so the commands per event include other work.'
          : 'Redis is a private redis-server (7.0, no persistence) started by the benchmark, so INFO commandstats counts this benchmark alone.',
      ],
    };
  } finally {
    await deleteKeys(admin).catch(() => {});
    admin.disconnect();
    await redis.stop();
  }
}
