/**
 * @spool/server/testing: what a test suite of a Spool deployment needs beyond core's
 * contract suites (`@spool/core/testing`): a private redis-server to inject Redis faults
 * into (docs/guarantees.md). Node only; needs `ioredis` and `redis-server`.
 */
export { PrivateRedis } from './testing/private-redis';
