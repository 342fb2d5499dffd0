import type { ExternalStore } from '../spool-event';

const nextFrame = (fn: () => void): void => {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => fn());
  else setTimeout(fn, 16);
};

/**
 * Wraps a store so that its listeners hear at most one change per animation frame and
 * `getSnapshot()` moves only then: a message streaming 500 deltas a second renders at
 * the screen's rate, not 500 times. The source is watched only while someone listens.
 *
 * @example
 * const text = useSyncExternalStore(...Object.values(frameBatched(client.message(id))));
 */
export function frameBatched<T>(source: ExternalStore<T>): ExternalStore<T> {
  let snapshot = source.getSnapshot();
  let queued = false;
  let stop: (() => void) | undefined;
  const listeners = new Set<() => void>();
  const flush = () => {
    queued = false;
    const next = source.getSnapshot();
    if (next === snapshot) return;
    snapshot = next;
    for (const l of listeners) l();
  };
  return {
    subscribe(listener) {
      listeners.add(listener);
      if (!stop) {
        stop = source.subscribe(() => {
          if (queued) return;
          queued = true;
          nextFrame(flush);
        });
        // A change between render and subscribe must not be missed.
        flush();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          stop?.();
          stop = undefined;
        }
      };
    },
    getSnapshot() {
      // Unwatched, there is nothing to batch: read through.
      if (!stop) snapshot = source.getSnapshot();
      return snapshot;
    },
  };
}
