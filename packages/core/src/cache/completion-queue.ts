import { fullJitter } from '../flow/backoff';
import type { MessageId } from '../protocol/message-id';
import type { Clock } from '../time/clock';
import type { CompleteFailedHandler, CompletionRetryOptions, StreamCompleteHandler } from './cache-options';
import type { MessageChunk } from './message-chunk';
import type { StreamMeta } from './stream-meta';

/**
 * How a stream's completion finally went.
 *
 * @example
 * cache.on('completion', (meta, outcome) => {
 *   if (outcome.status === 'dead-lettered') alert(meta.messageId, outcome.error);
 * });
 */
export type CompletionOutcome =
  | {
      /** The handler succeeded. */
      status: 'completed';
      /** Calls of the handler, the successful one included. */
      attempts: number;
    }
  | {
      /** Every attempt failed: the stream went to the dead letters. */
      status: 'dead-lettered';
      /** Calls of the handler. */
      attempts: number;
      /** What the last attempt threw. */
      error: unknown;
    };

/** Counters of the completion pipeline, surfaced by `getStats()`. */
export interface CompletionCounters {
  /** Streams whose `onStreamComplete` succeeded (or that had none to call). */
  completed: number;
  /** Failed attempts (each throw or rejection), retried or not. */
  completionFailures: number;
  /** Streams handed to `onCompleteFailed` after the last attempt failed. */
  deadLettered: number;
  /** `onCompleteFailed` itself threw or rejected (the message was still counted above). */
  deadLetterHookFailures: number;
  /** Retries scheduled on the clock. */
  retriesScheduled: number;
}

interface CompletionTask {
  readonly messageId: MessageId;
  readonly meta: StreamMeta;
  /** Built on the first attempt, then the same array for every retry and the dead letter. */
  chunks: MessageChunk[] | undefined;
  readonly makeChunks: () => MessageChunk[];
  attempt: number;
}

export interface CompletionQueueOptions {
  onStreamComplete: StreamCompleteHandler | undefined;
  onCompleteFailed: CompleteFailedHandler | undefined;
  retry: Readonly<CompletionRetryOptions>;
  clock: Clock;
  onSettled: (meta: StreamMeta, outcome: CompletionOutcome) => void;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null | undefined)?.then === 'function';
}

/**
 * Runs `onStreamComplete` for ended streams, outside the cache's state changes: the first
 * attempt on a microtask, retries on the injected clock with exponential backoff and full
 * jitter (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/), and
 * the dead letter (`onCompleteFailed`) after the last failure. A task leaves the queue only
 * when it settled one way or the other, so `idle()` means nothing is in flight.
 */
export class CompletionQueue {
  readonly counters: CompletionCounters = {
    completed: 0,
    completionFailures: 0,
    deadLettered: 0,
    deadLetterHookFailures: 0,
    retriesScheduled: 0,
  };
  readonly #pending = new Map<MessageId, CompletionTask>();
  readonly #idleWaiters: Array<() => void> = [];
  readonly #o: CompletionQueueOptions;

  constructor(options: CompletionQueueOptions) {
    this.#o = options;
  }

  get size(): number {
    return this.#pending.size;
  }

  has(messageId: MessageId): boolean {
    return this.#pending.has(messageId);
  }

  enqueue(messageId: MessageId, meta: StreamMeta, makeChunks: () => MessageChunk[]): void {
    const task: CompletionTask = { messageId, meta, chunks: undefined, makeChunks, attempt: 0 };
    this.#pending.set(messageId, task);
    queueMicrotask(() => this.#run(task));
  }

  /** Resolves once every enqueued completion has settled (retries and dead letters included). */
  idle(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #run(task: CompletionTask): void {
    task.attempt++;
    task.chunks ??= task.makeChunks();
    const handler = this.#o.onStreamComplete;
    const completed = () => this.#settle(task, { status: 'completed', attempts: task.attempt });
    if (handler === undefined) {
      completed();
      return;
    }
    let result: unknown;
    try {
      result = handler(task.messageId, task.chunks, task.meta, { attempt: task.attempt });
    } catch (err) {
      this.#failed(task, err);
      return;
    }
    if (isThenable(result)) result.then(completed, (err: unknown) => this.#failed(task, err));
    else completed();
  }

  #failed(task: CompletionTask, error: unknown): void {
    this.counters.completionFailures++;
    const { attempts, baseDelayMs, maxDelayMs } = this.#o.retry;
    if (task.attempt < attempts) {
      this.counters.retriesScheduled++;
      // Attempt n (from 1) waits up to min(maxDelayMs, baseDelayMs * 2^(n-1)): core's one backoff.
      const delay = fullJitter(task.attempt - 1, { baseMs: baseDelayMs, maxMs: maxDelayMs }, Math.random);
      this.#o.clock.setTimeout(() => this.#run(task), Math.floor(delay));
      return;
    }
    this.counters.deadLettered++;
    const outcome: CompletionOutcome = { status: 'dead-lettered', attempts: task.attempt, error };
    const settled = () => this.#settle(task, outcome);
    const hookFailed = () => {
      this.counters.deadLetterHookFailures++;
      settled();
    };
    const hook = this.#o.onCompleteFailed;
    if (hook === undefined) {
      settled();
      return;
    }
    let result: unknown;
    try {
      result = hook(task.messageId, task.chunks!, task.meta, { error, attempts: task.attempt });
    } catch {
      hookFailed();
      return;
    }
    if (isThenable(result)) result.then(settled, hookFailed);
    else settled();
  }

  #settle(task: CompletionTask, outcome: CompletionOutcome): void {
    if (outcome.status === 'completed') this.counters.completed++;
    this.#pending.delete(task.messageId);
    this.#o.onSettled(task.meta, outcome);
    if (this.#pending.size === 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }
}
