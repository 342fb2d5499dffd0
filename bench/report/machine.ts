/** The facts every generated section states, so a figure is never read without its machine. */
import { cpus, loadavg, totalmem } from 'node:os';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  node: string;
  platform: string;
  /** One-minute load average when the benchmark started: other work on a shared machine shows here. */
  loadAverage: number;
}

export function describeMachine(): MachineInfo {
  const list = cpus();
  return {
    cores: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown CPU',
    memoryBytes: totalmem(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: loadavg()[0] ?? Number.NaN,
  };
}

/**
 * The command that reproduces a run: `pnpm bench` plus the names asked for, prefixed by any
 * `SPOOL_BENCH_*` variable that was set (quick mode, budgets, a Redis URL).
 * @example
 * benchCommand(['fanout'], { SPOOL_BENCH_QUICK: '1' }); // 'SPOOL_BENCH_QUICK=1 pnpm bench fanout'
 */
export function benchCommand(names: readonly string[], env: Record<string, string | undefined>): string {
  const vars = Object.keys(env)
    .filter((k) => k.startsWith('SPOOL_BENCH_') && env[k] !== undefined)
    .sort()
    .map((k) => `${k}=${shellQuote(env[k]!)}`);
  return [...vars, 'pnpm bench', ...names.map(shellQuote)].join(' ');
}

function shellQuote(s: string): string {
  return /^[\w./:@=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
