import { randomUUID } from 'node:crypto';
import { SpoolError } from '@spool/core';
import type { Redis } from 'ioredis';
import type { AppendNotification, RemoteTail } from './remote-tail';

/** Options of {@link TopicNotifier}. */
export interface TopicNotifierOptions {
  /**
   * A watched topic that heard of no append for this long reads its log again, which
   * catches a lost last notification. @default 1000
   */
  recheckMs?: number;
  /** Where errors of the subscriber connection and of background reads go. @default console.error */
  onError?: (err: unknown) => void;
}

/** Defaults of {@link TopicNotifierOptions}. */
export const topicNotifierDefaults = { recheckMs: 1000 } as const;

/**
 * The one pub/sub connection of a process's Redis topic logs: it SUBSCRIBEs to the
 * notification channel of each topic that has local subscribers (and only those), hands
 * each notification to that topic's `RemoteTail`, and makes the tails read their
 * log again after a reconnect (notifications sent meanwhile are lost: Redis pub/sub is
 * at most once) and whenever a watched topic was silent for `recheckMs`
 * (docs/architecture.md, "Topics across instances").
 *
 * Give it a connection of its own: a subscribed ioredis connection runs no other command.
 *
 * @example
 * const notifier = new TopicNotifier(redis.duplicate());
 * const log = RedisTopicLog.create(redis, 'chan:1:general', { notifier });
 */
export class TopicNotifier {
  /** Tells this process's appends from other instances' in notifications. */
  readonly origin = randomUUID();
  readonly #sub: Redis;
  readonly #tails = new Map<string, RemoteTail>();
  readonly #onError: (err: unknown) => void;
  readonly #recheckMs: number;
  readonly #timer: ReturnType<typeof setInterval>;
  #readyOnce = false;
  #closed = false;

  constructor(subscriber: Redis, options: TopicNotifierOptions = {}) {
    this.#recheckMs = options.recheckMs ?? topicNotifierDefaults.recheckMs;
    if (!Number.isSafeInteger(this.#recheckMs) || this.#recheckMs < 1)
      throw new SpoolError(
        'INVALID_OPTION',
        `\`recheckMs\` must be a positive integer of milliseconds, got ${String(this.#recheckMs)}.`,
      );
    this.#onError = options.onError ?? ((err) => console.error(err));
    this.#sub = subscriber;
    this.#readyOnce = subscriber.status === 'ready';
    subscriber.on('message', (channel: string, message: string) => this.#message(channel, message));
    subscriber.on('ready', () => {
      if (this.#readyOnce && this.#tails.size > 0) {
        // ioredis subscribes again to what it had; a SUBSCRIBE that failed while Redis was
        // away is sent here too (again is harmless). What was published meanwhile is lost:
        // every watched topic reads its log.
        this.#sub.subscribe(...this.#tails.keys()).catch((err: unknown) => this.#onError(err));
        for (const tail of this.#tails.values()) void tail.recheck();
      }
      this.#readyOnce = true;
    });
    subscriber.on('error', (err: unknown) => this.#onError(err));
    // Half the period, so a topic silent for `recheckMs` waits at most 1.5 periods.
    this.#timer = setInterval(() => this.#recheckSilent(), Math.max(1, Math.floor(this.#recheckMs / 2)));
    this.#timer.unref();
  }

  /** Topics whose notifications this process receives now. */
  get channels(): number {
    return this.#tails.size;
  }

  /** Starts receiving `channel`'s notifications for `tail`; resolves once subscribed. */
  async add(channel: string, tail: RemoteTail): Promise<void> {
    this.#tails.set(channel, tail);
    await this.#sub.subscribe(channel);
  }

  /** Stops receiving `channel`'s notifications. */
  remove(channel: string, tail: RemoteTail): void {
    if (this.#tails.get(channel) !== tail) return;
    this.#tails.delete(channel);
    if (this.#closed) return;
    this.#sub.unsubscribe(channel).catch((err: unknown) => this.#onError(err));
  }

  /** Stops the timer and closes the subscriber connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#tails.clear();
    await this.#sub.quit().catch(() => this.#sub.disconnect());
  }

  #message(channel: string, message: string): void {
    const tail = this.#tails.get(channel);
    if (!tail) return;
    let note: AppendNotification;
    try {
      note = JSON.parse(message) as AppendNotification;
    } catch (err) {
      this.#onError(err);
      return;
    }
    // This process's own appends reach the tail through the script's reply, in order.
    if (note.o === this.origin) return;
    tail.notified(note);
  }

  #recheckSilent(): void {
    const now = performance.now();
    for (const tail of this.#tails.values()) if (now - tail.heardAt >= this.#recheckMs) void tail.recheck();
  }
}
