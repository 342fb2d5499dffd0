import type { CompletionOutcome } from './completion-queue';
import type { EndReason } from './end-reason';
import type { StreamMeta } from './stream-meta';

/**
 * The lifecycle events of a {@link StreamCache}, for `cache.on(...)`. Listeners run
 * synchronously right after the change, when the cache is consistent again, so they may
 * call the cache. The metadata they get is a copy (one per event): changing it changes
 * nothing in the cache.
 *
 * @example
 * const off = cache.on('end', (meta, reason) => publishEnd(meta.channelId, meta.messageId, reason));
 */
export interface StreamCacheEventMap {
  /** A stream was opened. */
  open: (meta: StreamMeta) => void;
  /** `updateStreamMeta` changed a stream's metadata. */
  update: (meta: StreamMeta) => void;
  /**
   * A stream ended (endStream, endStreamInChannel, a timeout, or close) and left the cache;
   * its memory is already released. Completion follows on a microtask.
   */
  end: (meta: StreamMeta, reason: EndReason) => void;
  /** A stream's completion settled: the callback succeeded, or the message was dead-lettered. */
  completion: (meta: StreamMeta, outcome: CompletionOutcome) => void;
}

/** The name of a {@link StreamCache} event: `open`, `update`, `end` or `completion`. */
export type StreamCacheEvent = keyof StreamCacheEventMap;

/**
 * A listener that throws must not undo or interrupt the cache operation that triggered it
 * (the change is already made), so the exception is reported the way EventTarget does:
 * `reportError` where the runtime has it, else rethrown on a microtask as an uncaught error.
 */
function report(err: unknown): void {
  const reportError = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (typeof reportError === 'function') reportError(err);
  else
    queueMicrotask(() => {
      throw err;
    });
}

/** A minimal typed listener registry: no allocation when nobody listens. */
export class LifecycleListeners {
  readonly #listeners: { [E in StreamCacheEvent]: Array<StreamCacheEventMap[E]> } = {
    open: [],
    update: [],
    end: [],
    completion: [],
  };

  on<E extends StreamCacheEvent>(event: E, listener: StreamCacheEventMap[E]): () => void {
    const list = this.#listeners[event] as Array<StreamCacheEventMap[E]>;
    list.push(listener);
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  has(event: StreamCacheEvent): boolean {
    return this.#listeners[event].length > 0;
  }

  emit<E extends StreamCacheEvent>(event: E, ...args: Parameters<StreamCacheEventMap[E]>): void {
    // Copy: a listener may unsubscribe (itself or another) while we iterate.
    for (const listener of [...this.#listeners[event]]) {
      try {
        (listener as (...a: Parameters<StreamCacheEventMap[E]>) => void)(...args);
      } catch (err) {
        report(err);
      }
    }
  }
}
