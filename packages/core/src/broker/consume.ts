import { isSpoolError, SpoolError } from '../errors';
import { type Clock, realClock } from '../time/clock';
import type { StreamBroker, StreamEntry } from './stream-broker';

/** One entry handed to a {@link consume} handler. */
export interface ConsumedEntry {
  /** The stream key the entry was read from. */
  key: string;
  /** The entry's stream ID `<ms>-<seq>`. */
  id: string;
  /** The entry's fields, as the broker read them (frozen: copy them to change them). */
  fields: Record<string, string>;
}

/** What a handler gets besides the entry. */
export interface ConsumeContext {
  /** Aborts when the worker is asked to stop: a long handler may wrap up early (and fail, so the entry is retried). */
  signal: AbortSignal;
}

/** Processes one entry; resolving acks it, throwing (or rejecting) leaves it pending for a retry. */
export type ConsumeHandler = (entry: ConsumedEntry, context: ConsumeContext) => unknown;

/** Options of {@link consume}. */
export interface ConsumeOptions {
  /** Entries handled at once; each of these lanes runs its own blocking read. @default 1 */
  concurrency?: number;
  /** Entries pending longer than this (ms), on any consumer, are claimed and retried. @default 30_000 */
  claimIdleMs?: number;
  /** How often (ms) to look for such entries. @default claimIdleMs / 2 */
  claimIntervalMs?: number;
  /** After this many failed deliveries an entry is moved to the dead-letter stream and acked. @default 5 */
  maxDeliveries?: number;
  /** The dead-letter stream. @default `${key}:dead` */
  deadLetterKey?: string;
  /** Longest single blocking read (ms); a stop or a claim round never waits longer. @default 5_000 */
  blockMs?: number;
  /** Create the group (and the stream) at this ID if it is missing; `false` requires it to exist. @default '0' */
  createGroupAt?: string | false;
  /** Pause (ms) after a broker error before reading again. @default 1_000 */
  retryDelayMs?: number;
  /** Stops the worker gracefully: no new reads, in-flight handlers finish and are acked. */
  signal?: AbortSignal;
  /** @default realClock */
  clock?: Clock;
  /** Broker errors the worker recovered from (it retries after `retryDelayMs`). @default ignore */
  onError?: (err: unknown) => void;
}

export const consumeDefaults = {
  concurrency: 1,
  claimIdleMs: 30_000,
  maxDeliveries: 5,
  blockMs: 5_000,
  createGroupAt: '0',
  retryDelayMs: 1_000,
} as const;

/** Counters of a {@link consume} worker. */
export interface ConsumeStats {
  /** Entries handled successfully and acked. */
  processed: number;
  /** Failed deliveries (handler threw). */
  failed: number;
  /** Entries moved to the dead-letter stream. */
  deadLettered: number;
  /** Entries this worker claimed from idle consumers (itself included). */
  claimed: number;
}

/** A running {@link consume} worker. */
export interface ConsumeHandle {
  /** Resolves with the final stats once stopped; rejects if the worker hit an unrecoverable error (NOGROUP, BROKER_CLOSED). */
  readonly done: Promise<ConsumeStats>;
  /** Current counters. */
  stats(): ConsumeStats;
  /** Stops gracefully (like aborting `signal`) and resolves with the final stats. */
  stop(): Promise<ConsumeStats>;
}

/** Fields added to a dead-lettered entry, after its own fields. */
export const DEAD_LETTER_FIELDS = {
  id: 'dead.id',
  key: 'dead.key',
  group: 'dead.group',
  consumer: 'dead.consumer',
  deliveries: 'dead.deliveries',
  reason: 'dead.reason',
} as const;

interface Job {
  entry: ConsumedEntry;
  /** Known delivery count, if any. */
  deliveries: number | undefined;
}

const FATAL = new Set(['NOGROUP', 'NO_SUCH_KEY', 'BROKER_CLOSED', 'WRONGTYPE']);

function check(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new SpoolError('INVALID_OPTION', `\`${name}\` must be an integer >= ${min}, got ${value}.`);
  }
  return value;
}

