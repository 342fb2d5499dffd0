/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type DemoRandom = () => number;

/**
 * A small seeded PRNG (mulberry32), so a demo run, and its test, can be replayed exactly.
 *
 * @example const random = seededRandom(42); random(); // 0.6011037519201636
 */
export function seededRandom(seed: number): DemoRandom {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** An integer in [min, max]. */
export function randomInt(random: DemoRandom, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** One element of a non-empty list. */
export function pick<T>(random: DemoRandom, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** `options` without its undefined fields, so spreading it over defaults keeps them. */
export function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
