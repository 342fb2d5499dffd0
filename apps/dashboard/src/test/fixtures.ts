import type {
  ActiveStreamSnapshot,
  BrokerStreamSnapshot,
  ClusterInstanceSnapshot,
  ClusterStatsSnapshot,
  SpoolStats,
  TopicStatsSnapshot,
} from '@spool/core';

export const NOW = 1_731_900_000_000;

export function topicStats(over: Partial<TopicStatsSnapshot> = {}): TopicStatsSnapshot {
  return {
    name: 'chan:1:general',
    retainedEvents: 420,
    retainedBytes: 51_200,
    firstId: `${NOW - 60_000}-0`,
    lastId: `${NOW}-3`,
    subscribers: 3,
    eventsPerSec: 12.5,
    retention: { maxEvents: 10_000, maxBytes: 8 * 2 ** 20, maxAgeMs: 3_600_000 },
    ...over,
  };
}

export function activeStream(over: Partial<ActiveStreamSnapshot> = {}): ActiveStreamSnapshot {
  return {
    messageId: '1843563473929170944',
    channelId: 'general',
    channelType: 1,
    fromUid: 'bot',
    clientMsgNo: 'c-1',
    chunks: 17,
    bytes: 2048,
    createdAt: NOW - 5000,
    updatedAt: NOW - 200,
    customFields: { model: 'demo' },
    ...over,
  };
}

export function brokerStream(over: Partial<BrokerStreamSnapshot> = {}): BrokerStreamSnapshot {
  return {
    key: 'spool:completed',
    length: 120,
    lastId: `${NOW}-0`,
    groups: [{ name: 'workers', consumers: 2, pending: 5, lag: 3, lastDeliveredId: `${NOW - 10}-0` }],
    ...over,
  };
}

export function spoolStats(over: Partial<SpoolStats> = {}): SpoolStats {
  return {
    at: NOW,
    uptimeMs: 3_723_000,
    cache: {
      memoryBytes: 75 * 2 ** 20,
      maxMemoryBytes: 100 * 2 ** 20,
      streams: 1,
      maxStreams: 10_000,
      chunks: 17,
      completed: 40,
      completionFailures: 1,
      deadLettered: 0,
    },
    connections: { total: 7, ws: 5, sse: 2, lagging: 0 },
    topics: { count: 2, subscribers: 4, eventsPerSec: 12.5, list: [topicStats()] },
    streams: [activeStream()],
    broker: { streams: [brokerStream()] },
    events: { published: 1000, delivered: 2500, bytesOut: 1_048_576 },
    breakers: { store: 'closed', broker: 'half-open' },
    store: { kind: 'postgres', messages: 12_345, outboxBacklog: 2, deadLetters: 0 },
    ...over,
  };
}

/** A snapshot of a server that has seen no traffic at all. */
export function idleStats(): SpoolStats {
  return spoolStats({
    cache: {
      memoryBytes: 0,
      maxMemoryBytes: 100 * 2 ** 20,
      streams: 0,
      maxStreams: 10_000,
      chunks: 0,
      completed: 0,
      completionFailures: 0,
      deadLettered: 0,
    },
    connections: { total: 0, ws: 0, sse: 0, lagging: 0 },
    topics: { count: 0, subscribers: 0, eventsPerSec: 0, list: [] },
    streams: [],
    broker: { streams: [] },
    events: { published: 0, delivered: 0, bytesOut: 0 },
    breakers: {},
  });
}

export function clusterInstance(over: Partial<ClusterInstanceSnapshot> = {}): ClusterInstanceSnapshot {
  return {
    instanceId: 'spool-a',
    incarnation: '0a1b2c3d4e5f6071',
    heartbeatAgeMs: 1200,
    connections: 7,
    openMessages: 1,
    eventsPerSecond: 12.5,
    ...over,
  };
}

/** The `cluster` section of an instance `spool-a` in a cluster of `spool-a` and `spool-b`. */
export function clusterSection(over: Partial<ClusterStatsSnapshot> = {}): ClusterStatsSnapshot {
  return {
    self: { instanceId: 'spool-a', incarnation: '0a1b2c3d4e5f6071' },
    instances: [
      clusterInstance(),
      clusterInstance({
        instanceId: 'spool-b',
        incarnation: '9f8e7d6c5b4a3921',
        heartbeatAgeMs: 3400,
        connections: 3,
        openMessages: 2,
        eventsPerSecond: 250,
      }),
    ],
    ...over,
  };
}
