export { type BufferPool, type BufferPoolOptions, bufferPoolDefaults, createBufferPool } from './buffer-pool';
export {
  type EncodedPart,
  type JsonEncoderOptions,
  jsonArrayEncoder,
  ndjsonEncoder,
  type PipelineEncoder,
  type PipelineErrorBody,
} from './encoder';
export type { PipelineFetcher, PipelineIterable } from './item-source';
export {
  type PipelineCompression,
  type PipelineConfig,
  pipelineDefaults,
  type ResolvedPipelineConfig,
  validatePipelineConfig,
} from './pipeline-config';
export { type SsePipelineEncoderOptions, type SsePipelineEvent, ssePipelineEncoder } from './sse-encoder';
export {
  type BatchPipelineOptions,
  type BatchPipelineSource,
  createBatchPipeline,
  createPipeline,
  type PipelineBatchTransformer,
  type PipelineMetrics,
  type PipelineOptions,
  type PipelineSource,
  type PipelineStage,
  type PipelineSummary,
  type PipelineTransformer,
  StreamPipeline,
  type StreamPipelineOptions,
} from './stream-pipeline';
