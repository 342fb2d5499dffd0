import type { Logger } from 'pino';
import type { ClusterMembership, InstanceLoad } from '../cluster/membership';
import type { Demo } from '../demo/demo';
import { loadRedisEngine } from './redis-engine';
import type { ServeConfig } from './serve-options';

/**
 * The exit code of a `spool serve` out of its cluster for good (`EX_TEMPFAIL`): evicted, and
 * its instance ID held by another live process now. A supervisor may start it again; the
 * start rule then decides.
 */
export const EXIT_EVICTED = 75;

/** `spool serve`'s place in a cluster (with `SPOOL_REDIS_URL`). */
export interface ServeCluster {
  membership: ClusterMembership;
  /**
   * Resolves, with why, once this instance is out of the cluster for good: evicted, and
   * another live process took its instance ID meanwhile, so it cannot join again. `spool serve`
   * then drains and exits with {@link EXIT_EVICTED} (docs/architecture.md, "Instances and
   * incarnations"). An eviction alone is followed by a rejoin as a new incarnation.
   */
  evicted: Promise<string>;
  /**
   * Runs the demo's producer only while this instance holds `<prefix>demo-lock`: one
   * instance of the cluster produces, another takes over when it dies.
   */
  leadDemo(demo: Demo): void;
  /** Releases the demo lock, so another instance takes it at once. */
  releaseDemo(): Promise<void>;
  /**
   * Leaves the cluster: stops beating and removes this instance's record; with `handOver`,
   * leaves the record for the survivors' takeover (see `ClusterMembership.close`).
   */
  close(options?: { handOver?: boolean }): Promise<void>;
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
  let evict: (why: string) => void = () => {};
  const evicted = new Promise<string>((resolve) => (evict = resolve));
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
    onEvicted: (why) =>
      logger.error(
        { why, ...membership.self },
        'this incarnation is no longer a member of the cluster (its heartbeats were refused): joining again as a new incarnation, which keeps its open messages unless another instance took them over',
      ),
    onRejoined: (self, previous) =>
      logger.warn(
        { ...self, previous: previous.incarnation },
        'joined the cluster again as a new incarnation',
      ),
    onRejoinRefused: (err) => {
      logger.error(
        { err, ...membership.self },
        'this instance cannot join the cluster again: another live process runs as it now; exiting',
      );
      evict(err.message);
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
    close: (options) => membership.close(options),
  };
}
