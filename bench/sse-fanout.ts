/**
 * SSE fan-out: 1 publisher to 1,000 `text/event-stream` readers on loopback, 64-byte events
 * published 16 per event-loop turn, readers in a separate process (plain node:http GETs that
 * count `data:` fields). Spool's SSE endpoint against better-sse's channel broadcast and a
 * raw `res.write` loop, each in the same run: events delivered per second (closed loop,
 * median of rounds) and p99 latency at half of the slowest peer's maximum.
 */
import { type BenchServer, latency, medianP99, Subscribers, throughput, WARMUP_MS } from './fanout-driver';
import { type BenchOutput, pick, QUICK, type Row, report } from './harness';
import type { BarChartSpec } from './report/chart-spec';
import { betterSseServer, rawSseServer, spoolSseServer } from './sse-fanout-peers';

const COUNT = 1000;
/** Deliveries of the warm-up round, whose rate sizes the kept rounds (fanout-driver.ts, ROUND_MS). */
const WARMUP_DELIVERIES = pick(64_000, 32_000);
const ROUNDS = pick(5, 3);
/**
 * The p99 row is the median of this many windows' p99s, as in `fanout`: one 3-second window's
 * p99 moved 0.6-2.3x better-sse's from run to run on the same commit (docs/benchmarks.md,
 * "Old against new commit").
 */
const LATENCY_WINDOWS = pick(5, 2);
const LATENCY_MS = pick(1500, 500);

const PEERS = [
  ['betterSse', betterSseServer],
  ['raw', rawSseServer],
  ['spool', spoolSseServer],
] as const;
type Key = (typeof PEERS)[number][0];

export default async function run(): Promise<BenchOutput> {
  const subs = new Subscribers();
  const rate = {} as Record<Key, number>;
  const p99 = {} as Record<Key, number>;
  const names = {} as Record<Key, string>;
  let offered = 0;
  try {
    // The peers' maxima come first; half the slowest one is every server's offered rate.
    for (const [key, make] of PEERS) {
      const server: BenchServer = await make();
      names[key] = server.name;
      try {
        await subs.request({ cmd: 'connect', kind: server.kind, url: server.url, count: COUNT }, 'connected');
        rate[key] = await throughput(server, subs, COUNT, ROUNDS, WARMUP_DELIVERIES);
        await subs.request({ cmd: 'disconnect' }, 'disconnected');
      } finally {
        await server.close();
      }
    }
    offered = Math.min(rate.betterSse, rate.raw) / COUNT / 2;
    for (const [key, make] of PEERS) {
      const server = await make();
      try {
        await subs.request({ cmd: 'connect', kind: server.kind, url: server.url, count: COUNT }, 'connected');
        // Each server is new here, its readers just connected: a window of WARMUP_MS at the
        // same offered rate is thrown away first, as the throughput rounds throw theirs away,
        // so the row is the server's steady p99, not how soon its code was compiled.
        await latency(server, subs, offered, WARMUP_MS);
        p99[key] = await medianP99(server, subs, offered, LATENCY_WINDOWS, LATENCY_MS);
        await subs.request({ cmd: 'disconnect' }, 'disconnected');
      } finally {
        await server.close();
      }
    }
  } finally {
    subs.kill();
  }
  const rows: Row[] = PEERS.map(([key]) => ({
    name: `${names[key]}: delivered`,
    value: rate[key],
    unit: 'events/s',
  }));
  rows.push(
    {
      name: 'Spool vs better-sse (delivered/s)',
      value: rate.spool,
      unit: 'events/s',
      peer: 'better-sse',
      ratio: rate.spool / rate.betterSse,
    },
    {
      name: 'Spool vs raw res.write (delivered/s)',
      value: rate.spool,
      unit: 'events/s',
      peer: 'raw res.write',
      ratio: rate.spool / rate.raw,
    },
  );
  for (const [key] of PEERS) {
    rows.push({ name: `${names[key]}: p99 @ ${Math.round(offered)} ev/s`, value: p99[key], unit: 'ms' });
  }
  rows.push({
    name: 'Spool p99 vs better-sse p99',
    value: p99.spool,
    unit: 'ms',
    peer: 'better-sse',
    ratio: p99.spool / p99.betterSse,
  });
  const table = report(
    `SSE fan-out, 1 publisher → ${COUNT.toLocaleString('en-US')} readers, 64-byte events, 16/turn (medians of ${ROUNDS} rounds)`,
    rows,
  );
  const order: Key[] = ['spool', 'raw', 'betterSse'];
  const chart: BarChartSpec = {
    kind: 'bar',
    id: 'throughput',
    title: `SSE fan-out to ${COUNT.toLocaleString('en-US')} readers: events delivered per second`,
    subtitle: `1 publisher, 64-byte events, median of ${ROUNDS} rounds${QUICK ? ' · quick mode, provisional' : ''}`,
    yLabel: 'events delivered/s',
    categories: ['delivered/s'],
    series: order.map((key) => ({ name: names[key], values: [rate[key]] })),
  };
  return {
    tables: [table],
    charts: [chart],
    notes: [
      `A p99 row is the median of ${LATENCY_WINDOWS} windows' p99s, ${LATENCY_MS / 1000} s each, after ${WARMUP_MS / 1000} s at the same rate thrown away.`,
    ],
  };
}
