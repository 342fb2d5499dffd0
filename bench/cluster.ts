/**
 * Topics across instances (docs/architecture.md, "Topics across instances"), on a private
 * redis-server (bench/redis-server.ts):
 * - fan-out per instance: 1 publisher to 1,000 WebSocket subscribers, 64-byte events 16
 *   per turn (bench/fanout.ts's closed loop), Spool in Redis mode (topics on Redis,
 *   watched through the notifier) against Spool in memory mode in the same run (target
 *   ≥ 0.7x);
 * - cross-instance latency: publish on instance A, delivery to a subscriber of instance B
 *   (two Spool instances with their own connections, in this process), p50 and p99 at a
 *   fixed rate, against a bare ioredis PUBLISH → SUBSCRIBE relay of the same payload at the
 *   same rate (target p99 ≤ 1.5x), each from a collected heap;
 * - cost per event: Redis commands per published event from `INFO commandstats` (the
 *   script's own XADD, PUBLISH, HSET... included), and script calls per event, at 16 events
 *   per turn with a watcher on B.
 */
import { randomUUID } from 'node:crypto';
import { createSpool, type Spool } from '@spool/server';
import { listen } from '@spool/server/node';
import { openRedisTopics, type RedisTopics } from '@spool/server/redis';
import { Redis } from 'ioredis';
// The topics of an instance, which the public `Spool` keeps private: watched in process here.
import { internalsOf } from '../packages/server/src/spool';
import { type BenchServer, payload, Subscribers, throughput } from './fanout-driver';
import { spoolServer } from './fanout-peers';
import { type BenchOutput, heapAfterGc, median, percentile, pick, report } from './harness';
import { commandCount, startRedis } from './redis-server';

const SUBSCRIBERS = 1000;
const DELIVERIES_PER_ROUND = pick(64_000, 32_000);
const ROUNDS = pick(5, 3);
const LATENCY_MS = pick(5000, 1500);
/** Offered rate of the latency runs: a steady chat-like load, far below either's maximum. */
const RATE = 2000;
const PER_TURN = 16;
const COST_TURNS = pick(500, 100);
const RETENTION = { maxEvents: 100_000, maxBytes: 64 * 2 ** 20 };

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Instance {
  spool: Spool;
  topics: RedisTopics;
  close(): Promise<void>;
}

function instance(url: string, prefix: string): Instance {
  const topics = openRedisTopics({ url, keyPrefix: prefix });
  const spool = createSpool({
    topics: { retention: RETENTION, createLog: topics.createLog, directory: topics.directory },
    ws: { maxCredit: 16_384, maxQueuedBytes: 8 * 2 ** 20 },
  });
  return {
    spool,
    topics,
    close: async () => {
      await spool.close();
      await topics.close();
    },
  };
}

async function redisSpoolServer(url: string, prefix: string): Promise<BenchServer> {
  const one = instance(url, prefix);
  const { url: base, close } = await listen(one.spool, { host: '127.0.0.1', port: 0 });
  return {
    name: 'Spool, Redis mode',
    kind: 'spool',
    url: `${base.replace('http', 'ws')}/v1/ws`,
    publish: (data) => {
      void one.spool.publish('bench', data);
    },
    close: async () => {
      await close();
      await one.topics.close();
    },
  };
}

/** Events delivered per second to 1,000 WebSocket subscribers of `make()`'s server. */
async function fanout(make: () => Promise<BenchServer>): Promise<{ name: string; rate: number }> {
  const subs = new Subscribers();
  const server = await make();
  try {
    await subs.request(
      { cmd: 'connect', kind: server.kind, url: server.url, count: SUBSCRIBERS },
      'connected',
    );
    const rate = await throughput(server, subs, SUBSCRIBERS, ROUNDS, DELIVERIES_PER_ROUND);
    await subs.request({ cmd: 'disconnect' }, 'disconnected');
    return { name: server.name, rate };
  } finally {
    await server.close();
    subs.kill();
  }
}

/** Publishes `RATE` events/s (16 per turn at most) for LATENCY_MS with `send`; resolves to the count. */
async function paced(send: () => void): Promise<number> {
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < LATENCY_MS) {
    const due = Math.floor(((performance.now() - start) / 1000) * RATE);
    const n = Math.min(PER_TURN, due - sent);
    for (let i = 0; i < n; i++) send();
    sent += Math.max(0, n);
    // Pacing the offered rate is the workload here, not a wait for a result.
    await (n < PER_TURN ? new Promise<void>((resolve) => setTimeout(resolve, 1)) : nextTurn());
  }
  return sent;
}

async function until(check: () => boolean, what: string): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > 60_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Publish on A, delivery on B: latencies in µs. */
async function crossInstance(a: Instance, b: Instance, topic: string): Promise<number[]> {
  const samples: number[] = [];
  let received = 0;
  const sub = internalsOf(b.spool)
    .topics.getOrCreate(topic)
    .subscribe({
      onEvent: (ev) => {
        received++;
        samples.push(nowUs() - (ev.data as { t: number }).t);
      },
    });
  // Until B is subscribed to the topic's channel: one event through.
  while (received === 0) {
    await a.spool.publish(topic, payload());
    await new Promise((r) => setTimeout(r, 20));
  }
  await until(() => b.topics.notifier.channels > 0, 'the subscription');
  const warm = received;
  samples.length = 0;
  const sent = await paced(() => void a.spool.publish(topic, payload()));
  await until(() => received >= warm + sent, 'every event on B');
  sub.close();
  return samples;
}

