import type { SpoolError } from '../errors';
import type { PipelineEncoder } from './encoder';
import type { PipelineFetcher } from './item-source';

/** Where a failure came from, in `PipelineMetrics.onError`'s error details. */
export type PipelineStage = 'fetcher' | 'transformer' | 'encoder' | 'signal';

/** Hooks for metrics. They must not throw; if one does, the stream carries on. */
export interface PipelineMetrics {
  /** A chunk went to the reader (bytes before compression). */
  onChunkSent?(bytes: number): void;
  /** The stream failed: in-band for fetcher, transformer and encoder errors, `ABORTED` for the signal. */
  onError?(error: SpoolError): void;
  /** The stream ended normally. */
  onComplete?(summary: PipelineSummary): void;
  /** The reader cancelled. */
  onCancel?(summary: PipelineSummary): void;
}

/** What one stream did, for {@link PipelineMetrics}. */
export interface PipelineSummary {
  /** Items encoded. */
  items: number;
  /** Chunks sent to the reader. */
  chunks: number;
  /** Bytes before compression. */
  bytes: number;
  /** From the stream's start to its end or cancel, in ms on the pipeline's clock. */
  durationMs: number;
}

/** Maps one item on its way to the encoder; may be async. */
export type PipelineTransformer<T, U> = (item: T, index: number) => U | Promise<U>;
/** Maps a batch of items at once (one query per batch, say); may be async. */
export type PipelineBatchTransformer<T, U> = (items: T[], signal: AbortSignal) => U[] | Promise<U[]>;

/** One stream's source, transformer and encoder` arguments). */
export interface PipelineSource<T, U = T> {
  /** Where the items come from. */
  fetcher: PipelineFetcher<T>;
  /** Maps each item; may be async. Left out, items are encoded as they come. */
  transformer?: PipelineTransformer<T, U>;
  /** Turns the items into the output format. */
  encoder: PipelineEncoder<U>;
  /** Ends the stream with `ABORTED` (reads reject) and aborts the fetcher: pass the request's signal. */
  signal?: AbortSignal;
}

/** The batch variant's source: items reach `transformBatch` `batchSize` at a time (one query per batch, say). */
export interface BatchPipelineSource<T, U = T> {
  /** Where the items come from. */
  fetcher: PipelineFetcher<T>;
  /** Maps each batch of items; may be async. Left out, items are encoded as they come. */
  transformBatch?: PipelineBatchTransformer<T, U>;
  /** Turns the items into the output format. */
  encoder: PipelineEncoder<U>;
  /** Ends the stream with `ABORTED` (reads reject) and aborts the fetcher: pass the request's signal. */
  signal?: AbortSignal;
}
