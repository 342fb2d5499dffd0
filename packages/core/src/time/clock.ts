/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Time, behind an interface so that every timer in Spool can run on fake time in tests.
 * The default {@link realClock} reads `globalThis` at call time, so Vitest's fake timers
 * also drive it.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds; returns the handle that cancels it. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer; a handle that already fired or was cleared is ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock. Timers it creates do not keep a Node process alive (`unref` where the
 * runtime has it), because Spool's timers are housekeeping, never the reason to stay up.
 */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = globalThis.setTimeout(fn, ms) as unknown as { unref?: () => void };
    // A number in browsers (no `unref`), an object in Node.
    handle.unref?.();
    return handle;
  },
  clearTimeout(handle) {
    globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>);
  },
};

/** A clock whose time moves only when told to: for tests and simulations. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, firing due timers in deadline order. */
  advance(ms: number): void;
  /** Moves time forward and lets promise callbacks run between due timers. */
  advanceAsync(ms: number): Promise<void>;
  /** Number of timers not yet fired or cleared. */
  pending(): number;
}

/**
 * Creates a {@link ManualClock} starting at `startMs`.
 *
 * @example
 * const clock = createManualClock(1_700_000_000_000);
 * const cache = new StreamCache({ clock, chunkInactivityTimeoutMs: 1000 });
 * clock.advance(1000);
 */
export function createManualClock(startMs = 0): ManualClock {
  let now = startMs;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void; seq: number }>();

  const takeDue = (until: number) => {
    let best: [number, { at: number; fn: () => void; seq: number }] | undefined;
    for (const entry of timers) {
      if (entry[1].at > until) continue;
      if (!best || entry[1].at < best[1].at || (entry[1].at === best[1].at && entry[1].seq < best[1].seq))
        best = entry;
    }
    if (best) timers.delete(best[0]);
    return best?.[1];
  };

  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(id, { at: now + Math.max(0, ms), fn, seq: id });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const until = now + ms;
      for (let t = takeDue(until); t; t = takeDue(until)) {
        now = Math.max(now, t.at);
        t.fn();
      }
      now = until;
    },
    async advanceAsync(ms) {
      const until = now + ms;
      for (let t = takeDue(until); t; t = takeDue(until)) {
        now = Math.max(now, t.at);
        t.fn();
        for (let i = 0; i < 10; i++) await Promise.resolve();
      }
      now = until;
      for (let i = 0; i < 10; i++) await Promise.resolve();
    },
    pending: () => timers.size,
  };
}
