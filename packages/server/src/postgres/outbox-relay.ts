import {
  backoffDelay,
  type Clock,
  isTransientError,
  realClock,
  SpoolError,
  type TimerHandle,
} from '@spool/core';
import { quoteSchema } from './schema-name';
import { toStoreError } from './sql-errors';
import type { SqlRunner } from './sql-runner';

/**
 * What the relay needs from a broker: XADD that adds a record once per `onceKey` and
 * otherwise returns the existing record's ID with `added: false`. `StreamBroker` has it
 * (MemoryBroker, RedisBroker).
 */
export interface OutboxBroker {
  /**
   * Adds `fields` to stream `key` once per `onceKey`; a repeat returns the first record's ID with `added:
   * false`.
   */
  xaddOnce(
    key: string,
    onceKey: string,
    fields: Readonly<Record<string, string>>,
  ): Promise<{
    /** The record's stream ID: the new one, or the first record's on a repeat. */
    id: string;
    /** False when a record with `onceKey` was already added (nothing was written). */
    added: boolean;
  }>;
}

/** Options of {@link OutboxRelay}. */
export interface OutboxRelayOptions {
  /**
   * The store's schema.
   * @default 'spool'
   */
  schema?: string;
  /**
   * Outbox rows claimed per transaction.
   * @default 100
   */
  batchSize?: number;
  /**
   * How often a started relay looks for rows when nothing woke it (rows committed by
   * other processes, rows left by a relay that crashed).
   * @default 1000
   */
  pollIntervalMs?: number;
  /**
   * How long one `xaddOnce` may take before the relay gives up on it (the row stays and is
   * relayed again later; the broker's once-key makes a late first attempt harmless).
   * @default 10000
   */
  brokerTimeoutMs?: number;
  /**
   * Ceiling of the backoff after failures (full jitter, doubling from `pollIntervalMs`).
   * @default 30000
   */
  maxBackoffMs?: number;
  /** Timers. @default realClock */
  clock?: Clock;
  /** Called with each failure of a started relay (the relay keeps going). */
  onError?: (error: SpoolError) => void;
}

/** Defaults of {@link OutboxRelayOptions}. */
export const outboxRelayDefaults = {
  schema: 'spool',
  batchSize: 100,
  pollIntervalMs: 1000,
  brokerTimeoutMs: 10_000,
  maxBackoffMs: 30_000,
} as const;

/** What one {@link OutboxRelay.relayOnce} did. */
export interface RelayResult {
  /** Rows this call claimed (rows locked by another relay are skipped, not counted). */
  claimed: number;
  /** Rows written to the broker (or found already there) and deleted. */
  relayed: number;
  /** Of `relayed`, those the broker already held (`added: false`): a retry after a crash. */
  duplicates: number;
  /** Rows that failed; they stay in the outbox with `attempts` and `last_error` updated. */
  failed: Array<{
    /** The stream key the row was for. */
    stream: string;
    /** The row's once key (the idempotence key of its `xaddOnce`). */
    onceKey: string;
    /** Why the broker refused it (`BROKER_UNAVAILABLE` when it threw something other than a SpoolError). */
    error: SpoolError;
  }>;
}

interface OutboxRow {
  id: string;
  stream: string;
  once_key: string;
  fields: string;
}

/**
 * Writes the outbox to the broker: claims rows with `FOR UPDATE SKIP LOCKED` (so several
 * relays, in one process or many, never take the same row), writes each with
 * `xaddOnce(stream, messageId, fields)`, and deletes the written rows in the same
 * transaction. A crash at any point either leaves the row (the next run writes it again,
 * and the broker recognises the once-key) or has deleted it after the broker held the
 * record: never lost, never doubled.
 *
 * @example
 * const relay = store.createRelay(broker); // or new OutboxRelay(runner, broker, { schema })
 * relay.start();
 * await relay.stop();
 */
export class OutboxRelay {
  readonly #runner: SqlRunner;
  readonly #broker: OutboxBroker;
  readonly #outbox: string;
  readonly #batchSize: number;
  readonly #pollMs: number;
  readonly #timeoutMs: number;
  readonly #maxBackoffMs: number;
  readonly #clock: Clock;
  readonly #onError: ((error: SpoolError) => void) | undefined;
  #running = false;
  #timer: TimerHandle | undefined;
  #tick: Promise<void> | undefined;
  #woken = false;
  #failures = 0;

  constructor(runner: SqlRunner, broker: OutboxBroker, options: OutboxRelayOptions = {}) {
    if (typeof broker?.xaddOnce !== 'function')
      throw new SpoolError(
        'INVALID_OPTION',
        '`broker` must have xaddOnce(key, onceKey, fields) (a StreamBroker such as RedisBroker).',
      );
    const o = { ...outboxRelayDefaults, ...options };
    this.#outbox = `${quoteSchema(o.schema)}.outbox`;
    this.#batchSize = positive('batchSize', o.batchSize, true);
    this.#pollMs = positive('pollIntervalMs', o.pollIntervalMs);
    this.#timeoutMs = positive('brokerTimeoutMs', o.brokerTimeoutMs);
    this.#maxBackoffMs = positive('maxBackoffMs', o.maxBackoffMs);
    this.#runner = runner;
    this.#broker = broker;
    this.#clock = o.clock ?? realClock;
    this.#onError = o.onError;
  }

