import type { TopicStatsSnapshot } from '@spool/core';

/**
 * The topics of a log that several instances share (a Redis topic log): what
 * `GET /v1/topics` lists, so that every instance lists the same topics, including ones it
 * does not hold, and what `/readyz` checks (docs/architecture.md, "Topics across instances").
 *
 * @example
 * const { createLog, directory } = await openRedisTopics({ url, keyPrefix: 'spool:' });
 * const spool = createSpool({ topics: { createLog, directory } });
 */
export interface TopicDirectory {
  /** What the readiness check calls the shared log, e.g. `redis`. */
  readonly kind: string;
  /** The name of every topic the shared log has held, in no particular order. */
  names(): Promise<string[]>;
  /** Stats of topics this instance does not hold (subscribers and rates are 0: they are per instance). */
  describe(names: readonly string[]): Promise<TopicStatsSnapshot[]>;
  /** Resolves when the shared log answers; rejects with why not. */
  ping(): Promise<void>;
}
