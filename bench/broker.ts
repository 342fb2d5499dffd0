/**
 * StreamBroker throughput: MemoryBroker and RedisBroker (real Redis at 127.0.0.1:6379),
 * against a bare ioredis client issuing the same Redis commands, all in one run.
 *
 * Concurrency mode, the same for all three:
 * - XADD: one producer keeping 64 commands in flight (64 loops awaiting one XADD each).
 * - consume cycle: 16 consumers of one group, each looping XREADGROUP COUNT 100 (not
 *   blocking) then XACK of the IDs it got, until the preloaded stream is drained.
 * The bare client uses the same connection settings as RedisBroker (RESP2, auto-pipelining
 * on) and reads raw reply arrays; RedisBroker also builds the `{ id, fields }` objects of
 * its interface, which is part of what the ratio measures.
 *
 * `redis-benchmark -P 16 XADD` is printed as the wire ceiling. Keys live under a unique
 * prefix and are deleted after every sample. Figures are medians of SAMPLES rounds that
 * interleave the three subjects (this machine has 2 cores shared with other work, so wall
 * clock rates swing; the client CPU time per operation is printed too, as a steadier view
 * of what the abstraction costs).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { MemoryBroker, type StreamBroker } from '@spool/core';
import { RedisBroker } from '@spool/server';
import { Redis } from 'ioredis';
import { median, report } from './harness';

const URL = process.env['SPOOL_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SAMPLES = 9;
const XADD_TOTAL = 100_000;
const XADD_IN_FLIGHT = 64;
const CYCLE_MESSAGES = 100_000;
const CONSUMERS = 16;
const BATCH = 100;
const prefix = `spool-bench:${randomUUID()}:`;

/** Anything that can add an entry and do one read+ack cycle; returns messages acked. */
interface Subject {
  xadd(key: string): Promise<unknown>;
  preload(key: string, n: number): Promise<void>;
  createGroup(key: string): Promise<void>;
  cycle(key: string, consumer: string): Promise<number>;
  del(key: string): Promise<void>;
}

function brokerSubject(broker: StreamBroker, del: (key: string) => Promise<void>): Subject {
  return {
    xadd: (key) => broker.xadd(key, { f: 'v' }),
    async preload(key, n) {
      const batch: Array<Promise<unknown>> = [];
      for (let i = 0; i < n; i++) {
        batch.push(broker.xadd(key, { f: 'v' }));
        if (batch.length === 1_000) await Promise.all(batch.splice(0));
      }
      await Promise.all(batch);
    },
    createGroup: (key) => broker.xgroupCreate(key, 'g', '0'),
    async cycle(key, consumer) {
      const reply = await broker.xreadgroup('g', consumer, [[key, '>']], { count: BATCH });
      const entries = reply?.[0]?.entries ?? [];
      if (entries.length === 0) return 0;
      return broker.xack(
        key,
        'g',
        entries.map((e) => e.id),
      );
    },
    del,
  };
}

function bareSubject(redis: Redis): Subject {
  return {
    xadd: (key) => redis.call('XADD', key, '*', 'f', 'v'),
    async preload(key, n) {
      for (let done = 0; done < n; done += 1_000) {
        const pipe = redis.pipeline();
        for (let i = 0; i < Math.min(1_000, n - done); i++) pipe.call('XADD', key, '*', 'f', 'v');
        await pipe.exec();
      }
    },
    async createGroup(key) {
      await redis.call('XGROUP', 'CREATE', key, 'g', '0');
    },
    async cycle(key, consumer) {
      const reply = (await redis.call(
        'XREADGROUP',
        'GROUP',
        'g',
        consumer,
        'COUNT',
        BATCH,
        'STREAMS',
        key,
        '>',
      )) as Array<[string, Array<[string, string[]]>]> | null;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) return 0;
      return (await redis.call('XACK', key, 'g', ...entries.map((e) => e[0]))) as number;
    },
    del: async (key) => void (await redis.del(key)),
  };
}

let sample = 0;
const nextKey = (name: string) => `${name}:${sample++}`;

