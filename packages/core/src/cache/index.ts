// StreamCache: message chunk assembly with limits, timeouts, queries and a
// completion callback that is retried, then dead-lettered, never dropped.
export {
  type CompleteFailedHandler,
  type CompletionFailure,
  type CompletionRetryOptions,
  cacheDefaults,
  type ResolvedStreamCacheOptions,
  type StreamCacheOptions,
  type StreamCompleteHandler,
} from './cache-options';
export type { CompletionCounters, CompletionOutcome } from './completion-queue';
export { EndReason, isEndReason } from './end-reason';
export { CACHE_CHUNK_OVERHEAD_BYTES, CACHE_STREAM_OVERHEAD_BYTES, utf8ByteLength } from './memory-cost';
export type { ChunkPayload, MessageChunk, MessageChunkInput } from './message-chunk';
export { StreamCache } from './stream-cache';
export type { StreamCacheEvent, StreamCacheEventMap } from './stream-cache-events';
export type { ChannelEndResult, StreamCacheStats } from './stream-cache-results';
export { CACHE_TIME_RESOLUTION_MS } from './stream-deadlines';
export type { StreamView } from './stream-entry';
export {
  getCustomFieldBoolean,
  getCustomFieldNumber,
  getCustomFieldString,
  removeCustomField,
  type StreamMeta,
  type StreamMetaDraft,
  type StreamMetaInit,
  setCustomField,
  type WithCustomFields,
} from './stream-meta';
export { type BuiltStreamMeta, StreamMetaBuilder } from './stream-meta-builder';
