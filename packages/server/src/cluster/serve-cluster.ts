import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type ClusterHost, ClusterMessages } from './cluster-messages';
import type { ClusterMembership } from './membership';

/** What {@link connectClusterMessages} needs from `spool serve`. */
export interface ServeClusterOptions {
  /** `SPOOL_REDIS_URL`. */
  redisUrl: string;
  /** `SPOOL_REDIS_PREFIX`. */
  keyPrefix: string;
  /** This process's membership (heartbeats, dead incarnations, the takeover claim). */
  membership: ClusterMembership;
  logger: Logger;
  /** @default 5000 */
  forwardTimeoutMs?: number;
}

/** The cluster part of a running `spool serve`; close it after the Spool server. */
export interface ServeCluster {
  messages: ClusterMessages;
  close(): Promise<void>;
}

/**
 * Puts a `spool serve` server in cluster mode (docs/architecture.md, "Messages across
 * instances"): two connections of its own (commands and scripts; pub/sub for forwarded
 * writes), then {@link ClusterMessages.start}. Loaded only with `SPOOL_REDIS_URL` (ioredis
 * is an optional peer dependency).
 *
 * @example
 * const cluster = await connectClusterMessages(spool, { redisUrl, keyPrefix, membership, logger });
 * // on shutdown, after spool.close():
 * await cluster.close();
 */
export async function connectClusterMessages(
  host: ClusterHost,
  o: ServeClusterOptions,
): Promise<ServeCluster> {
  const onError = (err: unknown) => o.logger.warn({ err }, 'redis connection error (cluster messages)');
  // RESP2: scripts and pipelines reply with plain arrays.
  const redis = new Redis(o.redisUrl, { protocol: 2, maxRetriesPerRequest: 2 });
  const subscriber = new Redis(o.redisUrl, { protocol: 2, maxRetriesPerRequest: 2 });
  redis.on('error', onError);
  subscriber.on('error', onError);
  try {
    const messages = await ClusterMessages.start({
      host,
      redis,
      subscriber,
      keyPrefix: o.keyPrefix,
      membership: o.membership,
      ...(o.forwardTimeoutMs === undefined ? {} : { forwardTimeoutMs: o.forwardTimeoutMs }),
    });
    return {
      messages,
      close: async () => {
        await messages.close();
        redis.disconnect();
        subscriber.disconnect();
      },
    };
  } catch (err) {
    redis.disconnect();
    subscriber.disconnect();
    throw err;
  }
}
