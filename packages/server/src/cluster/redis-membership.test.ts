import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { adminClient, deleteKeys, nextPrefix, runPrefix, TEST_REDIS_URL } from '../broker/redis-test-env';
import { type Child, spawnChild } from '../postgres/__tests__/child';
import type { InstanceRef } from './membership';
import { membershipKeys } from './membership-keys';
import { RedisMembership, type RedisMembershipOptions } from './redis-membership';

const admin = adminClient();
const members: RedisMembership[] = [];
const children: Child[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    c.proc.kill('SIGKILL');
    await c.exited;
  }
  await Promise.all(members.splice(0).map((m) => m.close()));
});
afterAll(async () => {
  await deleteKeys(admin, runPrefix);
  admin.disconnect();
});

async function member(prefix: string, options: RedisMembershipOptions = {}): Promise<RedisMembership> {
  const m = await RedisMembership.start({ url: TEST_REDIS_URL, keyPrefix: prefix, ttlMs: 600, ...options });
  members.push(m);
  return m;
}

/** A member in its own process, which the test can SIGKILL (a crash: nothing is cleaned up). */
async function memberProcess(prefix: string, ttlMs: number, instanceId?: string) {
  const child = spawnChild('../../cluster/__tests__/member-child.ts', {
    REDIS_URL: TEST_REDIS_URL,
    PREFIX: prefix,
    TTL_MS: String(ttlMs),
    ...(instanceId ? { INSTANCE_ID: instanceId } : {}),
  });
  children.push(child);
  const line = await child.line();
  const [word, id, incarnation] = line.split(' ');
  return { child, word, ref: { instanceId: id!, incarnation: incarnation! } };
}

function deadLog(m: RedisMembership): InstanceRef[] {
  const seen: InstanceRef[] = [];
  m.onIncarnationDead((d) => seen.push(d));
  return seen;
}

