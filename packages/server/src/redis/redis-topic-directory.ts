import { type TopicRetention, type TopicStatsSnapshot, topicRetentionDefaults } from '@spool/core';
import type { Redis } from 'ioredis';
import type { TopicDirectory } from '../topic-directory';
import { topicLogKeys } from './topic-log-keys';

/** The key of the topic index under `prefix`: a sorted set of topic names by last append (ms). */
export function topicIndexKey(prefix: string): string {
  return `${prefix}topics`;
}

/**
 * {@link TopicDirectory} on Redis: names from the topic index that every instance's
 * `RedisTopicLog` keeps (`<prefix>topics`, a sorted set scored by last append time), stats
 * from each topic's stream and meta hash.
 *
 * @example const directory = new RedisTopicDirectory(redis, 'spool:', retention);
 */
export class RedisTopicDirectory implements TopicDirectory {
  readonly kind = 'redis';
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #retention: (name: string) => Pick<TopicRetention, 'maxEvents' | 'maxBytes' | 'maxAgeMs'>;

  constructor(
    redis: Redis,
    prefix: string,
    retention: (name: string) => Pick<TopicRetention, 'maxEvents' | 'maxBytes' | 'maxAgeMs'> = () =>
      topicRetentionDefaults,
  ) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#retention = retention;
  }

  names(): Promise<string[]> {
    return this.#redis.zrange(topicIndexKey(this.#prefix), '0', '-1');
  }

  async describe(names: readonly string[]): Promise<TopicStatsSnapshot[]> {
    // One pipeline for the page: three reads per topic, one round trip.
    const pipeline = this.#redis.pipeline();
    for (const name of names) {
      const keys = topicLogKeys(this.#prefix, name);
      pipeline.xlen(keys.stream);
      pipeline.hmget(keys.meta, 'b', 'l');
      pipeline.xrange(keys.stream, '-', '+', 'COUNT', '1');
    }
    const replies = (await pipeline.exec()) ?? [];
    return names.map((name, i) => {
      const [lenErr, len] = replies[i * 3] ?? [];
      const [metaErr, meta] = replies[i * 3 + 1] ?? [];
      const [firstErr, first] = replies[i * 3 + 2] ?? [];
      const [bytes, last] = metaErr
        ? [null, null]
        : ((meta as [string | null, string | null]) ?? [null, null]);
      const firstEntry = firstErr ? undefined : (first as Array<[string, string[]]>)[0];
      const { maxEvents, maxBytes, maxAgeMs } = this.#retention(name);
      return {
        name,
        retainedEvents: lenErr ? 0 : Number(len),
        retainedBytes: Number(bytes ?? 0),
        firstId: firstEntry?.[0] ?? null,
        lastId: last ?? null,
        subscribers: 0,
        eventsPerSec: 0,
        retention: { maxEvents, maxBytes, maxAgeMs },
      };
    });
  }

  async ping(): Promise<void> {
    await this.#redis.ping();
  }
}
