import { SpoolError } from '@spool/core';

/** WebSocket options of `createSpool({ ws })`. */
export interface WsOptions {
  /**
   * Path of the WebSocket endpoint.
   * @default '/v1/ws'
   */
  path?: string;
  /**
   * Largest frame accepted from a client; a bigger one closes the socket with 1009.
   * @default 1048576 (1 MiB)
   */
  maxFrameBytes?: number;
  /**
   * Bound of a connection's send queue (queued frames + the socket's own buffer). A
   * subscription that would pass it is paused, told `lag`, and resumed through catchup.
   * @default 1048576 (1 MiB)
   */
  maxQueuedBytes?: number;
  /** @default 100 */
  maxSubscriptions?: number;
  /**
   * Credit of a subscription whose `sub` names none, in events.
   * @default 1024
   */
  defaultCredit?: number;
  /** Upper bound of a subscription's credit. @default 16384 */
  maxCredit?: number;
  /**
   * Operations per second per connection, refilled continuously: `pub`, `msg.open`, `sub`,
   * and producer operations on messages this connection did not open. Past it they are
   * refused with `RATE_LIMITED` and `retryAfterMs`.
   * @default 500
   */
  publishRatePerSec?: number;
  /** Burst of the operation rate limit. @default 1000 */
  publishBurst?: number;
  /**
   * `msg.append`s to messages this connection opened are paced by this window instead of
   * the rate limit: at most this many may await their `ack` or `err`. One past it is
   * refused with `RATE_LIMITED` and `retryAfterMs` (never dropped). The client's writer
   * keeps the same window, so it is never refused (docs/protocol.md "Producing a long message").
   * @default 256
   */
  appendWindow?: number;
  /** Malformed frames tolerated (each answered with `err`) before closing with 1007/1008. @default 3 */
  maxBadFrames?: number;
  /**
   * Interval of the liveness sweep: each sweep sends a ws ping and an `{"op":"hb"}`
   * heartbeat, and terminates sockets that did not answer the previous sweep.
   * @default 30000
   */
  heartbeatIntervalMs?: number;
  /** Idempotency keys remembered per principal. @default 1000 */
  idempotencyWindow?: number;
}

/** {@link WsOptions} with every field set. */
export type ResolvedWsOptions = Required<WsOptions>;

/** The defaults of {@link WsOptions}. */
export const wsDefaults: ResolvedWsOptions = Object.freeze({
  path: '/v1/ws',
  maxFrameBytes: 1024 * 1024,
  maxQueuedBytes: 1024 * 1024,
  maxSubscriptions: 100,
  defaultCredit: 1024,
  maxCredit: 16_384,
  publishRatePerSec: 500,
  publishBurst: 1000,
  appendWindow: 256,
  maxBadFrames: 3,
  heartbeatIntervalMs: 30_000,
  idempotencyWindow: 1000,
});

/**
 * Applies {@link wsDefaults} and validates.
 * @throws SpoolError `INVALID_OPTION`
 */
export function resolveWsOptions(options: WsOptions = {}): ResolvedWsOptions {
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(wsDefaults, key)) {
      throw new SpoolError(
        'INVALID_OPTION',
        `Unknown \`ws\` option \`${key}\`; known: ${Object.keys(wsDefaults).join(', ')}.`,
      );
    }
  }
  const o = { ...wsDefaults, ...stripUndefined(options) } as ResolvedWsOptions;
  if (typeof o.path !== 'string' || !o.path.startsWith('/')) {
    throw new SpoolError('INVALID_OPTION', `\`ws.path\` must start with "/", got ${JSON.stringify(o.path)}.`);
  }
  for (const key of Object.keys(wsDefaults) as (keyof ResolvedWsOptions)[]) {
    if (key === 'path') continue;
    const v = o[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      throw new SpoolError('INVALID_OPTION', `\`ws.${key}\` must be a positive integer, got ${String(v)}.`);
    }
  }
  if (o.defaultCredit > o.maxCredit) {
    throw new SpoolError(
      'INVALID_OPTION',
      `\`ws.defaultCredit\` (${o.defaultCredit}) must not exceed \`ws.maxCredit\` (${o.maxCredit}).`,
    );
  }
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