/**
 * A worker over any {@link StreamBroker}: reads `key` as `consumer` of `group`, runs
 * `handler` for each entry, and acks it when the handler succeeds. Entries left pending
 * longer than `claimIdleMs` (a consumer that died, or a failed attempt) are claimed with
 * XAUTOCLAIM and retried; after `maxDeliveries` failed deliveries an entry is copied to
 * the dead-letter stream with the failure reason (fields `dead.*`) and acked. On start it
 * first finishes its own pending entries (a restart after a crash). Stopping is graceful:
 * no new reads, in-flight handlers finish; whatever was not handled stays pending, so
 * nothing is lost (delivery is at least once).
 *
 * @example
 * const ctl = new AbortController();
 * const worker = consume(broker, 'jobs', 'mailers', 'mailer-1', async (entry) => {
 *   await sendEmail(entry.fields.to);
 * }, { concurrency: 8, claimIdleMs: 60_000, maxDeliveries: 3, signal: ctl.signal });
 * // later
 * ctl.abort();
 * const { processed, failed, deadLettered } = await worker.done;
 */
export function consume(
  broker: StreamBroker,
  key: string,
  group: string,
  consumer: string,
  handler: ConsumeHandler,
  options: ConsumeOptions = {},
): ConsumeHandle {
  const o = { ...consumeDefaults, ...options };
  const concurrency = check('concurrency', o.concurrency, 1);
  const claimIdleMs = check('claimIdleMs', o.claimIdleMs, 0);
  const claimIntervalMs = check(
    'claimIntervalMs',
    o.claimIntervalMs ?? Math.max(1, Math.floor(claimIdleMs / 2)),
    1,
  );
  const maxDeliveries = check('maxDeliveries', o.maxDeliveries, 1);
  const blockMs = check('blockMs', o.blockMs, 1);
  const retryDelayMs = check('retryDelayMs', o.retryDelayMs, 0);
  const deadLetterKey = o.deadLetterKey ?? `${key}:dead`;
  const clock = o.clock ?? realClock;
  const onError = o.onError ?? (() => {});
  if (typeof handler !== 'function') throw new SpoolError('INVALID_OPTION', '`handler` must be a function.');

  const stop = new AbortController();
  const signal = stop.signal;
  const onOuterAbort = () => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) stop.abort(options.signal.reason);
  else options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const stats: ConsumeStats = { processed: 0, failed: 0, deadLettered: 0, claimed: 0 };
  const queue: Job[] = [];
  let fatal: unknown;
  let nextClaimAt = clock.now();
  let claiming = false;
  let cursor = '0-0';

  const fail = (err: unknown) => {
    fatal ??= err;
    stop.abort(err);
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const timer = clock.setTimeout(done, ms);
      function done() {
        signal.removeEventListener('abort', abort);
        resolve();
      }
      function abort() {
        clock.clearTimeout(timer);
        resolve();
      }
      signal.addEventListener('abort', abort, { once: true });
    });

  /** Runs a broker call; recoverable errors are reported and give undefined. */
  async function attempt<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (err) {
      if (isSpoolError(err, 'ABORTED') && signal.aborted) return undefined;
      if (isSpoolError(err) && FATAL.has(err.code)) {
        fail(err);
        return undefined;
      }
      onError(err);
      await sleep(retryDelayMs);
      return undefined;
    }
  }

  async function deliveriesOf(ids: string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    if (ids.length === 0) return found;
    const rows = await attempt(() =>
      broker.xpendingRange(key, group, {
        start: ids[0]!,
        end: ids[ids.length - 1]!,
        count: ids.length * 10 + 100,
        consumer,
      }),
    );
    for (const row of rows ?? []) found.set(row.id, row.deliveries);
    return found;
  }

  async function deadLetter(entry: ConsumedEntry, deliveries: number, reason: string): Promise<void> {
    const fields: Array<[string, string]> = [
      ...Object.entries(entry.fields),
      [DEAD_LETTER_FIELDS.id, entry.id],
      [DEAD_LETTER_FIELDS.key, key],
      [DEAD_LETTER_FIELDS.group, group],
      [DEAD_LETTER_FIELDS.consumer, consumer],
      [DEAD_LETTER_FIELDS.deliveries, String(deliveries)],
      [DEAD_LETTER_FIELDS.reason, reason],
    ];
    // Copy first, then ack: a crash in between duplicates the dead letter, never loses it.
    if ((await attempt(() => broker.xadd(deadLetterKey, fields))) === undefined) return;
    if ((await attempt(() => broker.xack(key, group, [entry.id]))) === undefined) return;
    stats.deadLettered++;
  }

  /** Queues entries obtained again (history or claim), dead-lettering those past maxDeliveries. */
  async function requeue(entries: StreamEntry[]): Promise<void> {
    const live = entries.filter(
      (e): e is StreamEntry & { fields: Record<string, string> } => e.fields !== null,
    );
    const gone = entries.filter((e) => e.fields === null).map((e) => e.id);
    if (gone.length > 0) await attempt(() => broker.xack(key, group, gone));
    const deliveries = await deliveriesOf(live.map((e) => e.id));
    for (const e of live) {
      const entry = { key, id: e.id, fields: e.fields };
      const d = deliveries.get(e.id);
      if (d !== undefined && d > maxDeliveries) {
        await deadLetter(
          entry,
          d,
          `gave up after ${d - 1} deliveries without an ack (maxDeliveries ${maxDeliveries})`,
        );
      } else {
        queue.push({ entry, deliveries: d });
      }
    }
  }

  async function claimRound(): Promise<void> {
    claiming = true;
    try {
      nextClaimAt = clock.now() + claimIntervalMs;
      const reply = await attempt(() =>
        broker.xautoclaim(key, group, consumer, claimIdleMs, cursor, { count: concurrency }),
      );
      if (!reply) return;
      cursor = reply.next;
      stats.claimed += reply.entries.length;
      await requeue(reply.entries);
      // More to scan: come back at once rather than after a full interval.
      if (cursor !== '0-0') nextClaimAt = clock.now();
    } finally {
      claiming = false;
    }
  }

  async function handle(job: Job): Promise<void> {
    const { entry } = job;
    try {
      await handler(entry, { signal });
    } catch (err) {
      stats.failed++;
      const deliveries = job.deliveries ?? (await deliveriesOf([entry.id])).get(entry.id) ?? 1;
      if (deliveries >= maxDeliveries) {
        const reason = err instanceof Error ? err.message || err.name : String(err);
        await deadLetter(entry, deliveries, reason);
      }
      // Otherwise it stays pending; a claim round retries it once it has been idle claimIdleMs.
      return;
    }
    if ((await attempt(() => broker.xack(key, group, [entry.id]))) !== undefined) stats.processed++;
  }

  async function lane(): Promise<void> {
    while (!signal.aborted) {
      const job = queue.shift();
      if (job) {
        await handle(job);
        continue;
      }
      if (!claiming && clock.now() >= nextClaimAt) {
        await claimRound();
        continue;
      }
      const block = Math.max(1, Math.min(blockMs, nextClaimAt - clock.now()));
      const reply = await attempt(() =>
        broker.xreadgroup(group, consumer, [[key, '>']], { count: 1, block, signal }),
      );
      // Entries that arrived as a stop began are still handled.
      for (const e of reply?.[0]?.entries ?? []) {
        if (e.fields) await handle({ entry: { key, id: e.id, fields: e.fields }, deliveries: 1 });
      }
    }
  }

  async function recoverOwnPending(): Promise<void> {
    let after = '0-0';
    while (!signal.aborted) {
      const reply = await attempt(() => broker.xreadgroup(group, consumer, [[key, after]], { count: 100 }));
      const entries = reply?.[0]?.entries ?? [];
      if (entries.length === 0) return;
      after = entries[entries.length - 1]!.id;
      await requeue(entries);
    }
  }

  async function run(): Promise<ConsumeStats> {
    try {
      if (o.createGroupAt !== false) {
        const at = o.createGroupAt;
        await attempt(async () => {
          try {
            await broker.xgroupCreate(key, group, at, { mkStream: true });
          } catch (err) {
            if (!isSpoolError(err, 'BUSYGROUP')) throw err;
          }
        });
      }
      await recoverOwnPending();
      await Promise.all(Array.from({ length: concurrency }, () => lane()));
    } finally {
      options.signal?.removeEventListener('abort', onOuterAbort);
    }
    if (fatal !== undefined) throw fatal;
    return { ...stats };
  }

  const done = run();
  // The caller may only ever look at stats(); never leave the rejection unhandled.
  done.catch(() => {});
  return {
    done,
    stats: () => ({ ...stats }),
    stop: () => {
      stop.abort();
      return done;
    },
  };
}
