/**
 * Topics across instances (docs/architecture.md, "Topics across instances"), on a private
 * redis-server (bench/redis-server.ts):
 * - fan-out per instance: 1 publisher to 1,000 WebSocket subscribers, 64-byte events 16
 *   per turn (bench/fanout.ts's closed loop), Spool in Redis mode (topics on Redis,
 *   watched through the notifier) against Spool in memory mode in the same run (target
 *   ≥ 0.7x);
 * - cross-instance latency: publish on instance A (this process), delivery to a subscriber
 *   of instance B in a process of its own (bench/cluster-receiver.ts), as two `spool serve`
 *   processes are, p50 and p99 at a fixed rate, against a bare ioredis PUBLISH → SUBSCRIBE
 *   relay of the same payload at the same rate, its subscriber in that other process too
 *   (target p99 ≤ 1.5x), each from a collected heap; and the same with both instances in
 *   this process (one event loop handles A's script replies and B's notifications, which
 *   no deployment does), reported beside it;
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
import { ask, forkBench } from './child';
import type { ReceiverCommand, ReceiverReply } from './cluster-receiver';
import { type BenchServer, payload, Subscribers, throughput } from './fanout-driver';
import { spoolServer } from './fanout-peers';
import { type BenchOutput, heapAfterGc, median, percentile, pick, report } from './harness';
import { commandCount, startRedis } from './redis-server';

const SUBSCRIBERS = 1000;
const DELIVERIES_PER_ROUND = pick(64_000, 32_000);
const ROUNDS = pick(5, 3);
const LATENCY_MS = pick(3000, 1000);
const LATENCY_ROUNDS = pick(5, 3);
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

/** One side of a latency run: a publisher and a receiver that keeps each event's latency (µs). */
interface LatencySide {
  /** Publishes one event (timestamped) without waiting. */
  send(): void;
  /** Publishes one event and resolves once it is sent. */
  warm(): Promise<unknown>;
  /** Events received since the last reset. */
  received(): Promise<number>;
  reset(): Promise<void>;
  /** Resolves with the latencies once `events` have arrived since the last reset. */
  collect(events: number): Promise<number[]>;
}

