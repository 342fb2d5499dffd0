import { SpoolError } from '../errors';
import type { MessageId } from '../protocol/message-id';
import { type Clock, realClock } from '../time/clock';
import { CACHE_STREAM_OVERHEAD_BYTES } from './memory-cost';
import type { MessageChunk } from './message-chunk';
import type { StreamMeta } from './stream-meta';

/**
 * Persists (or otherwise consumes) a finished message. It may be async; a throw or a
 * rejection is retried per `completionRetry`. `chunks` are sorted by `chunkId`; `meta` has
 * `closed: true` and `endReason` set. `attempt` counts from 1, for idempotent writes.
 */
export type StreamCompleteHandler = (
  messageId: MessageId,
  chunks: MessageChunk[],
  meta: StreamMeta,
  context: {
    /** 1 on the first call, then one more on each retry. */
    attempt: number;
  },
) => void | Promise<void>;

/** What a dead-lettered completion carries besides the message. */
export interface CompletionFailure {
  /** The error of the last attempt. */
  error: unknown;
  /** Calls of `onStreamComplete` made, the first included. */
  attempts: number;
}

/**
 * Receives a message whose `onStreamComplete` failed every attempt, with its full chunks,
 * so that it is never dropped silently (store it aside, alert, ...).
 */
export type CompleteFailedHandler = (
  messageId: MessageId,
  chunks: MessageChunk[],
  meta: StreamMeta,
  failure: CompletionFailure,
) => void | Promise<void>;

/** Exponential backoff with full jitter: attempt n waits `random() * min(maxDelayMs, baseDelayMs * 2^(n-1))`. */
export interface CompletionRetryOptions {
  /** Calls in total, the first included. @default 5 */
  attempts: number;
  /** @default 100 */
  baseDelayMs: number;
  /** @default 10000 */
  maxDelayMs: number;
}

/**
 * Options of {@link StreamCache}. Every time is in ms; every name carries its unit.
 *
 * @example
 * new StreamCache({ maxStreams: 1_000, chunkInactivityTimeoutMs: 10_000, onStreamComplete: save });
 */
export interface StreamCacheOptions {
  /** Upper bound of counted memory (payload bytes + documented overheads). @default 104857600 (100 MiB) */
  maxMemoryBytes?: number;
  /** Open streams at once. @default 10000 */
  maxStreams?: number;
  /**
   * Chunks in one stream. High on purpose: `maxMemoryBytes` is what bounds a stream, and a
   * long LLM reply easily has tens of thousands of tokens.
   * @default 100000
   */
  maxChunksPerStream?: number;
  /** Hard cap on a stream's age: it ends with reason `timeout` this long after opening. `Infinity` disables. @default 1800000 (30 min) */
  streamTimeoutMs?: number;
  /** A stream with no new chunk for this long ends with reason `timeout`. `Infinity` disables. @default 30000 (30 s) */
  chunkInactivityTimeoutMs?: number;
  /**
   * Period of the backstop sweep that re-checks every stream's deadlines. Deadlines are
   * enforced by a single timer armed for the earliest one, not by this sweep. `Infinity`
   * disables. @default 300000 (5 min)
   */
  cleanupIntervalMs?: number;
  /** Called once per ended stream, on a microtask after the cache's state is updated. @default undefined */
  onStreamComplete?: StreamCompleteHandler;
  /** Called when `onStreamComplete` has failed every attempt. @default undefined */
  onCompleteFailed?: CompleteFailedHandler;
  /** @default { attempts: 5, baseDelayMs: 100, maxDelayMs: 10000 } */
  completionRetry?: Partial<CompletionRetryOptions>;
  /** Every timer and timestamp of the cache, for fake time in tests. @default realClock */
  clock?: Clock;
}

/** Options after defaults and validation. */
export interface ResolvedStreamCacheOptions {
  /** Upper bound of counted memory, in bytes. */
  readonly maxMemoryBytes: number;
  /** Open streams at once, at most. */
  readonly maxStreams: number;
  /** Chunks in one stream, at most. */
  readonly maxChunksPerStream: number;
  /** A stream's maximum age in ms; `Infinity` when disabled. */
  readonly streamTimeoutMs: number;
  /** Ms without a new chunk after which a stream ends; `Infinity` when disabled. */
  readonly chunkInactivityTimeoutMs: number;
  /** Period of the backstop sweep in ms; `Infinity` when disabled. */
  readonly cleanupIntervalMs: number;
  /** Called once per ended stream; undefined when none was given. */
  readonly onStreamComplete: StreamCompleteHandler | undefined;
  /** Called when every completion attempt failed; undefined when none was given. */
  readonly onCompleteFailed: CompleteFailedHandler | undefined;
  /** The completion retry policy, every field set. */
  readonly completionRetry: Readonly<CompletionRetryOptions>;
  /** The clock of every timer and timestamp of the cache. */
  readonly clock: Clock;
}

/**
 * The defaults of {@link StreamCacheOptions} (in ms and bytes).
 *
 * @example new StreamCache({ ...cacheDefaults, maxStreams: 100 })
 */
export const cacheDefaults: ResolvedStreamCacheOptions = Object.freeze({
  maxMemoryBytes: 100 * 2 ** 20,
  maxStreams: 10_000,
  maxChunksPerStream: 100_000,
  streamTimeoutMs: 30 * 60_000,
  chunkInactivityTimeoutMs: 30_000,
  cleanupIntervalMs: 5 * 60_000,
  onStreamComplete: undefined,
  onCompleteFailed: undefined,
  completionRetry: Object.freeze({ attempts: 5, baseDelayMs: 100, maxDelayMs: 10_000 }),
  clock: realClock,
});

