import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { adminClient, deleteKeys, nextPrefix, runPrefix, TEST_REDIS_URL } from '../broker/redis-test-env';
import { RedisLease } from './redis-lease';

const admin = adminClient();
const leases: RedisLease[] = [];
afterEach(async () => {
  await Promise.all(leases.splice(0).map((l) => l.close()));
});
afterAll(async () => {
  await deleteKeys(admin, runPrefix);
  admin.disconnect();
});

function lease(key: string, holder: string, ttlMs = 600) {
  const changes: boolean[] = [];
  const l = new RedisLease({
    url: TEST_REDIS_URL,
    key,
    holder,
    ttlMs,
    onChange: (held) => changes.push(held),
  });
  leases.push(l);
  return { l, changes };
}

describe('RedisLease', () => {
  it('one of several holds it; a released lease passes to another', async () => {
    const key = `${nextPrefix()}demo-lock`;
    const all = ['a', 'b', 'c'].map((h) => lease(key, h));
    for (const { l } of all) l.start();
    await expect.poll(() => all.filter(({ l }) => l.isHeld).length, { timeout: 5_000 }).toBe(1);
    const holder = all.find(({ l }) => l.isHeld)!;
    expect(await admin.get(key)).toBe(['a', 'b', 'c'][all.indexOf(holder)]);
    // The key expires unless renewed.
    expect(Number(await admin.pttl(key))).toBeGreaterThan(0);
    await holder.l.close();
    expect(holder.changes).toEqual([true, false]);
    const rest = all.filter((x) => x !== holder);
    await expect.poll(() => rest.filter(({ l }) => l.isHeld).length, { timeout: 5_000 }).toBe(1);
    const next = rest.find(({ l }) => l.isHeld)!;
    expect(await admin.get(key)).toBe(['a', 'b', 'c'][all.indexOf(next)]);
    expect(next.changes).toEqual([true]);
  });

  it('a holder whose key was taken by another (it expired meanwhile) stops holding on its next attempt', async () => {
    const key = `${nextPrefix()}demo-lock`;
    const { l, changes } = lease(key, 'a');
    l.start();
    await expect.poll(() => l.isHeld, { timeout: 5_000 }).toBe(true);
    await admin.set(key, 'someone-else', 'PX', 60_000);
    await expect.poll(() => changes, { timeout: 5_000 }).toEqual([true, false]);
    // Closing a lease it does not hold leaves the other's key alone.
    await l.close();
    expect(await admin.get(key)).toBe('someone-else');
  });
});
