/**
 * Child process of redis-membership.test.ts: joins the cluster under PREFIX (as INSTANCE_ID
 * when set, with TTL_MS), prints `joined <instanceId> <incarnation>` or the error code, and
 * beats until it is killed; prints `evicted <why>` if it learns it is no longer a member, and
 * `rejoined <instanceId> <incarnation>` when it joined again.
 */
import { isSpoolError } from '@spool/core';
import { RedisMembership } from '../redis-membership';

try {
  const m = await RedisMembership.start({
    url: process.env['REDIS_URL'],
    keyPrefix: process.env['PREFIX'],
    ttlMs: Number(process.env['TTL_MS']),
    ...(process.env['INSTANCE_ID'] ? { instanceId: process.env['INSTANCE_ID'] } : {}),
    load: () => ({ connections: 1, openMessages: 2, eventsPerSecond: 3 }),
    onEvicted: (why) => console.log(`evicted ${why}`),
    onRejoined: (self) => console.log(`rejoined ${self.instanceId} ${self.incarnation}`),
  });
  console.log(`joined ${m.self.instanceId} ${m.self.incarnation}`);
  // Beat until killed: the membership's timer does not hold the process.
  setInterval(() => {}, 1 << 30);
} catch (err) {
  console.log(isSpoolError(err) ? err.code : String(err));
  process.exit(1);
}
