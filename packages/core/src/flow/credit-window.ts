import { SpoolError } from '../errors';
import { requireInteger } from './validate';

/** Options of {@link CreditWindow}, counted in events. */
export interface CreditWindowOptions {
  /**
   * Credit at the start and after every `reset()` (a reconnect), counted in events.
   * The wire protocol's default `credit` for a subscription.
   * @default 1024
   */
  initial?: number;
  /**
   * The bound: grants and acks never raise available credit above it, so a client cannot
   * switch flow control off by granting without limit.
   * @default 16384
   */
  max?: number;
}

/** The defaults of {@link CreditWindowOptions}, in events. */
export const creditWindowDefaults = { initial: 1024, max: 16_384 } as const;

/** A window's stats, for /v1/stats and health. */
export interface CreditWindowSnapshot {
  /** Credit left: how many more events may be sent now. */
  available: number;
  /** Sent and not yet acked. */
  inFlight: number;
  /** Credit at the start and after every reset. */
  initial: number;
  /** The bound that available credit never exceeds. */
  max: number;
  /** True while no credit is left: the sender must hold its place. */
  backpressure: boolean;
  /** Events sent since the window was created. */
  sent: number;
  /** Credit added by grants (what the `max` cap let through). */
  granted: number;
  /** Events acknowledged (acks beyond what was in flight are not counted). */
  acked: number;
  /** Times the window was reset (reconnects). */
  resets: number;
  /** How many times the window ran dry. */
  exhausted: number;
}

/**
 * Sliding-window flow control counted in events. Sending
 * consumes credit; the receiver returns it with acks (one per event handled) or grants
 * (`{"op":"credit","n":512}`); a reconnect resets the window. Credit is never negative
 * and never above `max`.
 *
 * @example
 * const window = new CreditWindow({ initial: 1024 });
 * if (window.tryConsume()) socket.send(frame); // else keep the subscription's place
 * window.grant(512);                            // the client asked for more
 */
export class CreditWindow {
  /** Credit at the start and after every `reset()`, in events. */
  readonly initial: number;
  /** The bound that available credit never exceeds, in events. */
  readonly max: number;
  private availableCredit: number;
  private inFlightCount = 0;
  private sent = 0;
  private granted = 0;
  private acked = 0;
  private resets = 0;
  private exhausted = 0;
  private readonly listeners = new Set<(available: number) => void>();

  constructor(options: CreditWindowOptions = {}) {
    this.max = requireInteger(
      'max',
      options.max ?? Math.max(creditWindowDefaults.max, options.initial ?? 0),
      1,
    );
    this.initial = requireInteger(
      'initial',
      options.initial ?? Math.min(creditWindowDefaults.initial, this.max),
      0,
      this.max,
    );
    this.availableCredit = this.initial;
  }

  /** Credit left: how many more events may be sent now. */
  get available(): number {
    return this.availableCredit;
  }

  /** Events sent and not yet acked. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /**
   * Takes `n` credits if that many are available and returns `true`; otherwise takes
   * nothing and returns `false` (all or nothing, so a batch is never half-sent).
   */
  tryConsume(n = 1): boolean {
    checkCount('tryConsume', n);
    if (n > this.availableCredit) return false;
    this.availableCredit -= n;
    this.inFlightCount += n;
    this.sent += n;
    if (this.availableCredit === 0 && n > 0) this.exhausted++;
    return true;
  }

  /**
   * The receiver handled `n` events: their credit comes back. Acks beyond what is in flight
   * are ignored (a duplicate ack after a reconnect must not inflate the window).
   * Returns the credit actually returned.
   */
  ack(n = 1): number {
    checkCount('ack', n);
    const returned = Math.min(n, this.inFlightCount);
    this.inFlightCount -= returned;
    this.acked += returned;
    return this.add(returned);
  }

  /** Extra credit from the receiver, capped at `max`. Returns the credit actually added. */
  grant(n: number): number {
    checkCount('grant', n);
    const added = this.add(n);
    this.granted += added;
    return added;
  }

  /** Back to `initial` with nothing in flight: what a reconnect does. */
  reset(): void {
    this.resets++;
    this.inFlightCount = 0;
    const before = this.availableCredit;
    this.availableCredit = this.initial;
    if (before !== this.availableCredit) this.emit();
  }

  /** Called with the new `available` whenever an ack, grant or reset changes it (to resume a paused sender). */
  onChange(listener: (available: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The window's stats now, as a new object. */
  snapshot(): CreditWindowSnapshot {
    return {
      available: this.availableCredit,
      inFlight: this.inFlightCount,
      initial: this.initial,
      max: this.max,
      backpressure: this.availableCredit === 0,
      sent: this.sent,
      granted: this.granted,
      acked: this.acked,
      resets: this.resets,
      exhausted: this.exhausted,
    };
  }

  private add(n: number): number {
    const added = Math.min(n, this.max - this.availableCredit);
    if (added <= 0) return 0;
    this.availableCredit += added;
    this.emit();
    return added;
  }

  private emit(): void {
    for (const listener of [...this.listeners]) listener(this.availableCredit);
  }
}

function checkCount(method: string, n: unknown): void {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new SpoolError(
      'INVALID_CREDIT',
      `\`${method}(n)\`: n must be a non-negative integer, got ${String(n)}`,
    );
  }
}
