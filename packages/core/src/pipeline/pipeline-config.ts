import { SpoolError } from '../errors';
import { requireInteger } from '../flow/validate';

/** A `CompressionStream` format for the pipeline's output. */
export type PipelineCompression = 'gzip' | 'deflate' | 'deflate-raw';

/** The numbers that shape a pipeline. */
export interface PipelineConfig {
  /**
   * A chunk is sent once the buffered output passes this many bytes (the stream's end
   * flushes the rest).
   * @default 32768
   */
  chunkThreshold?: number;
  /**
   * Items handed to `transformBatch` at once (the batch variant).
   * @default 100
   */
  batchSize?: number;
  /**
   * Chunks the output may queue ahead of its reader. With the
   * chunk being built, this bounds how far the fetcher runs ahead of a slow reader.
   * @default 1
   */
  highWaterMark?: number;
  /**
   * Compresses the output through `CompressionStream` (set `Content-Encoding` to match).
   * @default false
   */
  compression?: PipelineCompression | false;
}

/** A {@link PipelineConfig} with every field set. */
export type ResolvedPipelineConfig = Readonly<Required<PipelineConfig>>;

/**
 * The defaults of {@link PipelineConfig}: 32 KiB chunks, batches of 100, one chunk queued, no compression.
 */
export const pipelineDefaults = {
  chunkThreshold: 32 * 1024,
  batchSize: 100,
  highWaterMark: 1,
  compression: false,
} as const satisfies ResolvedPipelineConfig;

const compressions: readonly unknown[] = ['gzip', 'deflate', 'deflate-raw', false];

/**
 * Applies defaults and checks every field. A
 * field left `undefined` takes its default (TypeScript's "unset", where Go used the zero
 * value); a value that is set but wrong throws `INVALID_OPTION` rather than being silently
 * replaced.
 *
 * @example
 * validatePipelineConfig({ chunkThreshold: 8192 }); // { chunkThreshold: 8192, batchSize: 100, ... }
 */
export function validatePipelineConfig(config: PipelineConfig = {}): ResolvedPipelineConfig {
  const compression = config.compression ?? pipelineDefaults.compression;
  if (!compressions.includes(compression)) {
    throw new SpoolError(
      'INVALID_OPTION',
      `\`compression\` must be 'gzip', 'deflate', 'deflate-raw' or false, got ${JSON.stringify(compression)}`,
    );
  }
  if (compression !== false && typeof globalThis.CompressionStream !== 'function') {
    throw new SpoolError(
      'INVALID_OPTION',
      '`compression` needs CompressionStream, which this runtime lacks: leave compression off or compress in the HTTP layer',
    );
  }
  return Object.freeze({
    chunkThreshold: requireInteger(
      'chunkThreshold',
      config.chunkThreshold ?? pipelineDefaults.chunkThreshold,
      1,
    ),
    batchSize: requireInteger('batchSize', config.batchSize ?? pipelineDefaults.batchSize, 1),
    highWaterMark: requireInteger('highWaterMark', config.highWaterMark ?? pipelineDefaults.highWaterMark, 0),
    compression,
  });
}
