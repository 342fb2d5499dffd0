import { SpoolError } from '../errors';
import type { Clock } from '../time/clock';
import type { BufferPool } from './buffer-pool';
import { type ChunkSink, PooledChunkSink, TextChunkSink } from './chunk-sink';
import type { PipelineEncoder, PipelineErrorBody } from './encoder';
import { type ItemSource, isPromiseLike, openItemSource } from './item-source';
import type { ResolvedPipelineConfig } from './pipeline-config';
import type {
  BatchPipelineSource,
  PipelineMetrics,
  PipelineSource,
  PipelineStage,
  PipelineSummary,
} from './pipeline-types';

/** What every stream of one pipeline shares. */
export interface RunParts {
  config: ResolvedPipelineConfig;
  pool: BufferPool | false;
  metrics: PipelineMetrics;
  clock: Clock;
  describeError: (error: unknown) => PipelineErrorBody;
}

/** The state of one stream: its source, its sink and its counters. */
export class PipelineRun<T, U> {
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private sink!: ChunkSink;
  private source: ItemSource<T> | undefined;
  private readonly abort = new AbortController();
  private readonly startedAt: number;
  private readonly encoder: PipelineEncoder<U>;
  private done = false;
  private items = 0;
  private fetched = 0;
  private chunks = 0;
  private bytes = 0;
  private stage: PipelineStage = 'fetcher';
  private readonly onExternalAbort = () => this.abortedBySignal();

  constructor(
    private readonly parts: RunParts,
    private readonly spec: PipelineSource<T, U> | BatchPipelineSource<T, U>,
    private readonly mode: 'item' | 'batch',
  ) {
    this.encoder = spec.encoder;
    this.startedAt = parts.clock.now();
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.controller = controller;
    const { pool } = this.parts;
    const emit = (chunk: Uint8Array) => this.send(chunk);
    this.sink = pool ? new PooledChunkSink(pool, emit) : new TextChunkSink(emit);
    const { signal } = this.spec;
    if (signal?.aborted) {
      this.abortedBySignal();
      return;
    }
    signal?.addEventListener('abort', this.onExternalAbort, { once: true });
    this.stage = 'encoder';
    try {
      this.sink.write(this.encoder.start());
    } catch (err) {
      this.fail(err);
    }
  }

  async pull(): Promise<void> {
    if (this.done) return;
    try {
      if (!this.source) {
        this.stage = 'fetcher';
        const opened = openItemSource(this.spec.fetcher, this.abort.signal);
        this.source = isPromiseLike(opened) ? await opened : opened;
        if (this.done) {
          this.source.close(this.abort.signal.reason);
          return;
        }
      }
      const more =
        this.mode === 'item' ? await this.pullItems(this.source) : await this.pullBatch(this.source);
      if (this.done) return;
      if (more) this.sink.flush();
      else this.finish();
    } catch (err) {
      if (!this.done) this.fail(err);
    }
  }

  /** Fills the sink up to the threshold; false once the fetcher is exhausted. */
  private async pullItems(source: ItemSource<T>): Promise<boolean> {
    const { chunkThreshold } = this.parts.config;
    const transformer = (this.spec as PipelineSource<T, U>).transformer;
    const encoder = this.encoder;
    const sink = this.sink;
    while (sink.size < chunkThreshold) {
      this.stage = 'fetcher';
      let next = source.next();
      // Sync iterables stay synchronous: one await per item would dominate small items.
      if (isPromiseLike<IteratorResult<T>>(next)) next = await next;
      if (this.done) return false;
      if (next.done) return false;
      const index = this.fetched++;
      let value: U;
      if (transformer) {
        this.stage = 'transformer';
        const out = transformer(next.value, index);
        value = isPromiseLike<U>(out) ? await out : out;
        if (this.done) return false;
      } else {
        value = next.value as unknown as U;
      }
      this.stage = 'encoder';
      sink.write(encoder.item(value, this.items));
      this.items++;
    }
    return true;
  }

