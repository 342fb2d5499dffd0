/**
 * @spool/core/internal: the parts of core that only Spool's own packages (the server, the
 * client, benchmarks and chaos tests) use: the chat pipeline, Redis argument checkers, stream-ID parsing, store
 * query helpers, event-ID arithmetic, topic-event encoding, test helpers. No stability
 * promise: it changes with the packages that use it (docs/architecture.md, "Packages").
 * Users import `@spool/core`.
 */
export {
  APPROX_TRIM_DEFAULT_LIMIT,
  assertStreamIdList,
  assertStreamInteger,
  assertStreamKeyIds,
  assertStreamName,
  checkAutoclaimCount,
  checkBlock,
  checkEntriesRead,
  checkTrimArgs,
  compareStreamIds,
  flattenStreamFields,
  formatStreamId,
  isMaxStreamId,
  isValidStreamId,
  parseRangeBound,
  parseStreamId,
  parseXaddId,
  type StreamIdParts,
  streamFieldsToRecord,
  type TrimArgs,
} from './broker';
export { CACHE_TIME_RESOLUTION_MS } from './cache';
// The chat pipeline: the server drives it, users never call it (docs/architecture.md, "Packages").
export { concatBytes, fromBase64, toBase64 } from './chat/bytes';
export type { ChatAccess, ChatPrincipal } from './chat/chat-principal';
export {
  ChatProducer,
  type ChatProducerDeps,
  type DeadLetter,
  type DeadLetterReplay,
  toWireMeta,
} from './chat/chat-producer';
export { joinChunks } from './chat/join-chunks';
export type {
  ClaimResult,
  MessageCluster,
  MessageDirectory,
  MetaPatch,
  OpenMessageRecord,
  RecordedChunk,
} from './chat/message-cluster';
export { MessageRuns, type RunHandle, type RunTarget, type RunWork } from './chat/message-runs';
export { applyMetaPatch } from './chat/meta-patch';
export type { ProducerOps, WireChunk } from './chat/producer-ops';
export { handledRejection, sleepOnClock } from './flow';
export {
  assertTopicName,
  CatchupGate,
  type CatchupGateKind,
  compareEventTo,
  createTopicEvent,
  EventRateMeter,
  encodeTopicPayload,
  logCatchup,
  resolveTopicRetention,
  snapshotEvent,
  snapshotFromEvents,
  storedMessageSnapshot,
  topicEventFrame,
  topicEventFrameHead,
  topicEventFrameMiddle,
} from './log';
export {
  type PipelineStage,
  type ResolvedPipelineConfig,
  StreamPipeline,
  validatePipelineConfig,
} from './pipeline';
export { idAfter, idBefore, nextEventId } from './protocol';
export {
  beforeEventId,
  beforeMessageId,
  channelQuery,
  copyStoredMessage,
  fieldQuery,
  listAfterLimit,
  MAX_LIST_AFTER_LIMIT,
  MAX_PERSISTED_AT,
  pageLimit,
  senderQuery,
  toStoredMessage,
} from './store';
export { seededRandom } from './time/seeded-random';
