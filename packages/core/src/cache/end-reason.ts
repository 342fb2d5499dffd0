import { SpoolError } from '../errors';

/**
 * Why a stream ended. The values are the lowercase wire strings of `msg.end`
 * (ARCHITECTURE "Chat events on a channel topic"), so a reason never needs mapping between
 * the cache, the wire and the store. Integer codes 0–4 map in declaration order.
 *
 * @example
 * cache.endStream('1843563473929170944', EndReason.Cancelled);
 * meta.endReason === 'cancelled'; // in onStreamComplete
 */
export const EndReason = {
  /** The producer finished the message. */
  Success: 'success',
  /** No chunk arrived within `chunkInactivityTimeoutMs`, or the stream outlived `streamTimeoutMs`. */
  Timeout: 'timeout',
  /** The producer failed. */
  Error: 'error',
  /** The producer or a user cancelled the message. */
  Cancelled: 'cancelled',
  /** Ended from outside: `endStreamInChannel`, or `close()` of the cache. */
  Force: 'force',
} as const;

export type EndReason = (typeof EndReason)[keyof typeof EndReason];

const reasons: ReadonlySet<string> = new Set(Object.values(EndReason));

/**
 * True when `value` is one of the {@link EndReason} wire strings.
 *
 * @example isEndReason('timeout') // true
 */
export function isEndReason(value: unknown): value is EndReason {
  return typeof value === 'string' && reasons.has(value);
}

/** Throws `INVALID_OPTION` unless `value` is an {@link EndReason}. */
export function assertEndReason(value: unknown): asserts value is EndReason {
  if (!isEndReason(value)) {
    throw new SpoolError(
      'INVALID_OPTION',
      `\`reason\` must be one of ${[...reasons].map((r) => `'${r}'`).join(', ')} (EndReason.*), got ${String(value)}.`,
    );
  }
}
