/**
 * The figures every scenario prints (and docs/guarantees.md records): one JSON line per
 * scenario, prefixed `chaos figures`, so a run's log can be grepped for them.
 */
export interface Figures {
  scenario: string;
  seed: number;
  profile: string;
  [figure: string]: unknown;
}

/** p50 and max of a list of durations (ms), rounded. */
export function spread(values: number[]): { p50: number; max: number; n: number } {
  if (values.length === 0) return { p50: 0, max: 0, n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: Math.round(sorted[Math.floor((sorted.length - 1) / 2)]!),
    max: Math.round(sorted[sorted.length - 1]!),
    n: sorted.length,
  };
}

export const MiB = 2 ** 20;

/** Bytes as MiB with one decimal. */
export const mib = (bytes: number): number => Math.round((bytes / MiB) * 10) / 10;

export function report(figures: Figures): void {
  console.log(`chaos figures ${JSON.stringify(figures)}`);
}
