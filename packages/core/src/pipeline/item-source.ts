import { SpoolError } from '../errors';
import { describeValue } from '../flow/validate';

/** Anything that yields items: a sync or async iterable, or a WHATWG ReadableStream. */
export type PipelineIterable<T> = AsyncIterable<T> | Iterable<T> | ReadableStream<T>;

/**
 * Where items come from. A function is called once, lazily, with
 * the stream's AbortSignal, which fires when the reader cancels or the pipeline fails, so a
 * database cursor or an upstream fetch can stop at once.
 */
export type PipelineFetcher<T> =
  | PipelineIterable<T>
  | ((signal: AbortSignal) => PipelineIterable<T> | Promise<PipelineIterable<T>>);

/** One pull interface over every kind of fetcher; `next` stays synchronous for sync iterables. */
export interface ItemSource<T> {
  next(): IteratorResult<T> | Promise<IteratorResult<T>>;
  /** Stops the fetcher early; never throws, never waits. */
  close(reason: unknown): void;
}

const ignore = () => {};

export function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Checks a fetcher's shape up front, so `createPipeline` throws before any stream exists. */
export function checkFetcher(fetcher: unknown): void {
  if (typeof fetcher === 'function' || isIterableSource(fetcher)) return;
  throw new SpoolError(
    'INVALID_OPTION',
    `\`fetcher\` must be an AsyncIterable, an Iterable, a ReadableStream or a function (signal) => one of those, got ${describeValue(fetcher)}`,
  );
}

function isIterableSource(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false;
  return (
    typeof (x as ReadableStream).getReader === 'function' || Symbol.asyncIterator in x || Symbol.iterator in x
  );
}

export function openItemSource<T>(
  fetcher: PipelineFetcher<T>,
  signal: AbortSignal,
): ItemSource<T> | Promise<ItemSource<T>> {
  if (typeof fetcher !== 'function') return fromIterable(fetcher);
  const made = fetcher(signal);
  if (isPromiseLike<PipelineIterable<T>>(made)) return Promise.resolve(made).then(fromIterable);
  return fromIterable(made);
}

function fromIterable<T>(source: PipelineIterable<T>): ItemSource<T> {
  if (!isIterableSource(source)) checkFetcher(source);
  // Checked before Symbol.asyncIterator: a reader is cheaper than the stream's async
  // iterator, and not every runtime's ReadableStream is async-iterable.
  if (typeof (source as ReadableStream<T>).getReader === 'function') {
    const reader = (source as ReadableStream<T>).getReader();
    return {
      next: () => reader.read() as Promise<IteratorResult<T>>,
      close: (reason) => void reader.cancel(reason).catch(ignore),
    };
  }
  if (Symbol.asyncIterator in source) {
    const it = (source as AsyncIterable<T>)[Symbol.asyncIterator]();
    return {
      next: () => it.next(),
      close: () => {
        // return() on an async generator waits behind a pending next(); nobody awaits it here.
        const done = it.return?.();
        if (isPromiseLike(done)) Promise.resolve(done).catch(ignore);
      },
    };
  }
  const it = (source as Iterable<T>)[Symbol.iterator]();
  return {
    next: () => it.next(),
    close: () => {
      try {
        it.return?.();
      } catch {
        // a sync generator's finally threw while we were stopping it: nothing left to tell
      }
    },
  };
}
