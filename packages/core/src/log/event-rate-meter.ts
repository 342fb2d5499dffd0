import type { Clock } from '../time/clock';

/**
 * Events per second over a sliding window of one-second buckets, on an injectable clock:
 * what `topic.stats().eventsPerSec` reports.
 *
 * @example
 * const meter = new EventRateMeter(clock);
 * meter.record();
 * meter.perSecond();
 */
export class EventRateMeter {
  readonly #clock: Clock;
  readonly #buckets: number[];
  /** The second (clock ms / 1000, floored) that the last bucket counts. */
  #second = Number.NEGATIVE_INFINITY;
  #at = 0;

  constructor(clock: Clock, windowSeconds = 10) {
    this.#clock = clock;
    this.#buckets = new Array<number>(windowSeconds).fill(0);
  }

  /** Counts `n` events at the clock's current time. */
  record(n = 1): void {
    this.#rotate();
    this.#buckets[this.#at]! += n;
  }

  /** Average rate over the window (the current, partial second included). */
  perSecond(): number {
    this.#rotate();
    let sum = 0;
    for (const b of this.#buckets) sum += b;
    return sum / this.#buckets.length;
  }

  #rotate(): void {
    const second = Math.floor(this.#clock.now() / 1000);
    if (second <= this.#second) return;
    const steps = Math.min(this.#buckets.length, second - this.#second);
    for (let i = 0; i < steps; i++) {
      this.#at = (this.#at + 1) % this.#buckets.length;
      this.#buckets[this.#at] = 0;
    }
    this.#second = second;
  }
}
