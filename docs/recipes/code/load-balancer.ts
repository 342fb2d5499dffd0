import { SpoolClient } from '@spool/client';
import { SpoolProducer } from '@spool/client/producer';
import WebSocket from 'ws';

/** What every instance of one cluster shares. */
export interface ClusterSettings {
  /** The cluster's one Redis: topic logs, consumer groups, members and message owners. */
  redisUrl: string;
  /** The same on every instance: one prefix is one cluster. */
  redisPrefix: string;
  /** Where finished messages are saved, and read back by every instance. */
  databaseUrl: string;
  /** The tables' schema, created by the first instance that starts. */
  databaseSchema: string;
  /** Behind a proxy the open local mode is not enough: tokens are required (see security.md). */
  adminToken: string;
  /** Tokens of producers and subscribers, comma-separated. */
  userTokens: string;
}

/** One instance's own settings. */
export interface InstanceSettings {
  /** Stable across restarts: a restart takes its previous start's place in the cluster. */
  instanceId: string;
  /** The address the balancer reaches it on (`0.0.0.0` on a host of its own). */
  host: string;
  port: number;
}

/** The environment of one `spool serve` of the cluster. */
export function instanceEnv(cluster: ClusterSettings, instance: InstanceSettings): Record<string, string> {
  return {
    SPOOL_REDIS_URL: cluster.redisUrl,
    SPOOL_REDIS_PREFIX: cluster.redisPrefix,
    SPOOL_DATABASE_URL: cluster.databaseUrl,
    SPOOL_DATABASE_SCHEMA: cluster.databaseSchema,
    SPOOL_ADMIN_TOKEN: cluster.adminToken,
    SPOOL_TOKENS: cluster.userTokens,
    SPOOL_INSTANCE_ID: instance.instanceId,
    SPOOL_HOST: instance.host,
    SPOOL_PORT: String(instance.port),
  };
}

/** A client of the cluster through the balancer: one URL, and the balancer picks the instance. */
export function clientThroughBalancer(balancerUrl: string, token: string): SpoolClient {
  const client = new SpoolClient(`${balancerUrl.replace(/^http/, 'ws')}/v1/ws`, { WebSocket, token });
  client.on('error', (err) => console.error(`spool: ${err.code} ${err.message}`));
  return client;
}

/** A producer through the balancer: its messages are owned by whichever instance it lands on. */
export function producerThroughBalancer(balancerUrl: string, token: string): SpoolProducer {
  const producer = new SpoolProducer(`${balancerUrl.replace(/^http/, 'ws')}/v1/ws`, { WebSocket, token });
  producer.on('error', (err) => console.error(`spool: ${err.code} ${err.message}`));
  return producer;
}

/** Without a balancer: the client's own list of instances, another tried when one fails. */
export function clientOfInstances(instanceUrls: readonly string[], token: string): SpoolClient {
  const urls = instanceUrls.map((url) => `${url.replace(/^http/, 'ws')}/v1/ws`);
  const client = new SpoolClient(urls, { WebSocket, token });
  client.on('error', (err) => console.error(`spool: ${err.code} ${err.message}`));
  return client;
}
