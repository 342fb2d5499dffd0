import fc from 'fast-check';

/** `SPOOL_FUZZ_RUNS=<n>` runs n cases per fuzzing property instead of its CI budget. */
const RUNS = Number(process.env.SPOOL_FUZZ_RUNS ?? 0) || undefined;

/**
 * Runs a fast-check property with a printed seed and case count, so every run can be
 * replayed with `SPOOL_TEST_SEED=<seed>` (fast-check prints the seed of a failure too).
 * `examples` run first, every time: the counterexamples of failed seeds, kept as regressions.
 *
 * @example await fuzz('ws frames', frameArb, 60, async (frame) => { ... });
 */
export async function fuzz<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  defaultRuns: number,
  body: (v: T) => Promise<void>,
  examples: T[] = [],
) {
  const numRuns = RUNS ?? defaultRuns;
  const seed = fc.readConfigureGlobal().seed ?? (Math.random() * 2 ** 31) | 0;
  let cases = 0;
  console.log(`[fuzz] ${name}: seed ${seed}, ${numRuns} cases (SPOOL_TEST_SEED=${seed} replays)`);
  await fc.assert(
    fc.asyncProperty(arb, async (v) => {
      cases++;
      await body(v);
    }),
    { numRuns, seed, endOnFailure: true, examples: examples.map((e) => [e] as [T]) },
  );
  console.log(`[fuzz] ${name}: ${cases} cases passed`);
}