/** Rate (per s, wall clock) and this process's CPU time per operation (µs). */
interface Measure {
  rate: number;
  cpuUs: number;
}

async function xaddRate(s: Subject): Promise<Measure> {
  const key = nextKey('xadd');
  let issued = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: XADD_IN_FLIGHT }, async () => {
      while (issued < XADD_TOTAL) {
        issued++;
        await s.xadd(key);
      }
    }),
  );
  const rate = XADD_TOTAL / ((performance.now() - start) / 1000);
  const used = process.cpuUsage(cpu);
  await s.del(key);
  return { rate, cpuUs: (used.user + used.system) / XADD_TOTAL };
}

async function cycleRate(s: Subject): Promise<Measure> {
  const key = nextKey('cycle');
  await s.preload(key, CYCLE_MESSAGES);
  await s.createGroup(key);
  let acked = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONSUMERS }, async (_, c) => {
      for (;;) {
        const n = await s.cycle(key, `c${c}`);
        if (n === 0) return;
        acked += n;
      }
    }),
  );
  const rate = acked / ((performance.now() - start) / 1000);
  const used = process.cpuUsage(cpu);
  if (acked !== CYCLE_MESSAGES) throw new Error(`acked ${acked} of ${CYCLE_MESSAGES}`);
  await s.del(key);
  return { rate, cpuUs: (used.user + used.system) / CYCLE_MESSAGES };
}

function redisBenchmarkCeiling(): number {
  const key = `${prefix}redis-benchmark`;
  const url = new globalThis.URL(URL);
  const out = execFileSync(
    'redis-benchmark',
    [
      '-h',
      url.hostname,
      '-p',
      url.port || '6379',
      '-P',
      '16',
      '-n',
      '200000',
      '-q',
      'XADD',
      key,
      '*',
      'f',
      'v',
    ],
    { encoding: 'utf8' },
  );
  execFileSync('redis-cli', ['-h', url.hostname, '-p', url.port || '6379', 'DEL', key]);
  const m = /([\d.]+) requests per second/.exec(out);
  if (!m) throw new Error(`unexpected redis-benchmark output: ${out}`);
  return Number(m[1]);
}

