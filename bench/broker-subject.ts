/**
 * One subject of bench/broker.ts, run in its own process: MemoryBroker, RedisBroker, or a
 * bare ioredis client issuing the same Redis commands. A process per subject keeps their
 * heaps and JIT feedback apart: in one process, the RedisBroker's garbage and the shared
 * harness code made polymorphic by three subjects slowed the fastest one most.
 *
 * Protocol: the parent sends `{ cmd: 'xadd' | 'cycle' }` and gets a {@link Measure} back, or
 * `{ cmd: 'close' }` and gets `{ closed: true }`. argv: subject name, Redis URL, key prefix.
 */
import { MemoryBroker, type StreamBroker } from '@spool/core';
import { RedisBroker } from '@spool/server/redis';
import { Redis } from 'ioredis';

export type SubjectName = 'memory' | 'redis' | 'bare';

/** Rate (per s, wall clock) and this process's CPU time per operation (µs). */
export interface Measure {
  rate: number;
  cpuUs: number;
}

export const XADD_TOTAL = 100_000;
export const XADD_IN_FLIGHT = 64;
export const CYCLE_MESSAGES = 100_000;
export const CONSUMERS = 16;
export const BATCH = 100;

/** Anything that can add an entry and do one read+ack cycle; `cycle` returns messages acked. */
interface Subject {
  xadd(key: string): Promise<unknown>;
  preload(key: string, n: number): Promise<void>;
  createGroup(key: string): Promise<void>;
  cycle(key: string, consumer: string): Promise<number>;
  del(key: string): Promise<void>;
  close(): Promise<void>;
}

function brokerSubject(get: () => StreamBroker, del: (key: string) => Promise<void>): Subject {
  return {
    xadd: (key) => get().xadd(key, { f: 'v' }),
    async preload(key, n) {
      const batch: Array<Promise<unknown>> = [];
      for (let i = 0; i < n; i++) {
        batch.push(get().xadd(key, { f: 'v' }));
        if (batch.length === 1_000) await Promise.all(batch.splice(0));
      }
      await Promise.all(batch);
    },
    createGroup: (key) => get().xgroupCreate(key, 'g', '0'),
    async cycle(key, consumer) {
      const reply = await get().xreadgroup('g', consumer, [[key, '>']], { count: BATCH });
      const entries = reply?.[0]?.entries ?? [];
      if (entries.length === 0) return 0;
      return get().xack(
        key,
        'g',
        entries.map((e) => e.id),
      );
    },
    del,
    close: () => get().close(),
  };
}

function memorySubject(): Subject {
  // A fresh broker per sample: deleting a key is how the Redis subjects drop theirs.
  let broker = new MemoryBroker();
  return brokerSubject(
    () => broker,
    async () => {
      await broker.close();
      broker = new MemoryBroker();
    },
  );
}

function redisSubject(url: string, prefix: string): Subject {
  const broker = new RedisBroker({ url, keyPrefix: prefix });
  const admin = new Redis(url, { protocol: 2 });
  const subject = brokerSubject(
    () => broker,
    async (key) => void (await admin.del(prefix + key)),
  );
  return {
    ...subject,
    async close() {
      await broker.close();
      await admin.quit();
    },
  };
}

/** The same commands on a bare client, with the connection settings RedisBroker uses (RESP2, auto-pipelining). */
function bareSubject(url: string, prefix: string): Subject {
  const redis = new Redis(url, { protocol: 2, enableAutoPipelining: true });
  return {
    xadd: (key) => redis.call('XADD', prefix + key, '*', 'f', 'v'),
    async preload(key, n) {
      for (let done = 0; done < n; done += 1_000) {
        const pipe = redis.pipeline();
        for (let i = 0; i < Math.min(1_000, n - done); i++) pipe.call('XADD', prefix + key, '*', 'f', 'v');
        await pipe.exec();
      }
    },
    async createGroup(key) {
      await redis.call('XGROUP', 'CREATE', prefix + key, 'g', '0');
    },
    async cycle(key, consumer) {
      const k = prefix + key;
      const reply = (await redis.call(
        'XREADGROUP',
        'GROUP',
        'g',
        consumer,
        'COUNT',
        BATCH,
        'STREAMS',
        k,
        '>',
      )) as Array<[string, Array<[string, string[]]>]> | null;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) return 0;
      return (await redis.call('XACK', k, 'g', ...entries.map((e) => e[0]))) as number;
    },
    del: async (key) => void (await redis.del(prefix + key)),
    close: async () => void (await redis.quit()),
  };
}

let sample = 0;
const nextKey = (name: string) => `${name}:${process.pid}:${sample++}`;

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

function main(): void {
  const [name, url, prefix] = process.argv.slice(2) as [SubjectName, string, string];
  const subject =
    name === 'memory'
      ? memorySubject()
      : name === 'redis'
        ? redisSubject(url, prefix)
        : bareSubject(url, prefix);
  process.on('message', async (m: { cmd: 'xadd' | 'cycle' | 'close' }) => {
    if (m.cmd === 'close') {
      await subject.close();
      process.send!({ closed: true }, () => process.exit(0));
      return;
    }
    process.send!(await (m.cmd === 'xadd' ? xaddRate(subject) : cycleRate(subject)));
  });
}

if (process.send) main();
