import { SpoolError } from '../errors';
import { type Clock, realClock, type TimerHandle } from '../time/clock';
import { requireFunction, requireNumber } from './validate';

export interface HeartbeatOptions {
  /**
   * How often `onBeat` runs (send a ping, a `{"op":"hb"}` frame or an SSE comment).
   * @default 30000
   */
  intervalMs?: number;
  /**
   * Silence from the peer longer than this calls `onTimeout` once and stops the heartbeat.
   * Must exceed `intervalMs`, or a healthy peer that answers each beat could time out.
   * @default 60000
   */
  timeoutMs?: number;
  /** Runs every `intervalMs` while started. */
  onBeat?: () => void;
  /** The peer is presumed dead: close the connection. */
  onTimeout?: (info: { lastSeenAt: number; silentMs: number }) => void;
  /** @default realClock */
  clock?: Clock;
}

export const heartbeatDefaults = { intervalMs: 30_000, timeoutMs: 60_000 } as const;

/**
 * Liveness on the injectable clock: beats every `intervalMs`, and declares the peer dead
 * after `timeoutMs` without a `touch()` (any frame or pong from it). `touch()` only records
 * a timestamp: the deadline timer re-arms itself lazily when it fires, so a busy
 * connection does not reschedule a timer per message.
 *
 * @example
 * const hb = new Heartbeat({ intervalMs: 15_000, timeoutMs: 45_000,
 *   onBeat: () => ws.ping(), onTimeout: () => ws.terminate() });
 * ws.on('pong', () => hb.touch());
 * hb.start();
 */
export class Heartbeat {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly onBeat: () => void;
  private readonly onTimeout: (info: { lastSeenAt: number; silentMs: number }) => void;
  private beatTimer: TimerHandle | undefined;
  private deadlineTimer: TimerHandle | undefined;
  private lastSeen: number;
  private beats = 0;
  private running = false;
  private timedOut = false;

  constructor(options: HeartbeatOptions = {}) {
    this.intervalMs = requireNumber('intervalMs', options.intervalMs ?? heartbeatDefaults.intervalMs, 1);
    this.timeoutMs = requireNumber('timeoutMs', options.timeoutMs ?? heartbeatDefaults.timeoutMs, 1);
    if (this.timeoutMs <= this.intervalMs) {
      throw new SpoolError(
        'INVALID_OPTION',
        `\`timeoutMs\` (${this.timeoutMs}) must be greater than \`intervalMs\` (${this.intervalMs}); a common choice is twice the interval`,
      );
    }
    this.onBeat = requireFunction('onBeat', options.onBeat ?? (() => {}));
    this.onTimeout = requireFunction('onTimeout', options.onTimeout ?? (() => {}));
    this.clock = options.clock ?? realClock;
    this.lastSeen = this.clock.now();
  }

  /** True once the peer timed out (the heartbeat is then stopped for good until `start()`). */
  get isTimedOut(): boolean {
    return this.timedOut;
  }

  get isRunning(): boolean {
    return this.running;
  }

  get lastSeenAt(): number {
    return this.lastSeen;
  }

  /** Starts (or restarts) beating; the peer counts as just seen. */
  start(): void {
    this.stop();
    this.running = true;
    this.timedOut = false;
    this.lastSeen = this.clock.now();
    this.scheduleBeat();
    this.scheduleDeadline();
  }

  /** Stops both timers; safe to call twice. */
  stop(): void {
    this.running = false;
    if (this.beatTimer !== undefined) this.clock.clearTimeout(this.beatTimer);
    if (this.deadlineTimer !== undefined) this.clock.clearTimeout(this.deadlineTimer);
    this.beatTimer = undefined;
    this.deadlineTimer = undefined;
  }

  /** The peer showed a sign of life. */
  touch(): void {
    this.lastSeen = this.clock.now();
  }

  snapshot(): { running: boolean; timedOut: boolean; lastSeenAt: number; silentMs: number; beats: number } {
    return {
      running: this.running,
      timedOut: this.timedOut,
      lastSeenAt: this.lastSeen,
      silentMs: this.clock.now() - this.lastSeen,
      beats: this.beats,
    };
  }

  private scheduleBeat(): void {
    this.beatTimer = this.clock.setTimeout(() => {
      if (!this.running) return;
      this.beats++;
      this.scheduleBeat();
      this.onBeat();
    }, this.intervalMs);
  }

  private scheduleDeadline(): void {
    const due = this.lastSeen + this.timeoutMs - this.clock.now();
    this.deadlineTimer = this.clock.setTimeout(
      () => {
        if (!this.running) return;
        const silentMs = this.clock.now() - this.lastSeen;
        if (silentMs < this.timeoutMs) {
          this.scheduleDeadline();
          return;
        }
        this.stop();
        this.timedOut = true;
        this.onTimeout({ lastSeenAt: this.lastSeen, silentMs });
      },
      Math.max(0, due),
    );
  }
}