/** The same payload through a bare PUBLISH → SUBSCRIBE relay: latencies in µs. */
async function relay(url: string, channel: string): Promise<number[]> {
  const pub = new Redis(url, { enableAutoPipelining: true });
  const sub = new Redis(url);
  const samples: number[] = [];
  let received = 0;
  sub.on('message', (_c: string, message: string) => {
    received++;
    samples.push(nowUs() - (JSON.parse(message) as { t: number }).t);
  });
  await sub.subscribe(channel);
  const sent = await paced(() => void pub.publish(channel, JSON.stringify(payload())));
  await until(() => received >= sent, 'every relayed message');
  pub.disconnect();
  sub.disconnect();
  return samples;
}

/** Commands and script calls per event at 16 events per turn, published on A, watched on B. */
async function cost(a: Instance, b: Instance, admin: Redis, topic: string) {
  let received = 0;
  const sub = internalsOf(b.spool)
    .topics.getOrCreate(topic)
    .subscribe({ onEvent: () => received++ });
  while (received === 0) {
    await a.spool.publish(topic, payload());
    await new Promise((r) => setTimeout(r, 20));
  }
  const scripts = async () => {
    const info = await admin.info('commandstats');
    let n = 0;
    for (const m of info.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)) n += Number(m[2]);
    return n;
  };
  const warm = received;
  const [before, scriptsBefore] = [await commandCount(admin), await scripts()];
  const events = COST_TURNS * PER_TURN;
  for (let t = 0; t < COST_TURNS; t++) {
    const turn: Array<Promise<string>> = [];
    for (let i = 0; i < PER_TURN; i++) turn.push(a.spool.publish(topic, payload()));
    await Promise.all(turn);
  }
  await until(() => received >= warm + events, 'every event on B');
  const [after, scriptsAfter] = [await commandCount(admin), await scripts()];
  sub.close();
  return { commands: (after - before) / events, scripts: (scriptsAfter - scriptsBefore) / events };
}

export default async function run(): Promise<BenchOutput> {
  const redis = await startRedis();
  const prefix = `spool-bench:${randomUUID()}:`;
  const admin = new Redis(redis.url);
  try {
    const memory = await fanout(spoolServer);
    const shared = await fanout(() => redisSpoolServer(redis.url, prefix));

    const a = instance(redis.url, prefix);
    const b = instance(redis.url, prefix);
    let cross: number[];
    let bare: number[];
    let perEvent: { commands: number; scripts: number };
    try {
      // Each latency run starts from a collected heap: neither inherits the collection work
      // of what ran before it (the fan-out's 1,000 connections, the other peer).
      heapAfterGc();
      cross = await crossInstance(a, b, 'latency');
      heapAfterGc();
      bare = await relay(redis.url, `${prefix}relay`);
      perEvent = await cost(a, b, admin, 'cost');
    } finally {
      await a.close();
      await b.close();
    }
    const ms = (us: number) => us / 1000;
    return {
      tables: [
        report(
          `Fan-out per instance, 1 publisher → ${SUBSCRIBERS.toLocaleString('en-US')} WebSocket subscribers, 64-byte events, 16/turn (medians of ${ROUNDS} rounds)`,
          [
            { name: `${memory.name}: delivered`, value: memory.rate, unit: 'events/s' },
            {
              name: `${shared.name}: delivered`,
              value: shared.rate,
              unit: 'events/s',
              peer: 'memory mode',
              ratio: shared.rate / memory.rate,
              target: '>= 0.7x',
            },
          ],
        ),
        report(
          `Cross-instance latency, publish on A → delivery on B, ${RATE.toLocaleString('en-US')} events/s for ${LATENCY_MS / 1000} s`,
          [
            { name: 'Spool A → B: p50', value: ms(percentile(cross, 50)), unit: 'ms' },
            {
              name: 'Spool A → B: p99',
              value: ms(percentile(cross, 99)),
              unit: 'ms',
              peer: 'bare relay',
              ratio: percentile(cross, 99) / percentile(bare, 99),
              target: '<= 1.5x',
            },
            { name: 'bare ioredis PUBLISH → SUBSCRIBE: p50', value: ms(percentile(bare, 50)), unit: 'ms' },
            { name: 'bare ioredis PUBLISH → SUBSCRIBE: p99', value: ms(percentile(bare, 99)), unit: 'ms' },
            { name: 'Spool A → B: median', value: ms(median(cross)), unit: 'ms' },
          ],
        ),
        report('Cost per published event, 16 per turn, one watching instance', [
          {
            name: 'Redis commands per event (INFO commandstats, script commands included)',
            value: perEvent.commands,
            unit: 'commands',
          },
          {
            name: 'script calls per event (round trips of the appends)',
            value: perEvent.scripts,
            unit: 'calls',
          },
        ]),
      ],
      notes: [
        'A private redis-server on a free port (SPOOL_BENCH_REDIS_URL names another), so the command counts are this benchmark’s alone.',
        'Both instances of the latency run live in this process: their event loops are one, as the relay’s publisher and subscriber are.',
      ],
    };
  } finally {
    if (redis.shared) {
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await admin.del(...keys);
      } while (cursor !== '0');
    }
    admin.disconnect();
    await redis.stop();
  }
}
