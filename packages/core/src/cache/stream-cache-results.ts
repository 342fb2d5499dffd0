import type { SpoolError } from '../errors';
import type { MessageId } from '../protocol/message-id';
import type { CacheStatsSnapshot } from '../stats';
import type { CompletionCounters } from './completion-queue';
import type { EndReason } from './end-reason';

/**
 * `getStats()`: the operators' {@link CacheStatsSnapshot} plus lifetime counters.
 *
 * @example
 * const { memoryBytes, maxMemoryBytes, deadLettered } = cache.getStats();
 */
export interface StreamCacheStats extends CacheStatsSnapshot, CompletionCounters {
  /** The limit of chunks in one stream (`maxChunksPerStream`). */
  maxChunksPerStream: number;
  /** Streams opened since the cache was created. */
  opened: number;
  /** Chunks accepted since the cache was created. */
  appended: number;
  /** Streams ended since the cache was created, in total and by reason. */
  ended: number;
  /** Streams ended since the cache was created, per {@link EndReason}. */
  endedByReason: Record<EndReason, number>;
  /** Completions not yet settled (running, or waiting for a retry). */
  pendingCompletions: number;
}

/**
 * What `endStreamInChannel` did: the streams it ended and, per stream, what went wrong.
 *
 * @example
 * const { ended, failures } = cache.endStreamInChannel('general', 1, EndReason.Force);
 */
export interface ChannelEndResult {
  /** The IDs of the streams it ended. */
  ended: MessageId[];
  /** Normally empty; a stream ended meanwhile (for example by an `end` listener) lands here with `STREAM_CLOSED`. */
  failures: Array<{
    /** The stream that could not be ended. */
    messageId: MessageId;
    /** Why (`STREAM_CLOSED`). */
    error: SpoolError;
  }>;
}