  /** Whether {@link start} has been called and {@link stop} not yet. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Claims up to `batchSize` rows and relays them, in one transaction. Rows that failed
   * before come last, so a row the broker keeps refusing never blocks the others. A transient broker
   * failure (unreachable, timeout) ends the batch there; a permanent one (e.g. the stream
   * key holds another type) skips that row and goes on.
   *
   * @throws SpoolError `STORE_UNAVAILABLE` when the database fails (nothing is deleted then).
   */
  async relayOnce(): Promise<RelayResult> {
    try {
      return await this.#runner.transaction(async (tx) => {
        const { rows } = await tx.query<OutboxRow>(
          `SELECT id::text AS id, stream, once_key, fields::text AS fields FROM ${this.#outbox}
           ORDER BY attempts, id LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [this.#batchSize],
        );
        const result: RelayResult = { claimed: rows.length, relayed: 0, duplicates: 0, failed: [] };
        const done: string[] = [];
        for (const row of rows) {
          try {
            const { added } = await this.#xaddOnce(row);
            done.push(row.id);
            if (!added) result.duplicates++;
          } catch (err) {
            const error = toBrokerError(err);
            result.failed.push({ stream: row.stream, onceKey: row.once_key, error });
            await tx.query(
              `UPDATE ${this.#outbox} SET attempts = attempts + 1, last_error = $2 WHERE id = $1::bigint`,
              [row.id, error.message.slice(0, 1000)],
            );
            if (isTransientError(error)) break;
          }
        }
        if (done.length > 0)
          await tx.query(
            `DELETE FROM ${this.#outbox} WHERE id IN (${done.map((_, i) => `$${i + 1}::bigint`).join(', ')})`,
            done,
          );
        result.relayed = done.length;
        return result;
      });
    } catch (err) {
      throw toStoreError(err, 'Relaying the outbox');
    }
  }

  /** Relays until the outbox is empty (of rows no other relay holds) or a row fails. */
  async relayAll(): Promise<RelayResult> {
    const total: RelayResult = { claimed: 0, relayed: 0, duplicates: 0, failed: [] };
    for (;;) {
      const r = await this.relayOnce();
      total.claimed += r.claimed;
      total.relayed += r.relayed;
      total.duplicates += r.duplicates;
      total.failed.push(...r.failed);
      if (r.claimed < this.#batchSize || r.failed.length > 0) return total;
    }
  }

  /** Starts relaying in the background: now, then on every wake and poll. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#failures = 0;
    this.#schedule(0);
  }

  /** Asks a started relay to run now (a save just committed); ignored while it backs off. */
  wake(): void {
    if (!this.#running || this.#failures > 0) return;
    if (this.#tick) {
      this.#woken = true;
      return;
    }
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#schedule(0);
  }

  /** Stops the background loop and waits for a batch in flight. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#tick) await this.#tick;
  }

  #schedule(ms: number): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#tick = this.#run().finally(() => {
        this.#tick = undefined;
      });
    }, ms);
  }

  async #run(): Promise<void> {
    let delay: number;
    try {
      const r = await this.relayOnce();
      for (const f of r.failed) this.#report(f.error);
      this.#failures = r.failed.length > 0 ? this.#failures + 1 : 0;
      delay = r.failed.length === 0 && r.claimed === this.#batchSize ? 0 : this.#pollMs;
    } catch (err) {
      this.#report(toStoreError(err, 'Relaying the outbox'));
      this.#failures++;
      delay = this.#pollMs;
    }
    if (this.#failures > 0)
      delay = Math.max(
        delay,
        backoffDelay(this.#failures, { baseMs: this.#pollMs, maxMs: this.#maxBackoffMs }),
      );
    else if (this.#woken) delay = 0;
    this.#woken = false;
    if (this.#running) this.#schedule(delay);
  }

  #report(error: SpoolError): void {
    try {
      this.#onError?.(error);
    } catch {
      // a failing error handler must not stop the relay
    }
  }

  #xaddOnce(row: OutboxRow): Promise<{ id: string; added: boolean }> {
    const fields = Object.fromEntries(JSON.parse(row.fields) as Array<[string, string]>);
    return new Promise((resolve, reject) => {
      const timer = this.#clock.setTimeout(
        () =>
          reject(
            new SpoolError(
              'TIMEOUT',
              `xaddOnce to ${row.stream} took longer than ${this.#timeoutMs} ms; the row stays in the outbox.`,
            ),
          ),
        this.#timeoutMs,
      );
      this.#broker.xaddOnce(row.stream, row.once_key, fields).then(
        (r) => {
          this.#clock.clearTimeout(timer);
          resolve(r);
        },
        (err: unknown) => {
          this.#clock.clearTimeout(timer);
          reject(err);
        },
      );
    });
  }
}

function toBrokerError(err: unknown): SpoolError {
  if (err instanceof SpoolError) return err;
  return new SpoolError('BROKER_UNAVAILABLE', `xaddOnce failed: ${String((err as Error)?.message ?? err)}`, {
    cause: err,
  });
}

function positive(name: string, value: number, integer = false): number {
  if (
    typeof value !== 'number' ||
    !(value > 0) ||
    !Number.isFinite(value) ||
    (integer && !Number.isSafeInteger(value))
  )
    throw new SpoolError(
      'INVALID_OPTION',
      `\`${name}\` must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}.`,
    );
  return value;
}
