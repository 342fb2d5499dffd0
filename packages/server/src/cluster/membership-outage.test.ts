import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceRef } from './membership';
import { RedisMembership, type RedisMembershipOptions } from './redis-membership';

// Redis paused past the TTL, and Redis restarted empty, for real: a redis-server of this
// test's own on a free port (never the shared one). docs/architecture.md, "Instances and
// incarnations", says what membership does then; these tests hold it to that.

let port = 0;
let server: ChildProcess | undefined;
const members: RedisMembership[] = [];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port: p } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return p;
}

async function startServer(): Promise<void> {
  server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  for (let i = 0; ; i++) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch {
      if (i > 200) throw new Error(`redis-server on port ${port} did not start`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  probe.disconnect();
}

async function stopServer(): Promise<void> {
  const child = server;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  port = await freePort();
  await startServer();
});
afterAll(async () => {
  await Promise.all(members.map((m) => m.close()));
  await stopServer();
});

async function member(instanceId: string, evicted: string[] = [], options: RedisMembershipOptions = {}) {
  const m = await RedisMembership.start({
    url: `redis://127.0.0.1:${port}`,
    keyPrefix: 'outage:',
    ttlMs: 600,
    instanceId,
    onEvicted: (why) => evicted.push(why),
    ...options,
  });
  members.push(m);
  return m;
}

describe('RedisMembership when Redis fails', () => {
  it('paused past the TTL: every incarnation is evicted (expired); a new start claims each', async () => {
    const evicted: string[] = [];
    const a = await member('a', evicted);
    const b = await member('b', evicted);
    server!.kill('SIGSTOP');
    // Longer than the TTL on Redis's clock, which runs on while the server is stopped.
    await new Promise((r) => setTimeout(r, 1_200));
    server!.kill('SIGCONT');
    await expect.poll(() => evicted, { timeout: 10_000 }).toEqual(['expired', 'expired']);
    const c = await member('c');
    const dead: InstanceRef[] = [];
    c.onIncarnationDead((d) => dead.push(d));
    await c.tick();
    expect(dead.map((d) => d.incarnation).sort()).toEqual([a.self.incarnation, b.self.incarnation].sort());
    expect(await c.claimTakeover(a.self.incarnation)).toBe(true);
    expect(await c.claimTakeover(b.self.incarnation)).toBe(true);
    expect((await c.instances()).map((i) => i.instanceId)).toEqual(['c']);
  });

  it('restarted empty: every incarnation finds its record gone and is evicted (removed)', async () => {
    const evicted: string[] = [];
    await member('d', evicted);
    await stopServer();
    await startServer();
    await expect.poll(() => evicted, { timeout: 10_000 }).toEqual(['removed']);
    // A new start joins the empty Redis at once.
    const e = await member('e');
    expect((await e.instances()).map((i) => i.instanceId)).toEqual(['e']);
  });
});
