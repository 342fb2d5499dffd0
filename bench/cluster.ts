/**
 * Topics across instances (docs/architecture.md, "Topics across instances"), on a private
 * redis-server (bench/redis-server.ts):
 * - fan-out per instance: 1 publisher to 1,000 WebSocket subscribers, 64-byte events 16
 *   per turn (bench/fanout.ts's closed loop), Spool in Redis mode (topics on Redis,
 *   watched through the notifier) against Spool in memory mode in the same run (target
 *   ≥ 0.7x);
 * - cross-instance latency (bench/cluster-latency.ts, in a fresh process): publish on
 *   instance A, delivery to a subscriber of instance B in a process of its own, as two
 *   `spool serve` processes are, p50 and p99 at a fixed rate, against a bare ioredis
 *   PUBLISH → SUBSCRIBE relay of the same payload at the same rate, its subscriber in that
 *   other process too (target p99 ≤ 1.5x), alternated round by round, each round from a
 *   collected heap; and the same with both instances in one process (one event loop
 *   handles A's script replies and B's notifications, which no deployment does);
 * - cost per event: Redis commands per published event from `INFO commandstats` (the
 *   script's own XADD, PUBLISH, HSET... included), and script calls per event, at 16 events
 *   per turn with a watcher on B.
 */
import { randomUUID } from 'node:crypto';
import { listen } from '@spool/server/node';
import { Redis } from 'ioredis';
// The topics of an instance, which the public `Spool` keeps private: watched in process here.
import { internalsOf } from '../packages/server/src/spool';
import {
  type Instance,
  instance,
  LATENCY_MS,
  LATENCY_ROUNDS,
  type LatencyResult,
  measureLatencyApart,
  PER_TURN,
  RATE,
  until,
} from './cluster-latency';
import { type BenchServer, payload, Subscribers, throughput } from './fanout-driver';
import { spoolServer } from './fanout-peers';
import { type BenchOutput, pick, report } from './harness';
import { commandCount, startRedis } from './redis-server';

const SUBSCRIBERS = 1000;
/** Deliveries of the warm-up round, whose rate sizes the kept rounds (fanout-driver.ts, ROUND_MS). */
const WARMUP_DELIVERIES = pick(64_000, 32_000);
const ROUNDS = pick(5, 3);
const COST_TURNS = pick(500, 100);

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
    const rate = await throughput(server, subs, SUBSCRIBERS, ROUNDS, WARMUP_DELIVERIES);
    await subs.request({ cmd: 'disconnect' }, 'disconnected');
    return { name: server.name, rate };
  } finally {
    await server.close();
    subs.kill();
  }
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

const ms = (us: number) => us / 1000;

function latencyRows(where: string, r: LatencyResult) {
  return [
    {
      name: `Spool A → B${where}: p50`,
      value: ms(r.spool.p50),
      unit: 'ms',
      peer: `bare relay${where}`,
      ratio: r.spool.p50 / r.peer.p50,
    },
    {
      name: `Spool A → B${where}: p99`,
      value: ms(r.spool.p99),
      unit: 'ms',
      peer: `bare relay${where}`,
      ratio: r.spool.p99 / r.peer.p99,
      ...(where === '' ? { target: '<= 1.5x' } : {}),
    },
    { name: `bare ioredis PUBLISH → SUBSCRIBE${where}: p50`, value: ms(r.peer.p50), unit: 'ms' },
    { name: `bare ioredis PUBLISH → SUBSCRIBE${where}: p99`, value: ms(r.peer.p99), unit: 'ms' },
  ];
}

export default async function run(): Promise<BenchOutput> {
  const redis = await startRedis();
  const prefix = `spool-bench:${randomUUID()}:`;
  const admin = new Redis(redis.url);
  try {
    const memory = await fanout(spoolServer);
    const shared = await fanout(() => redisSpoolServer(redis.url, prefix));
    // In a fresh process: in this one, after the memory-mode fan-out, Spool's p99 doubled
    // while the relay's did not (docs/benchmarks.md, "Cross-instance latency").
    const { across, one } = await measureLatencyApart(redis.url, prefix);
    const a = instance(redis.url, prefix);
    const b = instance(redis.url, prefix);
    let perEvent: { commands: number; scripts: number };
    try {
      perEvent = await cost(a, b, admin, 'cost');
    } finally {
      await a.close();
      await b.close();
    }
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
          `Cross-instance latency, publish on A → delivery on B in another process, ${RATE.toLocaleString('en-US')} events/s (medians of ${LATENCY_ROUNDS} alternated rounds of ${LATENCY_MS / 1000} s)`,
          latencyRows('', across),
        ),
        report(
          `Cross-instance latency with A and B in this one process (one event loop for A's replies and B's notifications), ${RATE.toLocaleString('en-US')} events/s (medians of ${LATENCY_ROUNDS} alternated rounds of ${LATENCY_MS / 1000} s)`,
          latencyRows(', one process', one),
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
        'The latency runs publish from this process; B (or the relay’s subscriber) runs in a forked process of its own, timed on CLOCK_MONOTONIC, which every process on the machine shares. The one-process table keeps the earlier layout for comparison: there B’s notifications wait behind A’s script replies in one event loop.',
        'Spool and the relay alternate round by round, each round from a collected heap; the figures are the medians of the rounds’ p50 and p99.',
        'The latency runs have a fresh process of their own: in the process that had just run the memory-mode fan-out, Spool’s p99 rose to 2.7–2.8x the relay’s while the relay’s did not move; after a Redis-mode fan-out alone (what a cluster instance runs) it stayed at 0.96–0.98x (docs/benchmarks.md, “Cross-instance latency”).',
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
