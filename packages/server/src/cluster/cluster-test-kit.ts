import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { MemoryMessageStore, type MessageStore, type StreamBroker, type TopicEvent } from '@spool/core';
import { Redis } from 'ioredis';
import { RedisBroker } from '../broker/redis-broker';
import { TEST_REDIS_URL } from '../broker/redis-test-env';
import { listen } from '../node/attach';
import type { SpoolOptions } from '../options';
import { openRedisTopics } from '../redis/redis-topics';
import { createSpoolInstance, type SpoolInstance } from '../spool';
import { ClusterMessages } from './cluster-messages';
import type { ClusterMembership, InstanceInfo, InstanceRef, TakeoverClaim } from './membership';
import { membershipKeys } from './membership-keys';
import { TakeoverClaims } from './takeover-claims';

/**
 * Test support for the message cluster: in-process Spool servers on one real Redis (a
 * unique prefix per test), each with its own instance reference, and a membership double
 * whose takeover claim is the real lease on Redis and whose deaths a test declares.
 */
export class TestMembership implements ClusterMembership {
  private readonly listeners = new Set<(dead: InstanceRef) => void>();
  private readonly claims: TakeoverClaims;

  constructor(
    readonly self: InstanceRef,
    redis: Redis,
    private readonly prefix: string,
    /** The takeover claim's lease (ms). @default 10000 */
    claimLeaseMs = 10_000,
  ) {
    const key = membershipKeys(prefix).takeover;
    this.claims = new TakeoverClaims(
      redis,
      key,
      () => `${self.instanceId}|${self.incarnation}`,
      claimLeaseMs,
    );
  }

  async instances(): Promise<InstanceInfo[]> {
    return [];
  }
  async isAlive(): Promise<boolean> {
    return true;
  }
  onIncarnationDead(listener: (dead: InstanceRef) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  claimTakeover(incarnation: string): Promise<TakeoverClaim> {
    return this.claims.claim(incarnation);
  }
  finishTakeover(incarnation: string): Promise<void> {
    return this.claims.finish(incarnation);
  }
  async close(): Promise<void> {
    this.claims.close();
  }

  /** Takes deaths declared by a test in another process ({@link declareDeadAcross}). */
  async listenForDeaths(subscriber: Redis): Promise<void> {
    subscriber.on('message', (_channel: string, raw: string) =>
      this.declareDead(JSON.parse(raw) as InstanceRef),
    );
    await subscriber.subscribe(`${this.prefix}test:dead`);
  }

  /** What the heartbeats would report: `dead` stopped beating. */
  declareDead(dead: InstanceRef): void {
    for (const l of this.listeners) l(dead);
  }
}

/** One instance of a test cluster. */
export interface TestInstance {
  name: string;
  spool: SpoolInstance;
  url: string;
  wsUrl: string;
  membership: TestMembership;
  cluster: ClusterMessages;
  /** Closes the server, then the cluster part, then its connections. Idempotent. */
  close(): Promise<void>;
}

/** Instances sharing one Redis prefix, one broker (the completion stream) and, by default, one store. */
export async function startCluster(
  prefix: string,
  names: string[],
  options: {
    sharedStore?: boolean;
    forwardTimeoutMs?: number;
    /** Topics on the shared Redis too (`openRedisTopics`), as `spool serve` has them. */
    sharedTopics?: boolean;
    /** The takeover claim's lease (ms). @default 10000 */
    claimLeaseMs?: number;
    /** More options of one instance's Spool, by name. */
    spool?: (name: string) => SpoolOptions;
  } = {},
): Promise<{ instances: TestInstance[]; broker: StreamBroker; store: MessageStore; close(): Promise<void> }> {
  const broker = new RedisBroker({ url: TEST_REDIS_URL, keyPrefix: prefix });
  const store = new MemoryMessageStore();
  const instances: TestInstance[] = [];
  for (const name of names) {
    const redis = new Redis(TEST_REDIS_URL, { protocol: 2, maxRetriesPerRequest: 1 });
    const subscriber = new Redis(TEST_REDIS_URL, { protocol: 2, maxRetriesPerRequest: 1 });
    const membership = new TestMembership(
      { instanceId: name, incarnation: randomUUID() },
      redis,
      prefix,
      options.claimLeaseMs,
    );
    const topics = options.sharedTopics
      ? openRedisTopics({ url: TEST_REDIS_URL, keyPrefix: prefix })
      : undefined;
    const more = options.spool?.(name);
    const spool = createSpoolInstance({
      ...more,
      ...(topics
        ? { topics: { ...more?.topics, createLog: topics.createLog, directory: topics.directory } }
        : {}),
      broker,
      store: options.sharedStore === false ? new MemoryMessageStore() : store,
    });
    const started = await listen(spool, { host: '127.0.0.1', port: 0 });
    const port = (started.server.address() as AddressInfo).port;
    const cluster = await ClusterMessages.start({
      host: spool,
      redis,
      subscriber,
      keyPrefix: prefix,
      membership,
      ...(options.forwardTimeoutMs ? { forwardTimeoutMs: options.forwardTimeoutMs } : {}),
    });
    let closed: Promise<void> | undefined;
    instances.push({
      name,
      spool,
      url: `http://127.0.0.1:${port}`,
      wsUrl: `ws://127.0.0.1:${port}/v1/ws`,
      membership,
      cluster,
      close: () =>
        (closed ??= (async () => {
          await started.close();
          await cluster.close();
          await topics?.close();
          redis.disconnect();
          subscriber.disconnect();
        })()),
    });
  }
  return {
    instances,
    broker,
    store,
    close: async () => {
      await Promise.all(instances.map((i) => i.close()));
      await broker.close();
      await store.close();
    },
  };
}

/** A JSON request to an instance: status and body. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Every event of a topic in an instance's own log. */
export async function topicEvents(spool: SpoolInstance, topic: string): Promise<TopicEvent[]> {
  const t = spool.topics.get(topic);
  if (!t) return [];
  return (await t.read('0-0', 10_000)).events;
}

/** Declares `dead` to every process listening ({@link TestMembership.listenForDeaths}); returns the listeners. */
export function declareDeadAcross(redis: Redis, prefix: string, dead: InstanceRef): Promise<number> {
  return redis.publish(`${prefix}test:dead`, JSON.stringify(dead));
}

/**
 * Resolves with the data of the message's `msg.end` on an instance's topic, once it is
 * there (the completion runs after the end call answered: a test waits for its event).
 */
export function endOf(spool: SpoolInstance, topic: string, messageId: string): Promise<unknown> {
  const t = spool.topics.getOrCreate(topic);
  const isEnd = (ev: TopicEvent) =>
    ev.event === 'msg.end' && (ev.data as { messageId?: string }).messageId === messageId;
  return new Promise((resolve, reject) => {
    const off = t.onAppend((ev) => {
      if (!isEnd(ev)) return;
      off();
      resolve(ev.data);
    });
    t.read('0-0', 10_000).then((page) => {
      const found = page.events.find(isEnd);
      if (!found) return;
      off();
      resolve(found.data);
    }, reject);
  });
}
