import { type Clock, MemoryTopicLog, SYS_TOPIC, type TopicLog, type TopicRetention } from '@spool/core';
import { Redis } from 'ioredis';
import { RedisTopicDirectory, topicIndexKey } from './redis-topic-directory';
import { RedisTopicLog, TOPIC_LOG_COMMAND } from './redis-topic-log';
import { TopicNotifier } from './topic-notifier';

/** Options of {@link openRedisTopics}. */
export interface RedisTopicsOptions {
  /** `redis://...` (`SPOOL_REDIS_URL`). */
  url: string;
  /** Before every key and channel (`SPOOL_REDIS_PREFIX`). @default '' */
  keyPrefix?: string;
  /** Retention the directory reports for topics this instance does not hold. */
  retention?: (name: string) => Pick<TopicRetention, 'maxEvents' | 'maxBytes' | 'maxAgeMs'>;
  /** Connection errors and background errors. @default console.error */
  onError?: (err: unknown) => void;
}

/** What {@link openRedisTopics} gives: the pieces `createSpool({ topics })` takes, and a close. */
export interface RedisTopics {
  /** A `TopicRegistry` `createLog`: every topic on Redis, except `$sys` (per instance, in memory). */
  createLog: (name: string, clock: Clock) => TopicLog;
  /** The shared topic index (`GET /v1/topics` in every instance) and the Redis check of `/readyz`. */
  directory: RedisTopicDirectory;
  /** The subscriber connection that hands each watched topic the events other instances append. */
  notifier: TopicNotifier;
  /** The connection the logs share. */
  redis: Redis;
  /** Closes both connections (after the topics have closed). */
  close(): Promise<void>;
}

/**
 * Topics on Redis for a server instance (`spool serve` with `SPOOL_REDIS_URL`): one shared
 * connection for every topic's log (auto-pipelined, so the batches of one turn share a
 * write), one subscriber connection for live fan-out across instances, and the topic
 * directory (docs/architecture.md, "Topics across instances"). `$sys` stays in memory: its
 * stats are this instance's.
 *
 * @example
 * const topics = openRedisTopics({ url: process.env.SPOOL_REDIS_URL!, keyPrefix: 'spool:' });
 * const spool = createSpool({ broker, topics: { createLog: topics.createLog, directory: topics.directory } });
 */
export function openRedisTopics(options: RedisTopicsOptions): RedisTopics {
  const onError = options.onError ?? ((err: unknown) => console.error(err));
  const keyPrefix = options.keyPrefix ?? '';
  const redis = new Redis(options.url, {
    enableAutoPipelining: true,
    // The logs batch their appends per turn already: their script calls go out at once,
    // not a turn later (docs/architecture.md, "Topics across instances", "Latency").
    autoPipeliningIgnoredCommands: [TOPIC_LOG_COMMAND],
    maxRetriesPerRequest: 1,
  });
  redis.on('error', onError);
  const notifier = new TopicNotifier(redis.duplicate({ enableAutoPipelining: false }), { onError });
  const directory = new RedisTopicDirectory(redis, keyPrefix, options.retention);
  const indexKey = topicIndexKey(keyPrefix);
  return {
    createLog: (name, clock) =>
      name === SYS_TOPIC
        ? new MemoryTopicLog({ clock })
        : RedisTopicLog.create(redis, name, { keyPrefix, notifier, indexKey, onError }),
    directory,
    notifier,
    redis,
    close: async () => {
      await notifier.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
