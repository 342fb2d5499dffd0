/**
 * Fan-out benchmark: 1 publisher to 100 and to 1,000 WebSocket subscribers on loopback,
 * 64-byte events published 16 per event-loop turn, subscribers in a separate process.
 * Measures, for Spool and its peers (socket.io room broadcast, a naive `ws` loop, and a
 * reference that frames once and writes once per socket per turn):
 * - events delivered per second (closed loop: publish a burst, wait until every
 *   subscriber has it; median of rounds);
 * - p99 latency at a fixed offered rate: half of socket.io's maximum.
 * Targets at 1,000 subscribers: Spool >= 0.8x the reference and >= 3x socket.io.
 */
import type { ChildProcess } from 'node:child_process';
import { forkBench } from './child';
import {
  type BenchServer,
  naiveWsServer,
  referenceServer,
  socketIoServer,
  spoolServer,
} from './fanout-peers';
import type { ChildReply, ParentCommand } from './fanout-subscribers';
import { median, percentile, type Row, report } from './harness';

const SIZES = [100, 1000];
const PER_TURN = 16;
/** Deliveries per round (events × subscribers), so a round takes about as long at any size. */
const DELIVERIES_PER_ROUND = 64_000;
const ROUNDS = 4;
const LATENCY_MS = 1500;
const PAD = 'x'.repeat(40);

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
/** 64 bytes of JSON data: {"t":<16 digits>,"p":"<40 x>"} (t in µs on the monotonic clock). */
const payload = () => ({ t: nowUs(), p: PAD });

class Subscribers {
  private readonly child: ChildProcess;
  private waiters: Array<{ type: ChildReply['type']; resolve: (r: ChildReply) => void }> = [];

  constructor() {
    this.child = forkBench(new URL('./fanout-subscribers.ts', import.meta.url));
    this.child.on('message', (r: ChildReply) => {
      const i = this.waiters.findIndex((w) => w.type === r.type);
      if (i !== -1) this.waiters.splice(i, 1)[0]!.resolve(r);
    });
  }

  request<T extends ChildReply['type']>(
    command: ParentCommand,
    reply: T,
  ): Promise<Extract<ChildReply, { type: T }>> {
    return new Promise((resolve) => {
      this.waiters.push({ type: reply, resolve: resolve as (r: ChildReply) => void });
      this.child.send(command);
    });
  }

  wait<T extends ChildReply['type']>(reply: T): Promise<Extract<ChildReply, { type: T }>> {
    return new Promise((resolve) =>
      this.waiters.push({ type: reply, resolve: resolve as (r: ChildReply) => void }),
    );
  }

  send(command: ParentCommand): void {
    this.child.send(command);
  }

  kill(): void {
    this.child.kill();
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Events delivered per second: median over rounds of (burst × subscribers) / time to full delivery. */
async function throughput(server: BenchServer, subs: Subscribers, count: number): Promise<number> {
  const rates: number[] = [];
  const turns = Math.max(2, Math.round(DELIVERIES_PER_ROUND / count / PER_TURN));
  for (let round = 0; round <= ROUNDS; round++) {
    const events = PER_TURN * turns;
    const done = subs.wait('done');
    subs.send({ cmd: 'expect', events });
    await nextTurn();
    const start = performance.now();
    for (let t = 0; t < turns; t++) {
      for (let i = 0; i < PER_TURN; i++) server.publish(payload());
      await nextTurn();
    }
    await done;
    const seconds = (performance.now() - start) / 1000;
    if (round > 0) rates.push((events * count) / seconds); // round 0 warms up
  }
  return median(rates);
}

/** p99 latency (ms) while publishing `rate` events/s, 16 per turn. */
async function latency(server: BenchServer, subs: Subscribers, rate: number): Promise<number> {
  subs.send({ cmd: 'latency', on: true });
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < LATENCY_MS) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    const n = Math.min(PER_TURN, due - sent);
    for (let i = 0; i < n; i++) server.publish(payload());
    sent += Math.max(0, n);
    await (n < PER_TURN ? new Promise<void>((resolve) => setTimeout(resolve, 1)) : nextTurn());
  }
  await new Promise<void>((resolve) => setTimeout(resolve, 200)); // let the tail arrive
  const { samples } = await subs.request({ cmd: 'latency', on: false }, 'latency');
  return percentile(samples, 99) / 1000;
}

export default async function run(): Promise<void> {
  const factories = [
    ['socketio', socketIoServer],
    ['naive', naiveWsServer],
    ['reference', referenceServer],
    ['spool', spoolServer],
  ] as const;
  for (const count of SIZES) {
    const subs = new Subscribers();
    const rate: Record<string, number> = {};
    const servers: Record<string, BenchServer> = {};
    const p99: Record<string, number> = {};
    let offered = 0;
    try {
      // socket.io runs first: its maximum sets the offered rate of every latency run.
      for (const [key, make] of factories) {
        const server = await make();
        servers[key] = server;
        await subs.request({ cmd: 'connect', kind: server.kind, url: server.url, count }, 'connected');
        rate[key] = await throughput(server, subs, count);
        if (key === 'socketio') offered = rate.socketio! / count / 2; // half of socket.io's maximum
        p99[key] = await latency(server, subs, offered);
        await subs.request({ cmd: 'disconnect' }, 'disconnected');
        await server.close();
      }
      const rows: Row[] = [];
      for (const [key] of factories) {
        rows.push({ name: `${servers[key]!.name}: delivered`, value: rate[key]!, unit: 'events/s' });
      }
      rows.push({
        name: 'Spool vs reference (delivered/s)',
        value: rate.spool!,
        unit: 'events/s',
        peer: 'reference',
        ratio: rate.spool! / rate.reference!,
        target: count === 1000 ? '>= 0.8x' : undefined,
      });
      rows.push({
        name: 'Spool vs socket.io (delivered/s)',
        value: rate.spool!,
        unit: 'events/s',
        peer: 'socket.io',
        ratio: rate.spool! / rate.socketio!,
        target: count === 1000 ? '>= 3x' : undefined,
      });
      rows.push({
        name: 'Spool vs naive ws (delivered/s)',
        value: rate.spool!,
        unit: 'events/s',
        peer: 'naive ws',
        ratio: rate.spool! / rate.naive!,
      });
      for (const [key] of factories) {
        rows.push({
          name: `${servers[key]!.name}: p99 @ ${Math.round(offered)} ev/s`,
          value: p99[key]!,
          unit: 'ms',
        });
      }
      rows.push({
        name: 'Spool p99 vs socket.io p99',
        value: p99.spool!,
        unit: 'ms',
        peer: 'socket.io',
        ratio: p99.spool! / p99.socketio!,
      });
      report(
        `Fan-out, 1 publisher → ${count} WebSocket subscribers, 64-byte events, 16/turn (medians of ${ROUNDS} rounds)`,
        rows,
      );
    } finally {
      subs.kill();
    }
  }
}