export default async function run(): Promise<void> {
  const bare = new Redis(URL, { protocol: 2, enableAutoPipelining: true });
  const redisBroker = new RedisBroker({ url: URL, keyPrefix: prefix });
  await redisBroker.ping();
  const memoryBroker = new MemoryBroker();
  const subjects = {
    memory: brokerSubject(memoryBroker, async () => {}),
    redis: brokerSubject(redisBroker, async (key) => void (await bare.del(prefix + key))),
    bare: bareSubject(bare),
  };
  // The bare client's keys get the same prefix by hand.
  const bareSubjectPrefixed: Subject = {
    ...subjects.bare,
    xadd: (key) => subjects.bare.xadd(prefix + key),
    preload: (key, n) => subjects.bare.preload(prefix + key, n),
    createGroup: (key) => subjects.bare.createGroup(prefix + key),
    cycle: (key, c) => subjects.bare.cycle(prefix + key, c),
    del: (key) => subjects.bare.del(prefix + key),
  };

  try {
    // Rounds interleave the three subjects, so that load from other processes on this
    // machine hits them alike; each figure is the median over the rounds.
    const names = ['memory', 'redis', 'bare'] as const;
    const runs = { memory: subjects.memory, redis: subjects.redis, bare: bareSubjectPrefixed };
    const xaddSamples = { memory: [] as Measure[], redis: [] as Measure[], bare: [] as Measure[] };
    const cycleSamples = { memory: [] as Measure[], redis: [] as Measure[], bare: [] as Measure[] };
    for (let round = 0; round <= SAMPLES; round++) {
      for (const name of names) {
        const x = await xaddRate(runs[name]);
        const c = await cycleRate(runs[name]);
        // Round 0 warms up the JIT and the connections.
        if (round > 0) {
          xaddSamples[name].push(x);
          cycleSamples[name].push(c);
        }
      }
    }
    const med = (samples: Measure[], field: keyof Measure) => median(samples.map((m) => m[field]));
    const xadd = {
      memory: med(xaddSamples.memory, 'rate'),
      redis: med(xaddSamples.redis, 'rate'),
      bare: med(xaddSamples.bare, 'rate'),
    };
    const cycle = {
      memory: med(cycleSamples.memory, 'rate'),
      redis: med(cycleSamples.redis, 'rate'),
      bare: med(cycleSamples.bare, 'rate'),
    };
    const cpu = {
      xaddMemory: med(xaddSamples.memory, 'cpuUs'),
      cycleMemory: med(cycleSamples.memory, 'cpuUs'),
      xaddRedis: med(xaddSamples.redis, 'cpuUs'),
      xaddBare: med(xaddSamples.bare, 'cpuUs'),
      cycleRedis: med(cycleSamples.redis, 'cpuUs'),
      cycleBare: med(cycleSamples.bare, 'cpuUs'),
    };
    const ceiling = redisBenchmarkCeiling();
    report(`broker: XADD, one producer with ${XADD_IN_FLIGHT} commands in flight (median of ${SAMPLES})`, [
      {
        name: 'MemoryBroker xadd',
        value: xadd.memory,
        unit: 'ops/s',
        peer: 'RedisBroker',
        ratio: xadd.memory / xadd.redis,
        target: '>= 10x',
      },
      {
        name: 'RedisBroker xadd',
        value: xadd.redis,
        unit: 'ops/s',
        peer: 'bare ioredis',
        ratio: xadd.redis / xadd.bare,
        target: '>= 0.8x',
      },
      {
        name: 'bare ioredis XADD',
        value: xadd.bare,
        unit: 'ops/s',
        peer: 'redis-benchmark -P 16',
        ratio: xadd.bare / ceiling,
      },
      { name: 'redis-benchmark -P 16 -n 200000 XADD (wire ceiling)', value: ceiling, unit: 'ops/s' },
      {
        name: 'MemoryBroker xadd CPU/op (x: Redis client÷this)',
        value: cpu.xaddMemory,
        unit: 'µs',
        peer: 'cheaper',
        ratio: cpu.xaddRedis / cpu.xaddMemory,
      },
      {
        name: 'RedisBroker xadd, client CPU per op',
        value: cpu.xaddRedis,
        unit: 'µs',
        peer: 'bare ioredis',
        ratio: cpu.xaddRedis / cpu.xaddBare,
      },
      { name: 'bare ioredis XADD, client CPU per op', value: cpu.xaddBare, unit: 'µs' },
    ]);
    report(
      `broker: XREADGROUP COUNT ${BATCH} + XACK, ${CONSUMERS} consumers in flight, ${CYCLE_MESSAGES} messages (median of ${SAMPLES})`,
      [
        {
          name: 'MemoryBroker read+ack',
          value: cycle.memory,
          unit: 'msg/s',
          peer: 'RedisBroker',
          ratio: cycle.memory / cycle.redis,
          target: '>= 10x',
        },
        {
          name: 'RedisBroker read+ack',
          value: cycle.redis,
          unit: 'msg/s',
          peer: 'bare ioredis',
          ratio: cycle.redis / cycle.bare,
          target: '>= 0.8x',
        },
        { name: 'bare ioredis read+ack', value: cycle.bare, unit: 'msg/s' },
        {
          name: 'MemoryBroker read+ack CPU/msg (x: Redis÷this)',
          value: cpu.cycleMemory,
          unit: 'µs',
          peer: 'cheaper',
          ratio: cpu.cycleRedis / cpu.cycleMemory,
        },
        {
          name: 'RedisBroker read+ack, client CPU per msg',
          value: cpu.cycleRedis,
          unit: 'µs',
          peer: 'bare ioredis',
          ratio: cpu.cycleRedis / cpu.cycleBare,
        },
        { name: 'bare ioredis read+ack, client CPU per msg', value: cpu.cycleBare, unit: 'µs' },
      ],
    );
  } finally {
    await memoryBroker.close();
    await redisBroker.close();
    let cursor = '0';
    do {
      const [next, keys] = await bare.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await bare.del(...keys);
    } while (cursor !== '0');
    await bare.quit();
  }
}
