/**
 * The cross-instance latency of bench/cluster.ts, in a process of its own
 * (bench/cluster-latency-child.ts): publish on instance A (this process), delivery to a
 * subscriber of instance B in another process (bench/cluster-receiver.ts), as two
 * `spool serve` processes are, against a bare ioredis PUBLISH → SUBSCRIBE relay whose
 * subscriber is in that other process too; then the same with A and B in this one process.
 * Spool and the relay alternate round by round.
 */
import { createSpool, type Spool } from '@spool/server';
import { openRedisTopics, type RedisTopics } from '@spool/server/redis';
import { Redis } from 'ioredis';
// The topics of an instance, which the public `Spool` keeps private: watched in process here.
import { internalsOf } from '../packages/server/src/spool';
import { ask, forkBench } from './child';
import type { ReceiverCommand, ReceiverReply } from './cluster-receiver';
import { payload } from './fanout-driver';
import { heapAfterGc, median, percentile, pick } from './harness';

export const LATENCY_MS = pick(3000, 1000);
export const LATENCY_ROUNDS = pick(5, 3);
/** Offered rate of the latency runs: a steady chat-like load, far below either's maximum. */
export const RATE = 2000;
export const PER_TURN = 16;
const RETENTION = { maxEvents: 100_000, maxBytes: 64 * 2 ** 20 };

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface Instance {
  spool: Spool;
  topics: RedisTopics;
  close(): Promise<void>;
}

export function instance(url: string, prefix: string): Instance {
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

export async function until(check: () => boolean, what: string): Promise<void> {
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

/** p50 and p99 (µs) of Spool and the relay, medians of the rounds. */
export type LatencyResult = Awaited<ReturnType<typeof alternate>>;

/** Both layouts, on two fresh instances of this process. */
export async function measureLatency(
  url: string,
  prefix: string,
): Promise<{ across: LatencyResult; one: LatencyResult }> {
  const a = instance(url, prefix);
  const b = instance(url, prefix);
  try {
    const across = await acrossProcesses(a, url, prefix);
    const one = await inOneProcess(a, b, url, prefix);
    return { across, one };
  } finally {
    await a.close();
    await b.close();
  }
}

/**
 * Runs {@link measureLatency} in a fresh process: a process that has just run another
 * workload (the fan-out's million events a second) measures something else
 * (docs/benchmarks.md, "Cross-instance latency").
 */
export async function measureLatencyApart(
  url: string,
  prefix: string,
): Promise<{ across: LatencyResult; one: LatencyResult }> {
  const child = forkBench(new URL('./cluster-latency-child.ts', import.meta.url), [], ['--expose-gc']);
  try {
    return await ask(child, { url, prefix });
  } finally {
    child.kill();
  }
}
