/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type DemoRandom = () => number;

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