describe('RedisMembership', () => {
  it('beats under the prefix and lists every live instance with its load', async () => {
    const prefix = nextPrefix();
    const a = await member(prefix, {
      instanceId: 'a',
      load: () => ({ connections: 4, openMessages: 2, eventsPerSecond: 10 }),
    });
    const b = await member(prefix, { instanceId: 'b' });
    expect(a.self.incarnation).not.toBe(b.self.incarnation);
    expect(a.beatIntervalMs).toBe(200);
    const listed = await b.instances();
    expect(listed.map((i) => [i.instanceId, i.incarnation])).toEqual([
      ['a', a.self.incarnation],
      ['b', b.self.incarnation],
    ]);
    expect(listed[0]).toMatchObject({ connections: 4, openMessages: 2, eventsPerSecond: 10 });
    expect(listed[1]).toMatchObject({ connections: 0, openMessages: 0, eventsPerSecond: 0 });
    for (const i of listed) expect(i.ageMs).toBeLessThan(600);
    // The beat moves: a's record is rewritten every interval.
    const first = listed[0]!.beatAt;
    await expect
      .poll(async () => (await b.instances())[0]!.beatAt, { timeout: 5_000 })
      .toBeGreaterThan(first);
    expect(await b.isAlive(a.self.incarnation)).toBe(true);
    expect(await b.isAlive('no-such-incarnation')).toBe(false);
    // Every key is under the prefix.
    const keys = await admin.keys(`${prefix}*`);
    expect(keys.sort()).toEqual(
      [membershipKeys(prefix).incarnations, membershipKeys(prefix).instances].sort(),
    );
  });

  it('a closed instance leaves the listing at once and is not reported dead', async () => {
    const prefix = nextPrefix();
    const a = await member(prefix, { instanceId: 'a' });
    const b = await member(prefix, { instanceId: 'b' });
    const dead = deadLog(a);
    await b.close();
    expect((await a.instances()).map((i) => i.instanceId)).toEqual(['a']);
    expect(await a.isAlive(b.self.incarnation)).toBe(false);
    await a.tick();
    expect(dead).toEqual([]);
  });

  it('a closed instance that hands over stays listed until its TTL, then is reported dead to the survivors', async () => {
    const prefix = nextPrefix();
    const a = await member(prefix, { instanceId: 'a' });
    const b = await member(prefix, { instanceId: 'b' });
    const dead = deadLog(a);
    await b.close({ handOver: true });
    expect(await a.isAlive(b.self.incarnation)).toBe(true);
    await expect.poll(() => dead, { timeout: 5_000 }).toEqual([b.self]);
    expect((await a.claimTakeover(b.self.incarnation)).won).toBe(true);
  });

  it('reports an incarnation that stopped beating to every survivor; exactly one claims it', async () => {
    const prefix = nextPrefix();
    const survivors = await Promise.all([0, 1, 2].map((i) => member(prefix, { instanceId: `s${i}` })));
    const { child, ref } = await memberProcess(prefix, 600, 'doomed');
    expect(await survivors[0]!.isAlive(ref.incarnation)).toBe(true);
    const claims: boolean[] = [];
    const told = survivors.map((s) => {
      const seen: InstanceRef[] = [];
      s.onIncarnationDead((d) => {
        seen.push(d);
        void s.claimTakeover(d.incarnation).then((c) => claims.push(c.won));
      });
      return seen;
    });
    child.proc.kill('SIGKILL');
    await child.exited;
    for (const seen of told) await expect.poll(() => seen, { timeout: 10_000 }).toEqual([ref]);
    await expect.poll(() => claims.length, { timeout: 5_000 }).toBe(3);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await survivors[1]!.isAlive(ref.incarnation)).toBe(false);
    expect((await survivors[1]!.instances()).map((i) => i.instanceId)).toEqual(['s0', 's1', 's2']);
    // Told once each, however many beats later.
    await survivors[0]!.tick();
    expect(told[0]).toEqual([ref]);
    // A listener added later still hears of it while its record lasts.
    const late = deadLog(survivors[2]!);
    await expect.poll(() => late).toEqual([ref]);
  });

  it('the takeover claim is a lease: renewed while its holder works, taken by another once it lapses, final once finished', async () => {
    const prefix = nextPrefix();
    const [s0, s1] = await Promise.all([
      member(prefix, { instanceId: 's0' }),
      member(prefix, { instanceId: 's1' }),
    ]);
    const key = membershipKeys(prefix).takeover('gone');
    expect(await s0.claimTakeover('gone')).toEqual({ won: true });
    // Three leases later s0 still holds it: it renews every third of the TTL.
    await new Promise((r) => setTimeout(r, 3 * s0.ttlMs));
    const held = await s1.claimTakeover('gone');
    expect(held).toMatchObject({ won: false, finished: false });
    expect(held.won === false && !held.finished && held.retryInMs).toBeGreaterThan(0);
    expect(held.won === false && !held.finished && held.retryInMs).toBeLessThanOrEqual(s0.ttlMs);
    expect(await admin.get(key)).toBe(`s0|${s0.self.incarnation}`);

    // s0 stops renewing (as a claimer that died): the lease runs out and s1 wins the next claim.
    await s0.close();
    await expect
      .poll(() => s1.claimTakeover('gone'), { timeout: 5_000, interval: 100 })
      .toEqual({ won: true });
    await s1.finishTakeover('gone');
    expect(await admin.get(key)).toBe(`done|s1|${s1.self.incarnation}`);
    expect(await admin.ttl(key)).toBeGreaterThan(86_000);
    const s2 = await member(prefix, { instanceId: 's2' });
    expect(await s2.claimTakeover('gone')).toEqual({ won: false, finished: true });
    // A claimer whose lease lapsed and was taken does not mark the other's takeover finished.
    expect(await s2.claimTakeover('other')).toEqual({ won: true });
    await admin.set(membershipKeys(prefix).takeover('other'), 'someone|else', 'PX', 5_000);
    await s2.finishTakeover('other');
    expect(await admin.get(membershipKeys(prefix).takeover('other'))).toBe('someone|else');
  });

  it('a restart inside the TTL takes the instance over: the old incarnation is dead at once', async () => {
    const prefix = nextPrefix();
    // A TTL far longer than the test: only the restart can make the old incarnation dead.
    const ttlMs = 60_000;
    const observer = await member(prefix, { instanceId: 'observer', ttlMs });
    const dead = deadLog(observer);
    const first = await memberProcess(prefix, ttlMs, 'api-1');
    first.child.proc.kill('SIGKILL');
    await first.child.exited;
    // The restart watches the old record for a beat interval and a half; it does not move.
    const restarted = await member(prefix, { instanceId: 'api-1', ttlMs: 3_000 });
    expect(restarted.self.incarnation).not.toBe(first.ref.incarnation);
    expect(await observer.isAlive(first.ref.incarnation)).toBe(false);
    expect(await admin.hget(membershipKeys(prefix).dead, first.ref.incarnation)).toMatch(/^\d+\|replaced$/);
    await observer.tick();
    expect(dead).toEqual([first.ref]);
    expect((await observer.instances()).map((i) => [i.instanceId, i.incarnation])).toEqual([
      ['api-1', restarted.self.incarnation],
      ['observer', observer.self.incarnation],
    ]);
  });

  it('refuses a second live process with the same instance ID (INSTANCE_ID_TAKEN); the first stays', async () => {
    const prefix = nextPrefix();
    // Beats a second apart: a loaded machine's hiccup is not mistaken for a dead twin.
    const live = await memberProcess(prefix, 3000, 'twin');
    expect(live.word).toBe('joined');
    const second = await memberProcess(prefix, 3000, 'twin');
    expect(second.word).toBe('INSTANCE_ID_TAKEN');
    expect((await second.child.exited).code).toBe(1);
    await expect(member(prefix, { instanceId: 'twin', ttlMs: 3000 })).rejects.toMatchObject({
      code: 'INSTANCE_ID_TAKEN',
      message: expect.stringContaining('SPOOL_INSTANCE_ID'),
    });
    const observer = await member(prefix, { instanceId: 'observer' });
    expect(await observer.isAlive(live.ref.incarnation)).toBe(true);
  });

  it('an incarnation past its TTL stays dead when its process resumes (SIGCONT): evicted, not revived, it joins again as a new incarnation', async () => {
    const prefix = nextPrefix();
    const observer = await member(prefix, { instanceId: 'observer' });
    const dead = deadLog(observer);
    const sleeper = await memberProcess(prefix, 600, 'sleeper');
    sleeper.child.proc.kill('SIGSTOP');
    await expect.poll(() => dead, { timeout: 10_000 }).toEqual([sleeper.ref]);
    sleeper.child.proc.kill('SIGCONT');
    expect(await sleeper.child.line((l) => l.startsWith('evicted'))).toBe('evicted expired');
    const [, id, incarnation] = (await sleeper.child.line((l) => l.startsWith('rejoined'))).split(' ');
    expect(id).toBe('sleeper');
    expect(incarnation).not.toBe(sleeper.ref.incarnation);
    expect(await observer.isAlive(sleeper.ref.incarnation)).toBe(false);
    expect(await observer.isAlive(incarnation!)).toBe(true);
    expect((await observer.instances()).map((i) => [i.instanceId, i.incarnation])).toEqual([
      ['observer', observer.self.incarnation],
      ['sleeper', incarnation],
    ]);
    // Told of the old incarnation's death once; the new one is alive.
    await observer.tick();
    expect(dead).toEqual([sleeper.ref]);
  });

  it('refuses a bad instance ID or TTL with INVALID_OPTION', async () => {
    await expect(member(nextPrefix(), { instanceId: 'has space' })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
    await expect(member(nextPrefix(), { ttlMs: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});
