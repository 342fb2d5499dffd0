import { COMPLETED_STREAM, type ConsumeHandle, type ConsumeStats, consume, SpoolError } from '@spool/core';
import { sleepOnClock } from '@spool/core/internal';
import type { SpoolInstance } from '../spool';

import { type DemoRandom, definedOnly, randomInt } from './demo-random';

/** The demo's consumer group on `spool:completed`. */
export const DEMO_GROUP = 'workers';

/** Options of {@link startDemoWorkers}. */
export interface DemoWorkersOptions {
  /** Workers (consumers `worker-1`…, or `<instance>/worker-1`… with `instance`) in the group. @default 2 */
  workers?: number;
  /**
   * The instance these workers run on (`spool serve` passes `SPOOL_INSTANCE_ID` in a
   * cluster): it prefixes the consumer names, so that the workers of several instances in
   * one group never share a consumer (docs/architecture.md, "The demo in a cluster").
   * @default none: consumers `worker-1`…
   */
  instance?: string;
  /** Chance that one delivery fails for a passing reason (it is retried after `claimIdleMs`). @default 0.08 */
  transientFailureRate?: number;
  /**
   * Chance that a message is "poison": it fails on every delivery, so after `maxDeliveries`
   * it lands in the dead-letter stream `spool:completed:dead`. Decided by its message ID.
   * @default 0.1
   */
  poisonRate?: number;
  /** @default 3 */
  maxDeliveries?: number;
  /** Pending entries idle this long (ms) are claimed and retried. @default 3000 */
  claimIdleMs?: number;
  /** Simulated work per entry, in ms on the Spool's clock. @default [20, 150] */
  workMs?: readonly [min: number, max: number];
  /** @default Math.random */
  random?: DemoRandom;
}

/** Defaults of {@link DemoWorkersOptions}. */
export const demoWorkersDefaults = Object.freeze({
  workers: 2,
  transientFailureRate: 0.08,
  poisonRate: 0.1,
  maxDeliveries: 3,
  claimIdleMs: 3000,
  workMs: Object.freeze([20, 150] as const),
});

/** The running demo workers. */
export interface DemoWorkers {
  /** Each worker's consumer handle. */
  readonly handles: readonly ConsumeHandle[];
  /** Sums of every worker's counters. */
  stats(): ConsumeStats;
  /** Broker errors the workers recovered from. */
  readonly errors: unknown[];
  /** Stops every worker gracefully (in-flight entries finish and are acked); never rejects. */
  stop(): Promise<ConsumeStats>;
}

/**
 * The demo's background workers: core's `consume` over the Spool's broker, group `workers`
 * on `spool:completed`, each entry "processed" for a few tens of milliseconds. Some
 * deliveries fail for a passing reason and are retried; a few messages always fail and,
 * after `maxDeliveries`, go to the dead-letter stream, so every part of the consumer-group
 * view of the dashboard has something to show.
 *
 * @example
 * const workers = startDemoWorkers(spool);
 * await workers.stop();
 */
export function startDemoWorkers(spool: SpoolInstance, options: DemoWorkersOptions = {}): DemoWorkers {
  const o = { ...demoWorkersDefaults, ...definedOnly(options) };
  const random = options.random ?? Math.random;
  for (const rate of ['transientFailureRate', 'poisonRate'] as const) {
    if (!(o[rate] >= 0 && o[rate] <= 1)) {
      throw new SpoolError(
        'INVALID_OPTION',
        `\`${rate}\` must be a fraction from 0 to 1, got ${String(o[rate])}.`,
      );
    }
  }
  const errors: unknown[] = [];
  const handles = Array.from({ length: o.workers }, (_, i) =>
    consume(
      spool.broker,
      COMPLETED_STREAM,
      DEMO_GROUP,
      demoConsumerName(o.instance, i),
      async (entry, { signal }) => {
        await sleepOnClock(spool.clock, randomInt(random, o.workMs[0], o.workMs[1]), signal, 'demo work');
        if (isPoison(entry.fields.messageId ?? entry.id, o.poisonRate)) {
          throw new Error(`demo: message ${entry.fields.messageId} is poison and always fails`);
        }
        if (random() < o.transientFailureRate) throw new Error('demo: a passing failure (retried)');
      },
      {
        maxDeliveries: o.maxDeliveries,
        claimIdleMs: o.claimIdleMs,
        blockMs: 1000,
        createGroupAt: '0',
        clock: spool.clock,
        onError: (err) => {
          errors.push(err);
          spool.logger.warn({ err }, 'a demo worker hit a broker error; it retries');
        },
      },
    ),
  );
  const sum = (all: ConsumeStats[]): ConsumeStats =>
    all.reduce(
      (t, s) => ({
        processed: t.processed + s.processed,
        failed: t.failed + s.failed,
        deadLettered: t.deadLettered + s.deadLettered,
        claimed: t.claimed + s.claimed,
      }),
      { processed: 0, failed: 0, deadLettered: 0, claimed: 0 },
    );
  return {
    handles,
    errors,
    stats: () => sum(handles.map((h) => h.stats())),
    stop: async () => {
      // A worker that already ended on a closed broker has nothing left to stop: keep its counters.
      const total = sum(await Promise.all(handles.map((h) => h.stop().catch(() => h.stats()))));
      if (o.instance !== undefined) await forgetIdleConsumers(spool, o.instance, o.workers);
      return total;
    },
  };
}

/**
 * The consumer name of worker `index` (from 0). Per instance in a cluster: a consumer reads
 * its own pending entries when it starts, so two live instances sharing a name would each
 * run the other's in-flight entries, and the delivery counts of one would be the other's.
 */
export function demoConsumerName(instance: string | undefined, index: number): string {
  return instance === undefined ? `worker-${index + 1}` : `${instance}/worker-${index + 1}`;
}

/**
 * Removes this instance's stopped consumers that hold no pending entry, so that the group
 * does not collect one dead consumer per start of an instance with a generated ID. One
 * with pending entries stays: deleting it would drop them (`XGROUP DELCONSUMER`); another
 * instance claims them once idle, or a restart under the same ID recovers them.
 */
async function forgetIdleConsumers(spool: SpoolInstance, instance: string, workers: number): Promise<void> {
  for (let i = 0; i < workers; i++) {
    const consumer = demoConsumerName(instance, i);
    try {
      const pending = await spool.broker.xpendingRange(COMPLETED_STREAM, DEMO_GROUP, {
        start: '-',
        end: '+',
        count: 1,
        consumer,
      });
      // Stopped: nothing reads as this consumer any more, so nothing can become pending on it now.
      if (pending.length === 0) await spool.broker.xgroupDelConsumer(COMPLETED_STREAM, DEMO_GROUP, consumer);
    } catch (err) {
      spool.logger.warn({ err, consumer }, 'a stopped demo consumer could not be removed from its group');
    }
  }
}

/** Poison or not, decided by the message ID alone, so every delivery of it agrees. */
function isPoison(messageId: string, rate: number): boolean {
  let h = 2166136261;
  for (let i = 0; i < messageId.length; i++) h = Math.imul(h ^ messageId.charCodeAt(i), 16777619);
  return (h >>> 0) / 4_294_967_296 < rate;
}
