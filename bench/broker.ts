/**
 * StreamBroker throughput: MemoryBroker and RedisBroker (real Redis at 127.0.0.1:6379),
 * against a bare ioredis client issuing the same Redis commands, all in one run.
 *
 * Concurrency mode, the same for all three:
 * - XADD: one producer keeping 64 commands in flight (64 loops awaiting one XADD each).
 * - read+ack cycle: 16 consumers of one group, each looping XREADGROUP COUNT 100 (not
 *   blocking) then XACK of the IDs it got, until the preloaded stream is drained.
 * The bare client uses the same connection settings as RedisBroker (RESP2, auto-pipelining
 * on) and reads raw reply arrays; RedisBroker also builds the `{ id, fields }` objects of
 * its interface, which is part of what the ratio measures.
 *
 * Each subject runs in a process of its own (bench/broker-subject.ts), as it would in
 * production, and each timed section starts on a collected heap. `redis-benchmark -P 16
 * XADD` is printed as the wire ceiling. Keys live under a unique prefix and are deleted
 * after every sample. Figures are medians of rounds that interleave the three subjects
 * (this machine has 2 cores, so wall-clock rates swing); the client CPU time per operation
 * is printed too, as a steadier view of what the abstraction costs.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  BATCH,
  CONSUMERS,
  CYCLE_MESSAGES,
  type Measure,
  type SubjectName,
  XADD_IN_FLIGHT,
} from './broker-subject';
import { ask, forkBench } from './child';
import { type BenchOutput, median, pick, type Row, report, type Table } from './harness';

const URL = process.env['SPOOL_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SAMPLES = pick(9, 2);
/**
 * Wall-clock budget for each of the two sections: rounds stop early once it is spent (after
 * at least MIN_SAMPLES), so a slow or loaded machine still finishes in bounded time. The
 * number of rounds actually measured is printed in each section's title.
 */
const SECTION_BUDGET_MS = Number(process.env['SPOOL_BENCH_BROKER_SECONDS'] ?? 75) * 1000;
const MIN_SAMPLES = pick(5, 2);
const prefix = `spool-bench:${randomUUID()}:`;
const NAMES: readonly SubjectName[] = ['memory', 'redis', 'bare'];
type Children = Record<SubjectName, ReturnType<typeof forkBench>>;

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

/**
 * Asks each subject for one measure per round, interleaved so that load from other
 * processes hits them alike. Round 0 warms up the JIT and the connections and is not kept.
 * Stops after SAMPLES rounds, or once the section's budget is spent and MIN_SAMPLES are in.
 */
async function rounds(cmd: 'xadd' | 'cycle', children: Children): Promise<Record<SubjectName, Measure[]>> {
  const out: Record<SubjectName, Measure[]> = { memory: [], redis: [], bare: [] };
  const start = performance.now();
  for (let round = 0; round <= SAMPLES; round++) {
    for (const name of NAMES) {
      const m = await ask<Measure>(children[name], { cmd });
      if (round > 0) out[name].push(m);
    }
    const elapsed = performance.now() - start;
    process.stderr.write(`  broker ${cmd}: round ${round} done at ${(elapsed / 1000).toFixed(1)} s\n`);
    if (round >= MIN_SAMPLES && elapsed > SECTION_BUDGET_MS) break;
  }
  return out;
}

const med = (samples: Measure[], field: keyof Measure) => median(samples.map((m) => m[field]));

/**
 * One section's rows: each subject's rate with its ratio and target, then the client CPU per
 * operation. With `ceiling` (redis-benchmark's rate), the bare client is compared with it.
 */
function sectionRows(
  what: { memory: string; redis: string; bare: string; unit: string; per: string },
  samples: Record<SubjectName, Measure[]>,
  ceiling?: { name: string; value: number },
): Row[] {
  const rate = (n: SubjectName) => med(samples[n], 'rate');
  const cpu = (n: SubjectName) => med(samples[n], 'cpuUs');
  return [
    {
      name: what.memory,
      value: rate('memory'),
      unit: what.unit,
      peer: 'RedisBroker',
      ratio: rate('memory') / rate('redis'),
      target: '>= 10x',
    },
    {
      name: what.redis,
      value: rate('redis'),
      unit: what.unit,
      peer: 'bare ioredis',
      ratio: rate('redis') / rate('bare'),
      target: '>= 0.8x',
    },
    ceiling
      ? {
          name: what.bare,
          value: rate('bare'),
          unit: what.unit,
          peer: 'redis-benchmark -P 16',
          ratio: rate('bare') / ceiling.value,
        }
      : { name: what.bare, value: rate('bare'), unit: what.unit },
    ...(ceiling ? [{ name: ceiling.name, value: ceiling.value, unit: what.unit }] : []),
    {
      name: `${what.memory}, CPU per ${what.per}`,
      value: cpu('memory'),
      unit: 'µs',
      peer: "cheaper than RedisBroker's client",
      ratio: cpu('redis') / cpu('memory'),
    },
    {
      name: `${what.redis}, client CPU per ${what.per}`,
      value: cpu('redis'),
      unit: 'µs',
      peer: 'bare ioredis',
      ratio: cpu('redis') / cpu('bare'),
    },
    { name: `${what.bare}, client CPU per ${what.per}`, value: cpu('bare'), unit: 'µs' },
  ];
}

export default async function run(): Promise<BenchOutput> {
  const tables: Table[] = [];
  const admin = new Redis(URL, { protocol: 2 });
  await admin.ping();
  const spawn = (name: SubjectName) =>
    forkBench(
      new globalThis.URL('./broker-subject.ts', import.meta.url),
      [name, URL, prefix],
      ['--expose-gc'],
    );
  const children: Children = { memory: spawn('memory'), redis: spawn('redis'), bare: spawn('bare') };

  try {
    const xs = await rounds('xadd', children);
    const ceiling = redisBenchmarkCeiling();
    tables.push(
      report(
        `broker: XADD, one producer with ${XADD_IN_FLIGHT} commands in flight (median of ${xs.memory.length})`,
        sectionRows(
          {
            memory: 'MemoryBroker xadd',
            redis: 'RedisBroker xadd',
            bare: 'bare ioredis XADD',
            unit: 'ops/s',
            per: 'op',
          },
          xs,
          { name: 'redis-benchmark -P 16 -n 200000 XADD (wire ceiling)', value: ceiling },
        ),
      ),
    );

    const cs = await rounds('cycle', children);
    tables.push(
      report(
        `broker: XREADGROUP COUNT ${BATCH} + XACK, ${CONSUMERS} consumers in flight, ${CYCLE_MESSAGES} messages (median of ${cs.memory.length})`,
        sectionRows(
          {
            memory: 'MemoryBroker read+ack',
            redis: 'RedisBroker read+ack',
            bare: 'bare ioredis read+ack',
            unit: 'msg/s',
            per: 'msg',
          },
          cs,
        ),
      ),
    );
  } finally {
    for (const name of NAMES) {
      const child = children[name];
      if (child.exitCode === null) await ask(child, { cmd: 'close' }).catch(() => child.kill());
    }
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== '0');
    await admin.quit();
  }
  return { tables };
}
