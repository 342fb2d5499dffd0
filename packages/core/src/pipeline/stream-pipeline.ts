import { SpoolError } from '../errors';
import { requireFunction } from '../flow/validate';
import { type Clock, realClock } from '../time/clock';
import type { BufferPool } from './buffer-pool';
import type { PipelineEncoder, PipelineErrorBody } from './encoder';
import { checkFetcher } from './item-source';
import { type PipelineConfig, type ResolvedPipelineConfig, validatePipelineConfig } from './pipeline-config';
import { PipelineRun, type RunParts } from './pipeline-run';
import type {
  BatchPipelineSource,
  PipelineBatchTransformer,
  PipelineMetrics,
  PipelineSource,
  PipelineTransformer,
} from './pipeline-types';

export type {
  BatchPipelineSource,
  PipelineBatchTransformer,
  PipelineMetrics,
  PipelineSource,
  PipelineStage,
  PipelineSummary,
  PipelineTransformer,
} from './pipeline-types';

/** Wiring shared by every stream of one {@link StreamPipeline}. */
export interface StreamPipelineOptions extends PipelineConfig {
  /**
   * Borrow a scratch buffer from this pool per stream instead of building chunks from
   * strings. Off by default: bench/pipeline.ts found string building faster (see its report).
   * @default false
   */
  bufferPool?: BufferPool | false;
  /** Hooks for metrics: chunks sent, errors, completion and cancel. */
  metrics?: PipelineMetrics;
  /** For `durationMs`. @default realClock */
  clock?: Clock;
  /**
   * What the client reads when the stream fails. The default passes a `SpoolError`'s code
   * and message through and hides anything else (a driver's message may leak internals)
   * behind `PIPELINE_FAILED`; `metrics.onError` still gets the original as `cause`.
   */
  describeError?: (error: unknown) => PipelineErrorBody;
}

export function defaultDescribeError(error: unknown): PipelineErrorBody {
  if (error instanceof SpoolError) return { code: error.code, message: error.message };
  return {
    code: 'PIPELINE_FAILED',
    message: 'the stream failed on the server; the output ends here, incomplete',
  };
}

/**
 * fetcher → transformer → encoder → `ReadableStream<Uint8Array>`.
 * Output is pulled: nothing is fetched beyond `highWaterMark` chunks plus the chunk being
 * built, so a slow reader slows the fetcher. Cancelling the stream aborts the fetcher; a
 * fetcher, transformer or encoder error ends the stream with the encoder's in-band error.
 *
 * @example
 * const pipeline = new StreamPipeline({ chunkThreshold: 16 * 1024 });
 * const body = pipeline.stream({ fetcher: rows, transformer: toDto, encoder: ndjsonEncoder() });
 * return new Response(body, { headers: { 'content-type': ndjsonEncoder().contentType } });
 */
export class StreamPipeline {
  private readonly parts: RunParts;

  constructor(options: StreamPipelineOptions = {}) {
    const pool = options.bufferPool ?? false;
    if (pool !== false && (typeof pool !== 'object' || pool === null || typeof pool.get !== 'function')) {
      throw new SpoolError(
        'INVALID_OPTION',
        '`bufferPool` must be a BufferPool (see createBufferPool) or false',
      );
    }
    this.parts = {
      config: validatePipelineConfig(options),
      pool,
      metrics: options.metrics ?? {},
      clock: options.clock ?? realClock,
      describeError: requireFunction('describeError', options.describeError ?? defaultDescribeError),
    };
  }

  /** The configuration in force, defaults applied. */
  getConfig(): ResolvedPipelineConfig {
    return this.parts.config;
  }

  /** Streams item by item. Without a transformer, the encoder takes the fetcher's items as they are. */
  stream<T>(
    source: PipelineSource<T, T> & {
      /** None: the encoder takes the fetcher's items as they are. */
      transformer?: undefined;
    },
  ): ReadableStream<Uint8Array>;
  stream<T, U>(
    source: PipelineSource<T, U> & {
      /** Turns each fetched item into the item encoded. */
      transformer: PipelineTransformer<T, U>;
    },
  ): ReadableStream<Uint8Array>;
  stream<T, U>(source: PipelineSource<T, U>): ReadableStream<Uint8Array> {
    checkSource(source);
    if (source.transformer !== undefined) requireFunction('transformer', source.transformer);
    return this.output(new PipelineRun<T, U>(this.parts, source, 'item'));
  }