/** p50 and p99 (µs) per round; Spool and its peer alternate, each round from a collected heap. */
async function alternate(spool: LatencySide, peer: LatencySide) {
  for (const side of [spool, peer]) {
    // Until the receiver hears this side: one event through.
    while ((await side.received()) === 0) {
      await side.warm();
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const rounds = { spool: [] as Array<[number, number]>, peer: [] as Array<[number, number]> };
  for (let r = 0; r < LATENCY_ROUNDS; r++) {
    for (const [name, side] of [
      ['spool', spool],
      ['peer', peer],
    ] as const) {
      await side.reset();
      heapAfterGc();
      const samples = await side.collect(await paced(() => side.send()));
      rounds[name].push([percentile(samples, 50), percentile(samples, 99)]);
    }
  }
  const at = (list: Array<[number, number]>, k: 0 | 1) => median(list.map((x) => x[k]));
  return {
    spool: { p50: at(rounds.spool, 0), p99: at(rounds.spool, 1) },
    peer: { p50: at(rounds.peer, 0), p99: at(rounds.peer, 1) },
  };
}

/** Instance B and the relay's subscriber in a process of their own (bench/cluster-receiver.ts). */
class Receiver {
  private readonly child = forkBench(new URL('./cluster-receiver.ts', import.meta.url));

  ask<T extends ReceiverReply['type']>(
    command: ReceiverCommand,
  ): Promise<Extract<ReceiverReply, { type: T }>> {
    return ask<Extract<ReceiverReply, { type: T }>>(this.child, command);
  }

  side(label: 'spool' | 'relay', send: () => void, warm: () => Promise<unknown>): LatencySide {
    return {
      send,
      warm,
      received: async () => (await this.ask<'count'>({ cmd: 'count', label })).received,
      reset: async () => {
        await this.ask({ cmd: 'reset', label });
      },
      collect: async (events) => (await this.ask<'samples'>({ cmd: 'collect', label, events })).samples,
    };
  }

  async close(): Promise<void> {
    await this.ask({ cmd: 'close' }).catch(() => {});
    this.child.kill();
  }
}

/** Publish on A (this process), delivery on B in another process, against the relay across the same two. */
async function acrossProcesses(a: Instance, url: string, prefix: string) {
  const receiver = new Receiver();
  const pub = new Redis(url, { enableAutoPipelining: true });
  const channel = `${prefix}relay`;
  try {
    await receiver.ask({ cmd: 'spool', url, prefix, topic: 'latency' });
    await receiver.ask({ cmd: 'relay', url, channel });
    return await alternate(
      receiver.side(
        'spool',
        () => void a.spool.publish('latency', payload()),
        () => a.spool.publish('latency', payload()),
      ),
      receiver.side(
        'relay',
        () => void pub.publish(channel, JSON.stringify(payload())),
        () => pub.publish(channel, JSON.stringify(payload())),
      ),
    );
  } finally {
    pub.disconnect();
    await receiver.close();
  }
}

/** A side whose receiver is in this process: `record` is called with each event's timestamp. */
function localSide(send: () => void, warm: () => Promise<unknown>) {
  let samples: number[] = [];
  return {
    record: (t: number) => samples.push(nowUs() - t),
    side: {
      send,
      warm,
      received: async () => samples.length,
      reset: async () => {
        samples = [];
      },
      collect: async (events: number) => {
        await until(() => samples.length >= events, 'every event');
        return samples;
      },
    } satisfies LatencySide,
  };
}

/** Publish on A, delivery on B with both in this process, against the relay in this process. */
async function inOneProcess(a: Instance, b: Instance, url: string, prefix: string) {
  const spool = localSide(
    () => void a.spool.publish('latency-one', payload()),
    () => a.spool.publish('latency-one', payload()),
  );
  const sub = internalsOf(b.spool)
    .topics.getOrCreate('latency-one')
    .subscribe({ onEvent: (ev) => spool.record((ev.data as { t: number }).t) });
  const pub = new Redis(url, { enableAutoPipelining: true });
  const listener = new Redis(url);
  const channel = `${prefix}relay-one`;
  const relay = localSide(
    () => void pub.publish(channel, JSON.stringify(payload())),
    () => pub.publish(channel, JSON.stringify(payload())),
  );
  listener.on('message', (_c: string, message: string) =>
    relay.record((JSON.parse(message) as { t: number }).t),
  );
  try {
    await listener.subscribe(channel);
    await until(() => b.topics.notifier.channels > 0, 'the subscription');
    return await alternate(spool.side, relay.side);
  } finally {
    sub.close();
    pub.disconnect();
    listener.disconnect();
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

function latencyRows(where: string, r: Awaited<ReturnType<typeof alternate>>) {
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
    // The latency runs go first, on a process no other workload has shaped: after the
    // fan-out's million events a second, Spool's p99 here doubled while the relay's did not
    // (docs/benchmarks.md, "cluster").
    const a = instance(redis.url, prefix);
    const b = instance(redis.url, prefix);
    let across: Awaited<ReturnType<typeof acrossProcesses>>;
    let one: Awaited<ReturnType<typeof inOneProcess>>;
    let perEvent: { commands: number; scripts: number };
    try {
      across = await acrossProcesses(a, redis.url, prefix);
      one = await inOneProcess(a, b, redis.url, prefix);
      perEvent = await cost(a, b, admin, 'cost');
    } finally {
      await a.close();
      await b.close();
    }
    const memory = await fanout(spoolServer);
    const shared = await fanout(() => redisSpoolServer(redis.url, prefix));
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
        'The latency runs go before the fan-out runs: in a process that had just run the memory-mode fan-out, Spool’s p99 rose to 2.7–2.8x the relay’s while the relay’s did not move; after a Redis-mode fan-out alone (what a cluster instance runs) it stayed at 0.96–0.98x (docs/benchmarks.md, “Cross-instance latency”).',
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
