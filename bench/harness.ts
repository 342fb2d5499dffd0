/**
 * Small helpers shared by the benchmarks: medians over repeated samples, heap readings,
 * quick mode, and a uniform report line. Benchmarks print and return their tables and
 * charts (bench/report/); they never assert.
 */
import type { Row, Table } from './report/bench-output';
import { fmt } from './report/format';

export type { BenchOutput, Row, Table } from './report/bench-output';
export type { ChartSpec } from './report/chart-spec';
export { fmt } from './report/format';

/**
 * `SPOOL_BENCH_QUICK=1`: fewer rounds and smaller sizes, to show a benchmark runs. Its figures
 * are provisional, and the generated section says so.
 */
export const QUICK = process.env['SPOOL_BENCH_QUICK'] === '1';

/** `full` normally, `quick` in quick mode. */
export function pick<T>(full: T, quick: T): T {
  return QUICK ? quick : full;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Runs `fn` `samples` times (after one warm-up) and returns the median of its results. */
export async function medianOf(samples: number, fn: () => number | Promise<number>): Promise<number> {
  await fn();
  const out: number[] = [];
  for (let i = 0; i < samples; i++) out.push(await fn());
  return median(out);
}

/** Heap used after a forced GC (run node with --expose-gc). */
export function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Prints a table and returns it, for the benchmark's {@link BenchOutput}. */
export function report(title: string, rows: Row[]): Table {
  console.log(`\n## ${title}`);
  for (const r of rows) {
    const ratio = r.ratio === undefined ? '' : `  ${r.ratio.toFixed(2)}x ${r.peer ?? ''}`;
    const target = r.target ? `  (target ${r.target})` : '';
    console.log(`  ${r.name.padEnd(48)} ${fmt(r.value).padStart(14)} ${r.unit}${ratio}${target}`);
  }
  return { title, rows };
}
