/**
 * Seeded randomness for the chaos scenarios. `SPOOL_TEST_SEED` (the project's convention,
 * see scripts/vitest-seed.ts) fixes the seed; unset, one is drawn per run. Every scenario
 * prints its seed before it starts, so a failure is replayed with
 * `SPOOL_TEST_SEED=<seed> pnpm chaos`.
 */
import { seededRandom } from '@spool/core/internal';
/** The run's base seed: SPOOL_TEST_SEED, or a fresh 31-bit integer. */
export const baseSeed: number = (() => {
  const raw = process.env.SPOOL_TEST_SEED;
  if (raw !== undefined && raw !== '') return Number(raw);
  return Math.floor(Math.random() * 2 ** 31);
})();

/** A seeded PRNG (core's mulberry32): uniform in [0, 1). */
export const seeded = seededRandom;

/**
 * The random sources of one scenario: `stream(k)` is the k-th independent source (one per
 * proxy, one for the workload), each derived from the base seed, so one component's
 * decisions replay even when the timing of another's differs.
 */
export function scenarioRandom(scenario: number): { seed: number; stream(k: number): () => number } {
  return {
    seed: baseSeed,
    stream: (k) => seeded((baseSeed + scenario * 7919 + k * 104_729) >>> 0),
  };
}

/** An integer uniform in [min, max]. */
export function between(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
