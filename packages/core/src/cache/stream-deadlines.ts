import type { Clock, TimerHandle } from '../time/clock';
import { DeadlineQueue } from './deadline-queue';
import type { StreamEntry } from './stream-entry';

// setTimeout's delay is a signed 32-bit integer; longer waits re-arm on expiry.
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * Resolution of the time sample that appends are stamped with. Reading the clock costs as
 * much as the rest of an append (bench/cache.ts), so, like Redis's cached `mstime` and
 * nginx's cached time, the cache samples the clock on a heartbeat while streams are open,
 * and on every open, update, end and deadline check. An append's true time lies within
 * this window after its stamp, so inactivity deadlines add it: an inactivity completion is
 * never early and at most this much late (plus timer latency).
 *
 * @example
 * // with chunkInactivityTimeoutMs 30 000, an idle stream ends between 30.0 s and 30.1 s
 * // after its last chunk
 */
export const CACHE_TIME_RESOLUTION_MS = 100;

export interface StreamDeadlinesOptions {
  clock: Clock;
  chunkInactivityTimeoutMs: number;
  streamTimeoutMs: number;
  cleanupIntervalMs: number;
  /** Ends an expired stream; it must call `untrack`. */
  expire: (entry: StreamEntry) => void;
  /** The open streams, for the backstop sweep and to stop the heartbeat when idle. */
  streams: () => ReadonlyMap<unknown, StreamEntry>;
}

/**
 * The timekeeping of a StreamCache: at most three timers whatever the number of streams.
 *
 * - The deadline timer is armed for the earliest key of a {@link DeadlineQueue}. Appends do
 *   not touch the queue, so keys are lower bounds: a due key is checked against the
 *   stream's real deadline and moved on if the stream was active. An active stream is
 *   therefore re-queued about once per inactivity period, not once per chunk.
 * - The heartbeat refreshes `now` every {@link CACHE_TIME_RESOLUTION_MS} while streams are open.
 * - The sweep (`cleanupIntervalMs`) re-checks every stream, as a backstop.
 */
export class StreamDeadlines {
  /** The clock sampled at most CACHE_TIME_RESOLUTION_MS ago (while streams are open). */
  now = 0;
  readonly #o: StreamDeadlinesOptions;
  readonly #queue = new DeadlineQueue<StreamEntry>();
  #timer: TimerHandle | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #beat: TimerHandle | undefined;
  #sweepTimer: TimerHandle | undefined;
  #stopped = false;

  constructor(options: StreamDeadlinesOptions) {
    this.#o = options;
    this.#scheduleSweep();
  }

  /** Reads the clock and refreshes the sample. */
  sample(): number {
    this.now = this.#o.clock.now();
    return this.now;
  }

  /** When `entry` must end: its inactivity deadline or its age cap, whichever is first. */
  deadlineOf(entry: StreamEntry): number {
    const inactive = entry.lastChunkAt + CACHE_TIME_RESOLUTION_MS + this.#o.chunkInactivityTimeoutMs;
    return Math.min(inactive, entry.meta.createdAt + this.#o.streamTimeoutMs);
  }

  /** Starts watching a newly opened stream (call right after `sample()`). */
  track(entry: StreamEntry): void {
    entry.deadlineAt = this.deadlineOf(entry);
    this.#queue.push(entry);
    this.#arm();
    this.#startBeat();
  }

  untrack(entry: StreamEntry): void {
    this.#queue.remove(entry);
  }

  /** Stops every timer for good (cache close). */
  stop(): void {
    this.#stopped = true;
    this.#disarm();
    for (const handle of [this.#beat, this.#sweepTimer])
      if (handle !== undefined) this.#o.clock.clearTimeout(handle);
    this.#beat = undefined;
    this.#sweepTimer = undefined;
  }

  /** Number of queued deadlines (tests check nothing lingers). */
  get size(): number {
    return this.#queue.size;
  }

  #arm(): void {
    const at = this.#queue.peek()?.deadlineAt ?? Number.POSITIVE_INFINITY;
    // Only an earlier deadline re-arms: a timer armed too early just re-arms when it fires.
    if (at >= this.#timerAt || this.#stopped) return;
    this.#disarm();
    this.#timerAt = at;
    const delay = Math.min(Math.max(0, at - this.now), MAX_TIMER_DELAY_MS);
    this.#timer = this.#o.clock.setTimeout(() => this.#onDeadline(), delay);
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #onDeadline(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = this.sample();
    // Re-read the top each time: `expire` runs `end` listeners, which may open or end streams.
    for (let top = this.#queue.peek(); top !== undefined && top.deadlineAt <= now; top = this.#queue.peek()) {
      const due = this.deadlineOf(top);
      if (due <= now) this.#o.expire(top);
      else this.#queue.update(top, due);
    }
    this.#arm();
  }

  #startBeat(): void {
    if (this.#beat !== undefined || this.#stopped) return;
    this.#beat = this.#o.clock.setTimeout(() => {
      this.#beat = undefined;
      this.sample();
      if (this.#o.streams().size > 0) this.#startBeat();
    }, CACHE_TIME_RESOLUTION_MS);
  }

  #scheduleSweep(): void {
    if (!Number.isFinite(this.#o.cleanupIntervalMs) || this.#stopped) return;
    this.#sweepTimer = this.#o.clock.setTimeout(
      () => {
        this.#sweep();
        this.#scheduleSweep();
      },
      Math.min(this.#o.cleanupIntervalMs, MAX_TIMER_DELAY_MS),
    );
  }

  /** The backstop: ends any stream past its deadline, even if the deadline timer was lost. */
  #sweep(): void {
    const now = this.sample();
    for (const entry of [...this.#o.streams().values()]) {
      if (entry.open && this.deadlineOf(entry) <= now) this.#o.expire(entry);
    }
    this.#disarm();
    this.#arm();
  }
}
