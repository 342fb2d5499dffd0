import type { Logger } from 'pino';
import type { ClusterMembership, InstanceLoad } from '../cluster/membership';
import type { RedisMembershipOptions } from '../cluster/redis-membership';
import type { Demo } from '../demo/demo';
import { loadRedisEngine } from './redis-engine';
import type { ServeConfig } from './serve-options';

/** Why an instance stopped being a member (`RedisMembershipOptions.onEvicted`). */
export type EvictionReason = Parameters<NonNullable<RedisMembershipOptions['onEvicted']>>[0];

/**
 * The exit code of a `spool serve` evicted from its cluster (`EX_TEMPFAIL`): the process is
 * fine, its membership is over; a supervisor restarts it as a new incarnation.
 */
export const EXIT_EVICTED = 75;

/** `spool serve`'s place in a cluster (with `SPOOL_REDIS_URL`). */
export interface ServeCluster {
  membership: ClusterMembership;
  /**
   * Resolves once this incarnation is no longer a member (declared dead, replaced, or its
   * record gone): `spool serve` then drains and exits with {@link EXIT_EVICTED}
   * (docs/architecture.md, "Instances and incarnations").
   */
  evicted: Promise<EvictionReason>;
  /**
   * Runs the demo's producer only while this instance holds `<prefix>demo-lock`: one
   * instance of the cluster produces, another takes over when it dies.
   */
  leadDemo(demo: Demo): void;
  /** Releases the demo lock, so another instance takes it at once. */
  releaseDemo(): Promise<void>;
  /** Leaves the cluster: stops beating and removes this instance's record. */
  close(): Promise<void>;
}

/**
 * Joins the cluster on Redis: instance ID, incarnation, heartbeats (docs/architecture.md,
 * "Instances and incarnations").
 *
 * @throws SpoolError `INSTANCE_ID_TAKEN` (another live process has `SPOOL_INSTANCE_ID`),
 *   `BROKER_UNAVAILABLE`, `INVALID_OPTION`
 */
export async function joinServeCluster(
  config: ServeConfig,
  logger: Logger,
  load: () => InstanceLoad,
): Promise<ServeCluster> {
  const engine = await loadRedisEngine();
  let evict: (why: EvictionReason) => void = () => {};
  const evicted = new Promise<EvictionReason>((resolve) => (evict = resolve));
  const url = config.redisUrl!;
  const membership = await engine.RedisMembership.start({
    url,
    keyPrefix: config.redisPrefix,
    ttlMs: config.instanceTtlMs,
    ...(config.instanceId === undefined ? {} : { instanceId: config.instanceId }),
    load,
    onError: (err) => logger.warn({ err }, 'cluster heartbeat failed'),
    onHolderCheck: (holder, waitMs) =>
      logger.info(
        { holder, waitMs },
        'the instance ID is held by a live-looking start: waiting to see whether it still beats (a crashed previous start is taken over, a live one refuses this start)',
      ),
    onEvicted: (why) => {
      logger.error(
        { why, ...membership.self },
        'this instance is no longer a member of the cluster: its heartbeats were refused; it drains and exits so that it is restarted as a new incarnation',
      );
      evict(why);
    },
  });
  logger.info({ ...membership.self, ttlMs: config.instanceTtlMs }, 'joined the cluster');
  let lease: InstanceType<typeof engine.RedisLease> | undefined;
  return {
    membership,
    evicted,
    leadDemo(demo) {
      lease = new engine.RedisLease({
        url,
        key: `${config.redisPrefix}demo-lock`,
        holder: `${membership.self.instanceId}|${membership.self.incarnation}`,
        ttlMs: config.instanceTtlMs,
        onChange: (held) => {
          if (held) demo.startProducing();
          else demo.stopProducing();
          logger.info({ demoLock: held }, held ? 'demo producer runs here' : 'demo producer stopped here');
        },
        onError: (err) => logger.warn({ err }, 'demo lock renewal failed'),
      });
      lease.start();
    },
    releaseDemo: async () => {
      await lease?.close();
    },
    close: () => membership.close(),
  };
}
