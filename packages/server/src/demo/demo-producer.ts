import { type Clock, parseChannelTopic, SpoolError } from '@spool/core';
import { type RunHandle, sleepOnClock } from '@spool/core/internal';
import type { SpoolInstance } from '../spool';

import { type DemoRandom, definedOnly, pick, randomInt } from './demo-random';
import { simulatedReply } from './simulated-reply';

/** The channels the demo talks in. */
export const DEMO_CHANNELS = Object.freeze(['chan:1:general', 'chan:1:random', 'chan:2:support']);

/** Options of {@link DemoProducer}. */
export interface DemoProducerOptions {
  /** Channel topics (`chan:<type>:<id>`) replies go to. @default DEMO_CHANNELS */
  channels?: readonly string[];
  /** Shortest pause between two scheduled replies (ms, on the Spool's clock). @default 1500 */
  minIntervalMs?: number;
  /** Longest pause between two scheduled replies. @default 4000 */
  maxIntervalMs?: number;
  /** Scheduled replies streaming at once; a tick with this many running starts none. @default 3 */
  maxConcurrent?: number;
  /** Replies started on request (`POST /v1/demo/replies`) streaming at once. @default 10 */
  maxRequested?: number;
  /** @default Math.random */
  random?: DemoRandom;
}

/** Defaults of {@link DemoProducerOptions}. */
export const demoProducerDefaults = Object.freeze({
  minIntervalMs: 1500,
  maxIntervalMs: 4000,
  maxConcurrent: 3,
  maxRequested: 10,
});

/** Counters of a {@link DemoProducer}. */
export interface DemoProducerStats {
  /** Replies started. */
  started: number;
  /** Replies that streamed to the end (reason `success`). */
  completed: number;
  /** Replies ended otherwise (cancelled, forced, timed out). */
  interrupted: number;
  /** Replies that could not start, or whose writing failed for another reason than being ended. */
  errors: number;
  /** Replies streaming now. */
  running: number;
}

/**
 * The demo's producer: simulated LLM replies (see `simulatedReply`) streamed token by
 * token into a few channels through `spool.run`, one every few seconds, with delays on the
 * Spool's clock. Each finished reply lands in `spool:completed` like any message, which
 * the demo's workers consume.
 *
 * @example
 * const producer = new DemoProducer(spool);
 * producer.start();
 * await producer.reply('chan:1:general'); // one more, now
 */
export class DemoProducer {
  private readonly o: Required<Omit<DemoProducerOptions, 'channels' | 'random'>>;
  private readonly channels: readonly string[];
  private readonly random: DemoRandom;
  private readonly clock: Clock;
  private readonly running = new Map<string, { handle: RunHandle; requested: boolean }>();
  private readonly counters = { started: 0, completed: 0, interrupted: 0, errors: 0 };
  private timer: unknown;
  private scheduling = false;

  constructor(
    private readonly spool: SpoolInstance,
    options: DemoProducerOptions = {},
  ) {
    this.o = { ...demoProducerDefaults, ...definedOnly(options) };
    this.channels = options.channels ?? DEMO_CHANNELS;
    this.random = options.random ?? Math.random;
    this.clock = spool.clock;
    for (const key of ['minIntervalMs', 'maxIntervalMs', 'maxConcurrent', 'maxRequested'] as const) {
      if (!Number.isSafeInteger(this.o[key]) || this.o[key] < 1) {
        throw new SpoolError(
          'INVALID_OPTION',
          `\`${key}\` must be a positive integer, got ${String(this.o[key])}.`,
        );
      }
    }
    if (this.o.maxIntervalMs < this.o.minIntervalMs) {
      throw new SpoolError('INVALID_OPTION', '`maxIntervalMs` must be at least `minIntervalMs`.');
    }
    if (this.channels.length === 0 || this.channels.some((c) => parseChannelTopic(c) === undefined)) {
      throw new SpoolError('INVALID_OPTION', '`channels` must be channel topics such as "chan:1:general".');
    }
  }

  /** Starts scheduling replies. */
  start(): void {
    if (this.scheduling) return;
    this.scheduling = true;
    this.schedule();
  }

  /** Stops scheduling new replies; those streaming go on (shutdown ends them). */
  stopScheduling(): void {
    this.scheduling = false;
    this.clock.clearTimeout(this.timer);
  }

  /** Stops scheduling, cancels every reply still streaming, and waits for their `msg.end`. */
  async stop(): Promise<void> {
    this.stopScheduling();
    const handles = [...this.running.values()].map((r) => r.handle);
    await Promise.all(handles.map((h) => h.cancel()));
    await Promise.all(handles.map((h) => h.done));
  }

  /**
   * Starts one reply in `channel` now (the dashboard's playground).
   * @throws SpoolError `BAD_REQUEST` (not a channel topic), `RATE_LIMITED` (too many requested
   *   replies streaming), or what opening a message throws (`TOO_MANY_STREAMS`…)
   */
  async reply(
    channel: string,
    requested = true,
  ): Promise<{
    /** The reply's message ID. */
    messageId: string;
    /** The channel topic it streams on (`channel`). */
    topic: string;
  }> {
    const parsed = parseChannelTopic(channel);
    if (!parsed) {
      throw new SpoolError(
        'BAD_REQUEST',
        `\`channel\` must be a channel topic such as "chan:1:general", got ${JSON.stringify(channel)}.`,
      );
    }
    if (requested && this.count(true) >= this.o.maxRequested) {
      throw new SpoolError(
        'RATE_LIMITED',
        `At most ${this.o.maxRequested} demo replies stream at once; wait for one to finish.`,
        // A demo reply takes a few seconds; a second is a fair first wait.
        { details: { retryAfterMs: 1000 } },
      );
    }
    const tokens = simulatedReply(this.random);
    const handle = await this.spool.run(
      {
        channelId: parsed.channelId,
        channelType: parsed.channelType,
        fromUid: 'assistant',
        customFields: { model: 'spool-sim-1', demo: true, requested },
      },
      async (write, signal) => {
        for (const token of tokens) {
          await sleepOnClock(this.clock, token.delayMs, signal, 'demo reply');
          await write(token.text);
        }
      },
    );
    this.counters.started++;
    this.running.set(handle.messageId, { handle, requested });
    void handle.done.then((reason) => {
      this.running.delete(handle.messageId);
      if (reason === 'success') this.counters.completed++;
      else if (reason === 'error') this.counters.errors++;
      else this.counters.interrupted++;
    });
    return { messageId: handle.messageId, topic: handle.topic };
  }

  /** The producer's counters now, as a new object. */
  stats(): DemoProducerStats {
    return { ...this.counters, running: this.running.size };
  }

  private count(requested: boolean): number {
    let n = 0;
    for (const r of this.running.values()) if (r.requested === requested) n++;
    return n;
  }

  private schedule(): void {
    const wait = randomInt(this.random, this.o.minIntervalMs, this.o.maxIntervalMs);
    this.timer = this.clock.setTimeout(() => {
      if (!this.scheduling) return;
      if (this.count(false) < this.o.maxConcurrent) {
        this.reply(pick(this.random, this.channels), false).catch((err: unknown) => {
          this.counters.errors++;
          this.spool.logger.warn({ err }, 'the demo producer could not start a reply');
        });
      }
      this.schedule();
    }, wait);
  }
}
