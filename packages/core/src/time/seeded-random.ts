/**
 * A small seeded PRNG (mulberry32): uniform numbers in [0, 1), like `Math.random`, but the
 * same sequence for the same seed, so a demo, a benchmark workload or a randomised test can
 * be replayed exactly (the `random` options of the client and the demo take it).
 *
 * @example const random = seededRandom(42); random(); // 0.6011037519201636
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
