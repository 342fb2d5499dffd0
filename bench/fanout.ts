/**
 * WebSocket fan-out: 1 publisher to 100, 1,000 and 5,000 subscribers on loopback, 64-byte
 * events published 16 per event-loop turn, subscribers in a separate process. For Spool and
 * its peers (socket.io room broadcast, a naive `ws` loop, and a reference that frames once
 * and writes once per socket per turn), each in the same run:
 * - events delivered per second (closed loop: publish a burst, wait until every subscriber
 *   has it; median of rounds);
 * - p99 latency at a fixed offered rate: half of socket.io's maximum at that size (median of
 *   the p99s of several windows).
 * Targets at 1,000 subscribers: Spool >= 0.8x the reference and >= 3x socket.io.
 */

import { type BenchServer, medianP99, Subscribers, throughput } from './fanout-driver';
import { naiveWsServer, referenceServer, socketIoServer, spoolServer } from './fanout-peers';
import { type BenchOutput, pick, QUICK, type Row, report, type Table } from './harness';
import type { LineChartSpec } from './report/chart-spec';

/** `SPOOL_BENCH_FANOUT_SIZES=1000` (comma-separated) measures some sizes only, e.g. to alternate one size many times. */
const SIZES = subscriberCounts(process.env['SPOOL_BENCH_FANOUT_SIZES'], [100, 1000, 5000]);
/** Deliveries of the warm-up round, whose rate sizes the kept rounds (fanout-driver.ts, ROUND_MS). */
const WARMUP_DELIVERIES = pick(64_000, 32_000);
const ROUNDS = pick(5, 3);
/**
 * The p99 row is the median of this many windows' p99s: one window's p99 of a few milliseconds
 * moved 2-7x from run to run with the collections and scheduling stalls that fell in it
 * (docs/benchmarks.md, "Old against new commit").
 */
const LATENCY_WINDOWS = pick(5, 2);
const LATENCY_MS = pick(1500, 500);

const PEERS = [
  ['socketio', socketIoServer],
  ['naive', naiveWsServer],
  ['reference', referenceServer],
  ['spool', spoolServer],
] as const;
type Key = (typeof PEERS)[number][0];

interface SizeResult {
  count: number;
  names: Record<Key, string>;
  rate: Record<Key, number>;
  p99: Record<Key, number>;
  offered: number;
}

async function measureSize(count: number): Promise<SizeResult> {
  const subs = new Subscribers();
  const rate = {} as Record<Key, number>;
  const p99 = {} as Record<Key, number>;
  const names = {} as Record<Key, string>;
  let offered = 0;
  try {
    // socket.io runs first: its maximum sets the offered rate of every latency run.
    for (const [key, make] of PEERS) {
      const server: BenchServer = await make();
      names[key] = server.name;
      try {
        await subs.request({ cmd: 'connect', kind: server.kind, url: server.url, count }, 'connected');
        rate[key] = await throughput(server, subs, count, ROUNDS, WARMUP_DELIVERIES);
        if (key === 'socketio') offered = rate.socketio / count / 2; // half of socket.io's maximum
        p99[key] = await medianP99(server, subs, offered, LATENCY_WINDOWS, LATENCY_MS);
        await subs.request({ cmd: 'disconnect' }, 'disconnected');
      } finally {
        await server.close();
      }
    }
  } finally {
    subs.kill();
  }
  return { count, names, rate, p99, offered };
}

function table(r: SizeResult): Table {
  const rows: Row[] = PEERS.map(([key]) => ({
    name: `${r.names[key]}: delivered`,
    value: r.rate[key],
    unit: 'events/s',
  }));
  const vs = (key: Key, peer: string, target?: string): Row => ({
    name: `Spool vs ${peer} (delivered/s)`,
    value: r.rate.spool,
    unit: 'events/s',
    peer,
    ratio: r.rate.spool / r.rate[key],
    ...(target && r.count === 1000 ? { target } : {}),
  });
  rows.push(
    vs('reference', 'reference', '>= 0.8x'),
    vs('socketio', 'socket.io', '>= 3x'),
    vs('naive', 'naive ws'),
  );
  for (const [key] of PEERS) {
    rows.push({
      name: `${r.names[key]}: p99 @ ${Math.round(r.offered)} ev/s`,
      value: r.p99[key],
      unit: 'ms',
    });
  }
  rows.push({
    name: 'Spool p99 vs socket.io p99',
    value: r.p99.spool,
    unit: 'ms',
    peer: 'socket.io',
    ratio: r.p99.spool / r.p99.socketio,
  });
  return report(
    `Fan-out, 1 publisher → ${r.count.toLocaleString('en-US')} WebSocket subscribers, 64-byte events, 16/turn (medians of ${ROUNDS} rounds)`,
    rows,
  );
}

function chart(results: SizeResult[], field: 'rate' | 'p99'): LineChartSpec {
  const quick = QUICK ? ' · quick mode, provisional' : '';
  return {
    kind: 'line',
    id: field === 'rate' ? 'throughput' : 'p99',
    title:
      field === 'rate'
        ? 'WebSocket fan-out: events delivered per second'
        : 'WebSocket fan-out: p99 latency at half of socket.io’s maximum rate',
    subtitle: `1 publisher, 64-byte events, median of ${ROUNDS} rounds${quick}`,
    xLabel: 'subscribers',
    yLabel: field === 'rate' ? 'events delivered/s' : 'p99 latency (ms)',
    xScale: 'log',
    yScale: field === 'rate' ? 'linear' : 'log',
    series: ['spool', 'reference', 'socketio', 'naive'].map((key) => ({
      name: results[0]!.names[key as Key],
      points: results.map((r) => ({ x: r.count, y: r[field][key as Key] })),
    })),
  };
}

function subscriberCounts(given: string | undefined, all: number[]): number[] {
  if (given === undefined || given.trim() === '') return all;
  const counts = given.split(',').map((part) => Number(part.trim()));
  if (counts.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`SPOOL_BENCH_FANOUT_SIZES must be positive integers separated by commas, got "${given}"`);
  }
  return counts;
}

export default async function run(): Promise<BenchOutput> {
  const results: SizeResult[] = [];
  for (const count of SIZES) results.push(await measureSize(count));
  return {
    tables: results.map(table),
    charts: [chart(results, 'rate'), chart(results, 'p99')],
    notes: [
      'The offered rate of the p99 rows is half of socket.io’s maximum at that size, so every server runs below saturation.',
      `A p99 row is the median of ${LATENCY_WINDOWS} windows' p99s, ${LATENCY_MS / 1000} s each.`,
    ],
  };
}
