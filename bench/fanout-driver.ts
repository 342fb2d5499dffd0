/**
 * The publisher side shared by the WebSocket and SSE fan-out benchmarks: a handle on the
 * subscriber process (bench/fanout-subscribers.ts) and the two measures, closed-loop
 * throughput and p99 latency at a fixed offered rate.
 */
import type { ChildProcess } from 'node:child_process';
import { forkBench } from './child';
import type { ChildReply, ParentCommand, SubscriberKind } from './fanout-subscribers';
import { median, percentile, pick } from './harness';

/** A 1-publisher broadcast server under test. */
export interface BenchServer {
  name: string;
  kind: SubscriberKind;
  url: string;
  /** Publishes one event whose data is `data` (an object carrying the publish time `t`). */
  publish(data: { t: number; p: string }): void;
  close(): Promise<void>;
}

export const PER_TURN = 16;
const PAD = 'x'.repeat(40);
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
/** 64 bytes of JSON data: {"t":<16 digits>,"p":"<40 x>"} (t in µs on the monotonic clock). */
export const payload = () => ({ t: nowUs(), p: PAD });
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Subscribers {
  private readonly child: ChildProcess;
  private waiters: Array<{
    type: ChildReply['type'];
    resolve: (r: ChildReply) => void;
    reject: (err: Error) => void;
  }> = [];
  private exited: Error | undefined;

  constructor() {
    this.child = forkBench(new URL('./fanout-subscribers.ts', import.meta.url));
    this.child.on('message', (r: ChildReply) => {
      const i = this.waiters.findIndex((w) => w.type === r.type);
      if (i !== -1) this.waiters.splice(i, 1)[0]!.resolve(r);
    });
    this.child.once('exit', (code, signal) => {
      this.exited = new Error(`the subscriber process exited (${code ?? signal})`);
      for (const w of this.waiters.splice(0)) w.reject(this.exited);
    });
  }

  /** Sends `command` and waits for the child's reply of type `reply`. */
  request<T extends ChildReply['type']>(
    command: ParentCommand,
    reply: T,
  ): Promise<Extract<ChildReply, { type: T }>> {
    const waiting = this.wait(reply);
    this.child.send(command);
    return waiting;
  }

  wait<T extends ChildReply['type']>(reply: T): Promise<Extract<ChildReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(this.exited);
      this.waiters.push({ type: reply, resolve: resolve as (r: ChildReply) => void, reject });
    });
  }

  send(command: ParentCommand): void {
    this.child.send(command);
  }

  kill(): void {
    this.child.kill();
  }
}

/** How long a kept throughput round lasts, about: sized from the warm-up round's rate. */
export const ROUND_MS = pick(300, 100);
/** How long a server is driven before its throughput rounds are kept. */
export const WARMUP_MS = pick(2000, 300);

/**
 * Events delivered per second: median over `rounds` of (burst × subscribers) / time until
 * every subscriber has the whole burst. Round 0 warms up with `warmupDeliveries` and is not
 * kept; its rate sizes the kept rounds' bursts to last about {@link ROUND_MS} each. A fixed
 * burst made a round of a fast server at 100 subscribers last about 30 ms, where one garbage
 * collection decided the round (docs/benchmarks.md, "Old against new commit"). Rounds of that
 * size are then thrown away until the server has run for {@link WARMUP_MS}: a server that had
 * just taken its connections measured up to 20% below its steady rate in its first second or
 * two, depending on when its code was compiled, and the kept rounds all fell in that window.
 */
export async function throughput(
  server: BenchServer,
  subs: Subscribers,
  count: number,
  rounds: number,
  warmupDeliveries: number,
): Promise<number> {
  const rates: number[] = [];
  let turns = Math.max(2, Math.round(warmupDeliveries / count / PER_TURN));
  const warmUntil = performance.now() + WARMUP_MS;
  for (let round = 0; round <= rounds; round++) {
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
    const rate = (events * count) / ((performance.now() - start) / 1000);
    if (round === 0) turns = Math.max(2, Math.round((rate * ROUND_MS) / 1000 / count / PER_TURN));
    else if (performance.now() < warmUntil) round--;
    else rates.push(rate);
  }
  return median(rates);
}

/**
 * p99 latency (ms) from publish to receipt while publishing `rate` events/s, 16 per turn at
 * most, for `durationMs`; the subscribers sample every 10th client. The window closes once
 * every subscriber has every event, so the tail is always in the sample.
 */
export async function latency(
  server: BenchServer,
  subs: Subscribers,
  rate: number,
  durationMs: number,
): Promise<number> {
  subs.send({ cmd: 'latency', on: true });
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < durationMs) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    const n = Math.min(PER_TURN, due - sent);
    for (let i = 0; i < n; i++) server.publish(payload());
    sent += Math.max(0, n);
    // Pacing the offered rate is the workload here, not a wait for a result.
    await (n < PER_TURN ? new Promise<void>((resolve) => setTimeout(resolve, 1)) : nextTurn());
  }
  await subs.request({ cmd: 'expect', events: sent }, 'done');
  const { samples } = await subs.request({ cmd: 'latency', on: false }, 'latency');
  return percentile(samples, 99) / 1000;
}

/**
 * The p99 (ms) a latency row reports: the median of `windows` {@link latency} windows of
 * `durationMs` each, since one window's p99 moves 2-7x with the collections and scheduling
 * stalls that fall in it (docs/benchmarks.md, "Old against new commit").
 */
export async function medianP99(
  server: BenchServer,
  subs: Subscribers,
  rate: number,
  windows: number,
  durationMs: number,
): Promise<number> {
  const p99s: number[] = [];
  for (let w = 0; w < windows; w++) p99s.push(await latency(server, subs, rate, durationMs));
  return median(p99s);
}