  /** Streams in batches of `batchSize` through `transformBatch`. */
  streamBatch<T>(
    source: BatchPipelineSource<T, T> & {
      /** None: each batch is encoded as it was fetched. */
      transformBatch?: undefined;
    },
  ): ReadableStream<Uint8Array>;
  streamBatch<T, U>(
    source: BatchPipelineSource<T, U> & {
      /** Turns each batch of fetched items into the items encoded. */
      transformBatch: PipelineBatchTransformer<T, U>;
    },
  ): ReadableStream<Uint8Array>;
  streamBatch<T, U>(source: BatchPipelineSource<T, U>): ReadableStream<Uint8Array> {
    checkSource(source);
    if (source.transformBatch !== undefined) requireFunction('transformBatch', source.transformBatch);
    return this.output(new PipelineRun<T, U>(this.parts, source, 'batch'));
  }

  private output<T, U>(run: PipelineRun<T, U>): ReadableStream<Uint8Array> {
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => run.start(controller),
        pull: () => run.pull(),
        cancel: (reason) => run.cancel(reason),
      },
      { highWaterMark: this.parts.config.highWaterMark },
    );
    const { compression } = this.parts.config;
    if (compression === false) return stream;
    return stream.pipeThrough(
      new CompressionStream(compression) as unknown as TransformStream<Uint8Array, Uint8Array>,
    );
  }
}

function checkSource(source: { fetcher: unknown; encoder: unknown }): void {
  if (typeof source !== 'object' || source === null) {
    throw new SpoolError('INVALID_OPTION', 'the pipeline needs `{ fetcher, encoder }`');
  }
  checkFetcher(source.fetcher);
  const encoder = source.encoder as PipelineEncoder | undefined;
  if (
    typeof encoder !== 'object' ||
    encoder === null ||
    typeof encoder.contentType !== 'string' ||
    !['start', 'item', 'end', 'error'].every(
      (m) => typeof (encoder as unknown as Record<string, unknown>)[m] === 'function',
    )
  ) {
    throw new SpoolError(
      'INVALID_OPTION',
      '`encoder` must be a PipelineEncoder ({ contentType, start, item, end, error }), e.g. jsonArrayEncoder()',
    );
  }
}

/** Options of {@link createPipeline}: one stream's source plus the pipeline's configuration. */
export type PipelineOptions<T, U = T> = PipelineSource<T, U> & StreamPipelineOptions;
/** Options of {@link createBatchPipeline}: one stream's batch source plus the pipeline's configuration. */
export type BatchPipelineOptions<T, U = T> = BatchPipelineSource<T, U> & StreamPipelineOptions;

/**
 * One call from items to a byte stream: what the HTTP history route does.
 *
 * @example
 * const encoder = jsonArrayEncoder();
 * const body = createPipeline({ fetcher: (signal) => topic.read({ signal }), transformer: toWire, encoder, signal });
 * return new Response(body, { headers: { 'content-type': encoder.contentType } });
 */
export function createPipeline<T>(
  options: PipelineOptions<T, T> & {
    /** None: the encoder takes the fetcher's items as they are. */
    transformer?: undefined;
  },
): ReadableStream<Uint8Array>;
export function createPipeline<T, U>(
  options: PipelineOptions<T, U> & {
    /** Turns each fetched item into the item encoded. */
    transformer: PipelineTransformer<T, U>;
  },
): ReadableStream<Uint8Array>;
export function createPipeline<T, U>(options: PipelineOptions<T, U>): ReadableStream<Uint8Array> {
  return new StreamPipeline(options).stream(
    options as PipelineOptions<T, U> & { transformer: PipelineTransformer<T, U> },
  );
}

/**
 * The batch variant of {@link createPipeline}.
 *
 * @example
 * const body = createBatchPipeline({
 *   fetcher: ids, batchSize: 200, encoder: ndjsonEncoder(),
 *   transformBatch: (batch) => store.getMany(batch),
 * });
 */
export function createBatchPipeline<T>(
  options: BatchPipelineOptions<T, T> & {
    /** None: each batch is encoded as it was fetched. */
    transformBatch?: undefined;
  },
): ReadableStream<Uint8Array>;
export function createBatchPipeline<T, U>(
  options: BatchPipelineOptions<T, U> & {
    /** Turns each batch of fetched items into the items encoded. */
    transformBatch: PipelineBatchTransformer<T, U>;
  },
): ReadableStream<Uint8Array>;
export function createBatchPipeline<T, U>(options: BatchPipelineOptions<T, U>): ReadableStream<Uint8Array> {
  return new StreamPipeline(options).streamBatch(
    options as BatchPipelineOptions<T, U> & { transformBatch: PipelineBatchTransformer<T, U> },
  );
}
