/**
 * Small helpers shared by the benchmarks: medians over repeated samples, heap readings
 * and a uniform report line. Benchmarks print; they never assert.
 */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
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

export interface Row {
  name: string;
  value: number;
  unit: string;
  /** The peer this row is compared with, and the ratio value/peer. */
  peer?: string;
  ratio?: number;
  target?: string;
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(n >= 100 ? 0 : n >= 10 ? 1 : 2);
}

export function report(title: string, rows: Row[]): void {
  console.log(`\n## ${title}`);
  for (const r of rows) {
    const ratio = r.ratio === undefined ? '' : `  ${r.ratio.toFixed(2)}x ${r.peer ?? ''}`;
    const target = r.target ? `  (target ${r.target})` : '';
    console.log(`  ${r.name.padEnd(48)} ${fmt(r.value).padStart(14)} ${r.unit}${ratio}${target}`);
  }
}