  /** Reads one batch, transforms it, encodes it; false once the fetcher is exhausted. */
  private async pullBatch(source: ItemSource<T>): Promise<boolean> {
    const { chunkThreshold, batchSize } = this.parts.config;
    const transformBatch = (this.spec as BatchPipelineSource<T, U>).transformBatch;
    while (this.sink.size < chunkThreshold) {
      this.stage = 'fetcher';
      const batch: T[] = [];
      let exhausted = false;
      while (batch.length < batchSize) {
        let next = source.next();
        if (isPromiseLike<IteratorResult<T>>(next)) next = await next;
        if (this.done) return false;
        if (next.done) {
          exhausted = true;
          break;
        }
        batch.push(next.value);
      }
      this.fetched += batch.length;
      if (batch.length > 0) {
        this.stage = 'transformer';
        let out: U[] | Promise<U[]> = transformBatch
          ? transformBatch(batch, this.abort.signal)
          : (batch as unknown as U[]);
        if (isPromiseLike<U[]>(out)) out = await out;
        if (this.done) return false;
        if (!Array.isArray(out)) {
          throw new SpoolError(
            'PIPELINE_FAILED',
            '`transformBatch` must return an array (or a promise of one)',
          );
        }
        this.stage = 'encoder';
        for (const value of out) {
          this.sink.write(this.encoder.item(value, this.items));
          this.items++;
        }
      }
      if (exhausted) return false;
    }
    return true;
  }

  cancel(reason: unknown): void {
    if (this.done) return;
    this.done = true;
    this.abort.abort(reason);
    this.release(true);
    this.hook('onCancel', this.summary());
  }

  private send(chunk: Uint8Array): void {
    this.chunks++;
    this.bytes += chunk.byteLength;
    this.controller.enqueue(chunk);
    this.hook('onChunkSent', chunk.byteLength);
  }

  private finish(): void {
    this.stage = 'encoder';
    try {
      this.sink.write(this.encoder.end(this.items));
      this.sink.flush();
    } catch (err) {
      this.fail(err);
      return;
    }
    this.done = true;
    this.controller.close();
    this.release(false);
    this.hook('onComplete', this.summary());
  }

  /** Ends the stream in-band: the encoder's error is the last thing the reader sees. */
  private fail(err: unknown): void {
    this.done = true;
    const stage = this.stage;
    const error =
      err instanceof SpoolError
        ? err
        : new SpoolError('PIPELINE_FAILED', `pipeline ${stage} failed after ${this.items} items`, {
            cause: err,
            details: { stage },
          });
    this.abort.abort(error);
    try {
      this.sink.write(this.encoder.error(this.parts.describeError(err), this.items));
      this.sink.flush();
      this.controller.close();
    } catch (encodeErr) {
      // The encoder cannot even write its error: fail the stream out-of-band instead.
      this.controller.error(encodeErr);
    }
    this.release(true);
    this.hook('onError', error);
  }

  private abortedBySignal(): void {
    if (this.done) return;
    this.done = true;
    const signal = this.spec.signal as AbortSignal;
    const error = new SpoolError('ABORTED', 'the pipeline was aborted by its AbortSignal', {
      cause: signal.reason,
      details: { stage: 'signal' satisfies PipelineStage },
    });
    this.abort.abort(error);
    this.controller.error(error);
    this.release(true);
    this.hook('onError', error);
  }

  private release(stopSource: boolean): void {
    this.spec.signal?.removeEventListener('abort', this.onExternalAbort);
    this.sink?.release();
    if (stopSource) this.source?.close(this.abort.signal.reason);
  }

  private summary(): PipelineSummary {
    return {
      items: this.items,
      chunks: this.chunks,
      bytes: this.bytes,
      durationMs: this.parts.clock.now() - this.startedAt,
    };
  }

  private hook<K extends keyof PipelineMetrics>(
    name: K,
    arg: Parameters<NonNullable<PipelineMetrics[K]>>[0],
  ): void {
    const fn = this.parts.metrics[name] as ((a: typeof arg) => void) | undefined;
    if (!fn) return;
    try {
      fn.call(this.parts.metrics, arg);
    } catch {
      // Metrics are observers: a broken hook must not cut a client's stream short.
    }
  }
}
