/**
 * `pnpm bench [name...]`: runs the benchmarks in bench/ one after another, prints their
 * figures with the ratio to a peer measured in the same run, and rewrites each one's own
 * generated section of docs/benchmarks.md and its charts under docs/benchmarks/
 * (`SPOOL_BENCH_WRITE=0` prints only). A benchmark that fails leaves its section as it was,
 * and the run exits non-zero after the others.
 * Each module exports `default async function run(): Promise<BenchOutput>`.
 */
import { fileURLToPath } from 'node:url';
import { type BenchOutput, QUICK } from './harness';
import { benchCommand, describeMachine } from './report/machine';
import { writeReport } from './report/write-report';

const all: Record<string, () => Promise<{ default: () => Promise<BenchOutput> }>> = {
  cache: () => import('./cache'),
  'sse-parser': () => import('./sse-parser'),
  topic: () => import('./topic'),
  pipeline: () => import('./pipeline'),
  broker: () => import('./broker'),
  'redis-topic-log': () => import('./redis-topic-log'),
  cluster: () => import('./cluster'),
  fanout: () => import('./fanout'),
  'sse-fanout': () => import('./sse-fanout'),
  resume: () => import('./resume'),
  'llm-replies': () => import('./llm-replies'),
  'idle-connections': () => import('./idle-connections'),
  store: () => import('./store'),
  size: () => import('./size'),
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((n) => !(n in all));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(all).join(', ')}`);
  process.exit(2);
}
const names = Object.keys(all).filter((n) => wanted.length === 0 || wanted.includes(n));
const write = process.env['SPOOL_BENCH_WRITE'] !== '0';
const command = benchCommand(wanted, process.env);
const paths = {
  doc: fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url)),
  chartsDir: fileURLToPath(new URL('../docs/benchmarks/', import.meta.url)),
};
console.log(
  `node ${process.version}, ${names.length} benchmark(s): ${names.join(', ')}${QUICK ? ' (QUICK mode)' : ''}`,
);
const failed: string[] = [];
const started = performance.now();
for (const name of names) {
  const machine = describeMachine(); // the load average as this benchmark starts
  const date = new Date();
  const t0 = performance.now();
  try {
    const mod = await all[name]!();
    const output = await mod.default();
    console.log(`  (${name}: ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    if (write) {
      const files = await writeReport(name, output, { command, date, machine, quick: QUICK }, paths);
      console.log(`  wrote ${files.map((f) => f.slice(f.indexOf('docs/'))).join(', ')}`);
    }
  } catch (err) {
    failed.push(name);
    console.error(`\nbenchmark ${name} failed; its section of docs/benchmarks.md was left as it was:`, err);
  }
}
console.log(`\nall done in ${((performance.now() - started) / 60_000).toFixed(1)} min`);
if (failed.length > 0) {
  console.error(`failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
