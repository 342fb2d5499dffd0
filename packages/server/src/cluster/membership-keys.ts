/**
 * The Redis keys of cluster membership under `SPOOL_REDIS_PREFIX` (docs/architecture.md,
 * "Instances and incarnations"). The three hashes share one hash tag, so that the
 * membership scripts touch one slot on Redis Cluster. The takeover claim is its own key,
 * `<prefix>takeover:<incarnation>`.
 */
export interface MembershipKeys {
  /** Hash: instance ID → the incarnation that holds it now. */
  instances: string;
  /** Hash: incarnation → `<beatAt>|<JSON of its instance info>` (beatAt in Redis's ms). */
  incarnations: string;
  /** Hash: incarnation → `<ms>|<why>` for incarnations known dead (replaced by a restart, or past the TTL). */
  dead: string;
  /** The takeover claim: the one survivor at a time that ends a dead incarnation's work (takeover-claims.ts). */
  takeover(incarnation: string): string;
}

/** The membership keys under `prefix`. */
export function membershipKeys(prefix: string): MembershipKeys {
  const tag = `${prefix}{spool-cluster}`;
  return {
    instances: `${tag}:instances`,
    incarnations: `${tag}:incarnations`,
    dead: `${tag}:dead`,
    takeover: (incarnation) => `${prefix}takeover:${incarnation}`,
  };
}
