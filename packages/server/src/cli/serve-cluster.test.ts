import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SpoolStats } from '@spool/core';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { adminClient, deleteKeys, nextPrefix, runPrefix, TEST_REDIS_URL } from '../broker/redis-test-env';
import { PrivateRedis } from '../testing/private-redis';
import { spoolCli } from './__tests__/spool-cli';
import { startServe } from './serve';
import { parseServeArgs } from './serve-options';

const admin = adminClient();
type Run = ReturnType<typeof spoolCli>;
const runs: Run[] = [];
afterEach(async () => {
  for (const r of runs.splice(0)) {
    if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill('SIGKILL');
    await r.exited;
  }
});
afterAll(async () => {
  await deleteKeys(admin, runPrefix);
  admin.disconnect();
});

const TTL_MS = 1500;

/** `spool serve` on Redis under `prefix`, as its own process. */
function serve(
  prefix: string,
  instanceId: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Run {
  const run = spoolCli(['serve', '--port', '0', ...extra], {
    SPOOL_LOG_LEVEL: 'info',
    SPOOL_REDIS_URL: TEST_REDIS_URL,
    SPOOL_REDIS_PREFIX: prefix,
    SPOOL_INSTANCE_ID: instanceId,
    SPOOL_INSTANCE_TTL_MS: String(TTL_MS),
    ...env,
  });
  runs.push(run);
  return run;
}

async function urlOf(run: Run): Promise<string> {
  return (await run.log((l) => typeof l.url === 'string')).url as string;
}

async function stats(url: string): Promise<SpoolStats> {
  return (await (await fetch(`${url}/v1/stats`)).json()) as SpoolStats;
}

const holds = (run: Run) => run.logs.some((l) => l.msg === 'demo producer runs here');

const CHANNEL = { channelId: 'general', channelType: 1 };

async function post(
  url: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function get(url: string, path: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${url}${path}`)).json()) as Record<string, unknown>;
}

async function completionsOf(prefix: string, messageId: string): Promise<number> {
  const entries = await admin.xrange(`${prefix}spool:completed`, '-', '+');
  return entries.filter(([, f]) => f[f.indexOf('messageId') + 1] === messageId).length;
}

describe('spool serve in a cluster (real processes on one Redis)', () => {
  it('refuses a second live process with the same SPOOL_INSTANCE_ID: exit 1, INSTANCE_ID_TAKEN', async () => {
    const prefix = nextPrefix();
    // Beats a second apart: a loaded machine's hiccup is not mistaken for a dead twin.
    const env = { SPOOL_INSTANCE_TTL_MS: '3000' };
    const first = serve(prefix, 'twin', [], env);
    const url = await urlOf(first);
    const second = serve(prefix, 'twin', [], env);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toMatch(
      /^spool: Another live process runs as instance "twin".*\[INSTANCE_ID_TAKEN\]\n/m,
    );
    // The first one is untouched.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await stats(url)).cluster?.instances?.map((i) => i.instanceId)).toEqual(['twin']);
  }, 60_000);

  it('runs the demo on one instance of two, moves it when its holder is killed, and a restart rejoins', async () => {
    const prefix = nextPrefix();
    const demo = ['--demo'];
    const a = serve(prefix, 'a', demo);
    const b = serve(prefix, 'b', demo);
    const urls = { a: await urlOf(a), b: await urlOf(b) };
    await expect.poll(() => holds(a) || holds(b), { timeout: 10_000 }).toBe(true);
    expect(holds(a) && holds(b)).toBe(false);
    const [holder, other] = holds(a) ? (['a', 'b'] as const) : (['b', 'a'] as const);
    const runOf = { a, b };
    expect(await admin.get(`${prefix}demo-lock`)).toMatch(new RegExp(`^${holder}\\|[0-9a-f]+$`));
    // The holder produces demo replies; the other produces none.
    await expect
      .poll(
        async () => (await stats(urls[holder])).cache.completed + (await stats(urls[holder])).streams.length,
        {
          timeout: 20_000,
        },
      )
      .toBeGreaterThan(0);
    const idle = await stats(urls[other]);
    expect([idle.streams.length, idle.cache.completed]).toEqual([0, 0]);

    runOf[holder].proc.kill('SIGKILL');
    await runOf[holder].exited;
    await expect.poll(() => holds(runOf[other]), { timeout: 15_000 }).toBe(true);
    expect(await admin.get(`${prefix}demo-lock`)).toMatch(new RegExp(`^${other}\\|[0-9a-f]+$`));
    await expect
      .poll(
        async () => (await stats(urls[other])).cache.completed + (await stats(urls[other])).streams.length,
        {
          timeout: 20_000,
        },
      )
      .toBeGreaterThan(0);

    // The killed instance restarts inside the TTL under its ID: it takes its old start over.
    const restarted = serve(prefix, holder, demo);
    const url = await urlOf(restarted);
    const cluster = (await stats(url)).cluster!;
    expect(cluster.self.instanceId).toBe(holder);
    expect(cluster.instances?.map((i) => i.instanceId)).toEqual(['a', 'b']);
    expect(holds(restarted)).toBe(false);
  }, 90_000);

  it('a restart inside the TTL takes its previous start over: that incarnation is dead at once', async () => {
    const prefix = nextPrefix();
    // A TTL longer than the restart takes: only the start rule can end the old incarnation.
    const env = { SPOOL_INSTANCE_TTL_MS: '6000' };
    const first = serve(prefix, 'r', [], env);
    const old = (await stats(await urlOf(first))).cluster!.self.incarnation;
    first.proc.kill('SIGKILL');
    await first.exited;
    const second = serve(prefix, 'r', [], env);
    const url = await urlOf(second);
    const check = second.logs.find((l) => l.holder !== undefined);
    expect(check).toMatchObject({ holder: { instanceId: 'r', incarnation: old } });
    // Watched until two beat intervals (2 s each at this TTL) after the old start's last beat.
    expect(check!.waitMs).toBeGreaterThan(0);
    expect(check!.waitMs).toBeLessThanOrEqual(4000);
    const cluster = (await stats(url)).cluster!;
    expect(cluster.self.incarnation).not.toBe(old);
    expect(cluster.instances?.map((i) => [i.instanceId, i.incarnation])).toEqual([
      ['r', cluster.self.incarnation],
    ]);
    expect(await admin.hget(`${prefix}{spool-cluster}:dead`, old)).toMatch(/^\d+\|replaced$/);
  }, 60_000);

  it('an instance paused past the TTL is taken over, then joins again as a new incarnation: its old writes FENCED, new work served', async () => {
    const prefix = nextPrefix();
    const a = serve(prefix, 'a');
    const b = serve(prefix, 'b');
    const urls = { a: await urlOf(a), b: await urlOf(b) };
    const before = (await stats(urls.a)).cluster!.self.incarnation;
    const messageId = (await post(urls.a, '/v1/messages', CHANNEL)).body.messageId as string;
    expect(
      (await post(urls.a, `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'before' })).status,
    ).toBe(200);

    a.proc.kill('SIGSTOP');
    // b finds a dead after the TTL and takes its message over.
    await expect
      .poll(async () => (await get(urls.b, `/v1/messages/${messageId}`)).status, {
        timeout: 15_000,
        interval: 200,
      })
      .toBe('ended');
    a.proc.kill('SIGCONT');
    await a.log((l) => l.msg === 'joined the cluster again as a new incarnation');
    const after = (await stats(urls.a)).cluster!;
    expect(after.self.incarnation).not.toBe(before);
    expect(after.instances?.map((i) => [i.instanceId, i.incarnation])).toEqual([
      ['a', after.self.incarnation],
      ['b', expect.any(String)],
    ]);
    expect(await admin.hget(`${prefix}{spool-cluster}:dead`, before)).toMatch(/^\d+\|(expired|replaced)$/);

    // The old life's message: ended once by the takeover, a late write refused.
    const late = await post(urls.a, `/v1/messages/${messageId}/chunks`, { chunkId: 1, text: ' late' });
    expect(late.status).toBe(409);
    expect((late.body.error as { code: string }).code).toBe('FENCED');
    expect(await get(urls.b, `/v1/messages/${messageId}`)).toMatchObject({
      status: 'ended',
      reason: 'error',
      text: 'before',
    });
    expect(await completionsOf(prefix, messageId)).toBe(1);

    // New work on a, under the new incarnation, reaches every instance.
    const fresh = (await post(urls.a, '/v1/messages', CHANNEL)).body.messageId as string;
    expect(
      (await post(urls.b, `/v1/messages/${fresh}/chunks`, { chunkId: 0, text: 'new life' })).status,
    ).toBe(200);
    expect((await post(urls.b, `/v1/messages/${fresh}/end`, { reason: 'success' })).status).toBe(200);
    await expect
      .poll(async () => await get(urls.a, `/v1/messages/${fresh}`), { timeout: 10_000 })
      .toMatchObject({ status: 'ended', reason: 'success', text: 'new life' });
    expect(a.proc.exitCode).toBeNull();
  }, 90_000);

  it('a lone instance evicted by a Redis pause keeps its open message: its writes go on after it joins again and it ends success, once', async () => {
    const redis = await PrivateRedis.start();
    const own = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    own.on('error', () => {});
    try {
      const prefix = nextPrefix();
      const solo = serve(prefix, 'solo', [], { SPOOL_REDIS_URL: redis.url });
      const url = await urlOf(solo);
      const before = (await stats(url)).cluster!.self.incarnation;
      const messageId = (await post(url, '/v1/messages', CHANNEL)).body.messageId as string;
      expect((await post(url, `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'kept' })).status).toBe(
        200,
      );
      // Past the TTL on Redis's clock, which runs on while the server is stopped.
      redis.process.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, TTL_MS + 1000));
      redis.process.kill('SIGCONT');
      await solo.log((l) => l.msg === 'joined the cluster again as a new incarnation');
      expect(
        solo.logs.some((l) =>
          (l.msg as string | undefined)?.startsWith('this incarnation is no longer a member'),
        ),
      ).toBe(true);
      expect(await solo.log((l) => typeof l.kept === 'number')).toMatchObject({ kept: 1, left: 0 });
      const after = (await stats(url)).cluster!.self.incarnation;
      expect(after).not.toBe(before);
      expect(await own.hget(`${prefix}msg:{${messageId}}`, 'incarnation')).toBe(after);

      // The writer goes on under the new incarnation: no FENCED, nothing ended by a takeover.
      expect(
        (await post(url, `/v1/messages/${messageId}/chunks`, { chunkId: 1, text: ' across' })).status,
      ).toBe(200);
      expect((await post(url, `/v1/messages/${messageId}/end`, { reason: 'success' })).status).toBe(200);
      await expect
        .poll(async () => await get(url, `/v1/messages/${messageId}`), { timeout: 10_000, interval: 200 })
        .toMatchObject({ status: 'ended', reason: 'success', text: 'kept across' });
      // The completion record goes out after the record ended: waited for, then exactly one.
      const completions = async () =>
        (await own.xrange(`${prefix}spool:completed`, '-', '+')).filter(
          ([, f]) => f[f.indexOf('messageId') + 1] === messageId,
        ).length;
      await expect.poll(completions, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(await completions()).toBe(1);
      expect(await own.get(`${prefix}takeover:${before}`)).toBe(`done|solo|${before}`);
    } finally {
      own.disconnect();
      await redis.stop({ kill: true });
    }
  }, 60_000);

  it('an evicted instance whose old incarnation another instance claimed first keeps nothing: its writes are FENCED and the takeover ends the message, once', async () => {
    const prefix = nextPrefix();
    const solo = serve(prefix, 'solo');
    const url = await urlOf(solo);
    const before = (await stats(url)).cluster!.self.incarnation;
    const messageId = (await post(url, '/v1/messages', CHANNEL)).body.messageId as string;
    await post(url, `/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'alone' });
    solo.proc.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, TTL_MS + 500));
    // Another instance holds the takeover claim of the evicted incarnation (a lease of a TTL).
    await admin.set(`${prefix}takeover:${before}`, 'other|0123456789abcdef', 'PX', TTL_MS);
    solo.proc.kill('SIGCONT');
    await solo.log((l) => l.msg === 'joined the cluster again as a new incarnation');
    expect(
      solo.logs.some(
        (l) => l.msg === 'another instance claimed the evicted incarnation: its messages are taken over',
      ),
    ).toBe(true);
    const late = await post(url, `/v1/messages/${messageId}/chunks`, { chunkId: 1, text: ' late' });
    expect(late.status).toBe(409);
    expect((late.body.error as { code: string }).code).toBe('FENCED');
    // That claimer never ends it: once its lease ran out, the next takeover (this instance's
    // new incarnation) does, with reason error, once.
    await expect
      .poll(async () => await get(url, `/v1/messages/${messageId}`), { timeout: 15_000, interval: 200 })
      .toMatchObject({ status: 'ended', reason: 'error', text: 'alone' });
    await expect.poll(() => completionsOf(prefix, messageId), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await completionsOf(prefix, messageId)).toBe(1);
  }, 60_000);

  it('an instance paused while a restart took its ID cannot join again: it drains and exits 75', async () => {
    const prefix = nextPrefix();
    const first = serve(prefix, 'a');
    await urlOf(first);
    first.proc.kill('SIGSTOP');
    // Past the TTL, a new process with the same ID takes it at once.
    await new Promise((r) => setTimeout(r, TTL_MS + 200));
    const second = serve(prefix, 'a');
    const url = await urlOf(second);
    first.proc.kill('SIGCONT');
    expect(await first.exited).toBe(75);
    expect(first.stderr()).toMatch(
      /^spool: this instance was evicted from the cluster and cannot join again: Another live process runs as instance "a".*\[INSTANCE_ID_TAKEN\]; draining and exiting with code 75\n/m,
    );
    // The process that holds the ID is untouched.
    const cluster = (await stats(url)).cluster!;
    expect(cluster.instances?.map((i) => [i.instanceId, i.incarnation])).toEqual([
      ['a', cluster.self.incarnation],
    ]);
  }, 60_000);

  it('$sys and GET /v1/stats carry a cluster section: every instance with heartbeat age and load', async () => {
    const prefix = nextPrefix();
    const a = serve(prefix, 'a');
    const b = serve(prefix, 'b');
    const urls = [await urlOf(a), await urlOf(b)];
    // A subscriber on b, so that b's heartbeat carries a connection.
    const sse = await fetch(`${urls[1]}/v1/topics/chan:1:general/events`);
    await expect
      .poll(
        async () =>
          (await stats(urls[0]!)).cluster?.instances?.find((i) => i.instanceId === 'b')?.connections,
        {
          timeout: 10_000,
        },
      )
      .toBe(1);
    const cluster = (await stats(urls[0]!)).cluster!;
    expect(cluster.self.instanceId).toBe('a');
    expect(cluster.instances!.map((i) => i.instanceId)).toEqual(['a', 'b']);
    for (const i of cluster.instances!) {
      expect(i).toEqual({
        instanceId: i.instanceId,
        incarnation: expect.stringMatching(/^[0-9a-f]{16}$/),
        heartbeatAgeMs: expect.any(Number),
        connections: expect.any(Number),
        openMessages: 0,
        eventsPerSecond: expect.any(Number),
      });
      expect(i.heartbeatAgeMs).toBeLessThan(TTL_MS);
    }
    expect(cluster.self.incarnation).toBe(cluster.instances![0]!.incarnation);
    // $sys pushes the same section.
    const sys = await fetch(`${urls[0]}/v1/topics/$sys/events`);
    const reader = sys.body!.getReader();
    let text = '';
    while (!text.includes('"cluster"')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('"instanceId":"b"');
    await reader.cancel();
    await sse.body?.cancel();
  }, 60_000);

  it('without Redis there is no cluster section', async () => {
    const c = parseServeArgs(['serve', '--port', '0'], {});
    if (c.kind !== 'serve') throw new Error('expected serve');
    const handle = await startServe(c.config, {
      dashboardDir: '/nonexistent',
      logger: pino({ level: 'silent' }),
    });
    try {
      expect(handle.cluster).toBeUndefined();
      expect('cluster' in (await stats(handle.url))).toBe(false);
    } finally {
      await handle.shutdown();
    }
  });

  it('pnpm start passes SPOOL_* through: SPOOL_DEMO=0 turns the demo off, SPOOL_INSTANCE_ID names the instance', async () => {
    const prefix = nextPrefix();
    const root = fileURLToPath(new URL('../../../../', import.meta.url));
    // The dashboard build step runs on a scratch tree: this test never rebuilds the checkout's
    // dashboard under tests that serve it (dashboard-build.test.ts tests that step).
    const scratch = await mkdtemp(join(tmpdir(), 'spool-start-'));
    const proc = spawn('bash', ['scripts/start.sh', '--port', '0'], {
      cwd: root,
      env: {
        ...process.env,
        DASHBOARD_BUILD_ROOT: scratch,
        DASHBOARD_BUILD_COMMAND: JSON.stringify([
          process.execPath,
          '-e',
          "require('node:fs').mkdirSync('apps/dashboard/dist', { recursive: true }); require('node:fs').writeFileSync('apps/dashboard/dist/index.html', '')",
        ]),
        SPOOL_DEMO: '0',
        SPOOL_LOG_LEVEL: 'info',
        SPOOL_REDIS_URL: TEST_REDIS_URL,
        SPOOL_REDIS_PREFIX: prefix,
        SPOOL_INSTANCE_ID: 'started',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    try {
      const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
        void exited.then((code) => reject(new Error(`pnpm start exited with ${code}`)));
        createInterface({ input: proc.stdout! }).on('line', (line) => {
          if (!line.startsWith('{')) return;
          const l = JSON.parse(line) as Record<string, unknown>;
          if (typeof l.url === 'string') resolve(l);
        });
      });
      expect(listening).toMatchObject({ demo: false, instanceId: 'started', broker: 'redis' });
      expect(await admin.get(`${prefix}demo-lock`)).toBeNull();
    } finally {
      proc.kill('SIGTERM');
      await exited;
      await rm(scratch, { recursive: true, force: true });
    }
  }, 120_000);
});
