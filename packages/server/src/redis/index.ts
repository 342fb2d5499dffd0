/**
 * @spool/server/redis: the Redis engine on ioredis (an optional peer dependency that only
 * this entry loads): `RedisBroker`, the StreamBroker on Redis Streams, and
 * `RedisTopicLog`, a topic's log as one Redis stream. See packages/server/README.md,
 * "Redis engine".
 */
export { RedisBroker, type RedisBrokerOptions, redisBrokerDefaults } from '../broker/redis-broker';
export type {
  ClusterMembership,
  InstanceInfo,
  InstanceLoad,
  InstanceRef,
  TakeoverClaim,
} from '../cluster/membership';
export { type MembershipKeys, membershipKeys } from '../cluster/membership-keys';
export { RedisLease, type RedisLeaseOptions } from '../cluster/redis-lease';
export {
  generateInstanceId,
  RedisMembership,
  type RedisMembershipOptions,
  redisMembershipDefaults,
} from '../cluster/redis-membership';
export { RedisTopicDirectory, topicIndexKey } from './redis-topic-directory';
export {
  type RecreatedInfo,
  RedisTopicLog,
  type RedisTopicLogOptions,
  TOPIC_LOG_COMMAND,
} from './redis-topic-log';
export { openRedisTopics, type RedisTopics, type RedisTopicsOptions } from './redis-topics';
export { type TopicLogKeys, topicLogKeys } from './topic-log-keys';
export { TopicNotifier, type TopicNotifierOptions, topicNotifierDefaults } from './topic-notifier';
