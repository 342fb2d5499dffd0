/** 2020-01-01T00:00:00Z: the epoch of generated message IDs. */
const EPOCH_MS = 1_577_836_800_000n;

/**
 * Generates 64-bit message IDs as decimal strings, snowflake-style: milliseconds since
 * 2020 in the high bits and a 22-bit sequence below, strictly increasing within a process
 * even when the clock stands still or goes back. Used when a producer opens a message
 * without choosing its ID.
 *
 * @example const next = messageIdGenerator(() => Date.now()); next() // '7431234567890123776'
 */
export function messageIdGenerator(now: () => number): () => string {
  let last = 0n;
  return () => {
    const candidate = (BigInt(Math.floor(now())) - EPOCH_MS) << 22n;
    last = candidate > last ? candidate : last + 1n;
    return last.toString();
  };
}