// Names from Go ports of this cache and other near misses, so a port gets a pointed hint.
const hints: Record<string, keyof StreamCacheOptions> = {
  maxMemorySize: 'maxMemoryBytes',
  maxMemory: 'maxMemoryBytes',
  streamTimeout: 'streamTimeoutMs',
  chunkInactivityTimeout: 'chunkInactivityTimeoutMs',
  inactivityTimeoutMs: 'chunkInactivityTimeoutMs',
  cleanupInterval: 'cleanupIntervalMs',
  maxChunks: 'maxChunksPerStream',
  onComplete: 'onStreamComplete',
  onCompleteFailure: 'onCompleteFailed',
  retry: 'completionRetry',
};

function bad(message: string): SpoolError {
  return new SpoolError('INVALID_OPTION', message);
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw bad(`\`${name}\` must be a positive integer, got ${String(value)}.`);
  }
  return value;
}

function duration(name: string, value: unknown, allowZero = false): number {
  const ok = typeof value === 'number' && (value === Number.POSITIVE_INFINITY || Number.isSafeInteger(value));
  if (!ok || (value as number) < 0 || (!allowZero && value === 0)) {
    const range = allowZero ? 'a non-negative' : 'a positive';
    throw bad(
      `\`${name}\` must be ${range} integer number of milliseconds (or Infinity to disable), got ${String(value)}.`,
    );
  }
  return value as number;
}

function optionalFunction<T>(name: string, value: unknown): T | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw bad(`\`${name}\` must be a function, got ${typeof value}.`);
  }
  return value as T | undefined;
}

/**
 * Applies {@link cacheDefaults} and validates every option.
 * @throws SpoolError `INVALID_OPTION` with a message that says how to fix it.
 */
export function resolveCacheOptions(options: StreamCacheOptions | undefined): ResolvedStreamCacheOptions {
  if (options === undefined) return cacheDefaults;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw bad('StreamCache options must be an object, e.g. `new StreamCache({ maxStreams: 100 })`.');
  }
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(cacheDefaults, key)) {
      const hint = hints[key];
      throw bad(`Unknown StreamCache option \`${key}\`.${hint ? ` Did you mean \`${hint}\`?` : ''}`);
    }
  }
  const o = { ...cacheDefaults, ...stripUndefined(options) };
  const maxMemoryBytes = positiveInteger('maxMemoryBytes', o.maxMemoryBytes);
  if (maxMemoryBytes < CACHE_STREAM_OVERHEAD_BYTES) {
    throw bad(
      `\`maxMemoryBytes\` must be at least ${CACHE_STREAM_OVERHEAD_BYTES} (one stream's overhead), got ${maxMemoryBytes}.`,
    );
  }
  const retryInput: unknown = options.completionRetry ?? {};
  if (typeof retryInput !== 'object' || retryInput === null) {
    throw bad(
      '`completionRetry` must be an object like { attempts: 5, baseDelayMs: 100, maxDelayMs: 10000 }.',
    );
  }
  for (const key of Object.keys(retryInput)) {
    if (!Object.hasOwn(cacheDefaults.completionRetry, key)) {
      throw bad(
        `Unknown \`completionRetry\` option \`${key}\`: expected attempts, baseDelayMs or maxDelayMs.`,
      );
    }
  }
  const retry = { ...cacheDefaults.completionRetry, ...stripUndefined(retryInput as object) };
  const attempts = positiveInteger('completionRetry.attempts', retry.attempts);
  const baseDelayMs = duration('completionRetry.baseDelayMs', retry.baseDelayMs, true);
  const maxDelayMs = duration('completionRetry.maxDelayMs', retry.maxDelayMs, true);
  if (!Number.isFinite(baseDelayMs) || !Number.isFinite(maxDelayMs) || maxDelayMs < baseDelayMs) {
    throw bad(
      `\`completionRetry.maxDelayMs\` (${maxDelayMs}) must be finite and at least \`completionRetry.baseDelayMs\` (${baseDelayMs}).`,
    );
  }
  const clock = o.clock as Partial<Clock> | null;
  if (
    typeof clock !== 'object' ||
    clock === null ||
    typeof clock.now !== 'function' ||
    typeof clock.setTimeout !== 'function' ||
    typeof clock.clearTimeout !== 'function'
  ) {
    throw bad(
      '`clock` must implement now(), setTimeout() and clearTimeout(), e.g. realClock or createManualClock().',
    );
  }
  return Object.freeze({
    maxMemoryBytes,
    maxStreams: positiveInteger('maxStreams', o.maxStreams),
    maxChunksPerStream: positiveInteger('maxChunksPerStream', o.maxChunksPerStream),
    streamTimeoutMs: duration('streamTimeoutMs', o.streamTimeoutMs),
    chunkInactivityTimeoutMs: duration('chunkInactivityTimeoutMs', o.chunkInactivityTimeoutMs),
    cleanupIntervalMs: duration('cleanupIntervalMs', o.cleanupIntervalMs),
    onStreamComplete: optionalFunction<StreamCompleteHandler>('onStreamComplete', o.onStreamComplete),
    onCompleteFailed: optionalFunction<CompleteFailedHandler>('onCompleteFailed', o.onCompleteFailed),
    completionRetry: Object.freeze({ attempts, baseDelayMs, maxDelayMs }),
    clock: clock as Clock,
  });
}

// `{ maxStreams: undefined }` means "the default", as with an absent key.
function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
