/**
 * Scenario 11: a reconnect storm across instances. Three `spool serve` processes on one
 * Redis (a redis-server of the scenario's own); hundreds of clients (500; long profile
 * 5,000) are all on instance A, each given the list of every instance
 * (`new SpoolClient([A, B, C])`, docs/protocol.md "Several server URLs"), subscribed to
 * channels whose replies are streaming from B and C. A is SIGKILLed: every client must move
 * to a survivor and resume from its last event on the shared topic log, so that it gets every
 * event once, in order, and the exact text, with no reset. The time each client takes to be
 * open on a survivor is measured from the kill, and the survivors' heap during and after the
 * storm is bounded by what the same clients cost A.
 */
import { SpoolClient, type SpoolClientOptions, spoolClientDefaults } from '@spool/client';
import { channelTopic } from '@spool/core';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { sdkClient, until } from '../src/clients';
import { MiB, mib, report, spread } from '../src/figures';
import { ownRedisServer } from '../src/own-redis';
import { profile } from '../src/profile';
import { announce } from '../src/scenario';
import { killSpoolProcesses, type SpoolProcess, startSpool } from '../src/spool-process';
import { type LiveReply, SubscriberCheck, startReply } from '../src/workload';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  killSpoolProcesses();
});

const CHANNELS = 10;
/** Chunks per reply, paced so that the replies are still streaming when A dies. */
const CHUNKS = 120;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const wsUrl = (p: SpoolProcess) => `ws://127.0.0.1:${p.port}/v1/ws`;

interface StormClient {
  client: SpoolClient;
  check: SubscriberCheck;
  /** ms from the kill until the client was open on a survivor. */
  recoveredAfter?: number;
  errors: string[];
}

describe('scenario 11: reconnect storm across instances', () => {
  it('every client of a SIGKILLed instance resumes on a survivor, exactly, no reset; survivors heap bounded', async () => {
    const { seed, stream } = announce(11, 'reconnect storm across instances');
    const random = stream(0);
    const redis = await ownRedisServer();
    cleanup.push(() => redis.stop());
    const env = {
      SPOOL_REDIS_URL: redis.url,
      SPOOL_REDIS_PREFIX: 'spool-chaos:',
      SPOOL_DEMO: '0',
    };
    const [a, b, c] = (await Promise.all([0, 1, 2].map(() => startSpool(env)))) as [
      SpoolProcess,
      SpoolProcess,
      SpoolProcess,
    ];
    const baseA = await a.usage(true);

    // The SDK's defaults (backoff, liveness): what an application gets. Half the clients list
    // C before B, so the storm lands on both survivors.
    const n = profile.stormClients;
    let killedAt: number | undefined;
    const clients: StormClient[] = [];
    for (let i = 0; i < n; i++) {
      const urls = i % 2 === 0 ? [wsUrl(a), wsUrl(b), wsUrl(c)] : [wsUrl(a), wsUrl(c), wsUrl(b)];
      const client = new SpoolClient(urls, {
        WebSocket: WebSocket as unknown as SpoolClientOptions['WebSocket'],
      });
      const sc: StormClient = { client, check: new SubscriberCheck(`client#${i}`), errors: [] };
      client.on('state', (state, url) => {
        if (killedAt !== undefined && sc.recoveredAfter === undefined && state === 'open' && url !== urls[0])
          sc.recoveredAfter = performance.now() - killedAt;
      });
      client.on('error', (err) => sc.errors.push(err.code));
      client.subscribe(channelTopic(1, `xstorm-${i % CHANNELS}`), {
        after: '0-0',
        onEvent: (e) => sc.check.add(e),
        onReset: (earliest) => sc.check.reset(earliest),
      });
      clients.push(sc);
      cleanup.push(() => client.close());
    }
    await until(
      () => clients.every((s) => s.client.state === 'open' && s.client.url === wsUrl(a)),
      'every client open on A',
      180_000,
    );

    // Replies stream from B (even channels) and C (odd ones), a token every few ms.
    const producers = [sdkClient(wsUrl(b)), sdkClient(wsUrl(c))];
    for (const p of producers) cleanup.push(() => p.close());
    const replies: LiveReply[] = Array.from({ length: CHANNELS }, (_, ch) =>
      startReply(producers[ch % 2]!, `xstorm-${ch}`, CHUNKS, random, { inFlight: 4, pause: () => sleep(25) }),
    );
    const replyOf = (i: number) => replies[i % CHANNELS]!;
    await until(
      () => clients.every((s, i) => s.check.deltas(replyOf(i).messageId) >= 10),
      'ten chunks of every reply on every client',
      180_000,
    );
    const loadedA = await a.usage(true);
    const [idleB, idleC] = await Promise.all([b.usage(true), c.usage(true)]);
    const deltasAtKill = clients.map((s, i) => s.check.deltas(replyOf(i).messageId));

    // The storm: A dies under every client at once.
    killedAt = performance.now();
    await a.stop('SIGKILL');
    const peak = { b: 0, c: 0 };
    let storming = true;
    const sampler = (async () => {
      while (storming) {
        const [ub, uc] = await Promise.all([b.usage(), c.usage()]);
        peak.b = Math.max(peak.b, ub.heapUsed);
        peak.c = Math.max(peak.c, uc.heapUsed);
        await sleep(100);
      }
    })();
    await until(
      () => clients.every((s) => s.recoveredAfter !== undefined),
      'every client on a survivor',
      180_000,
    );
    storming = false;
    await sampler;

    const finished = await Promise.all(replies.map((r) => r.finished));
    await until(
      () => clients.every((s, i) => s.check.ended(replyOf(i).messageId)),
      'every reply ended on every client',
      180_000,
    );
    const [settledB, settledC] = await Promise.all([b.usage(true), c.usage(true)]);
    for (const [i, s] of clients.entries()) s.check.verify(replyOf(i));
    const violations = clients.flatMap((s) => s.check.violations);
    const recovery = spread(clients.map((s) => s.recoveredAfter!));
    const onB = clients.filter((s) => s.client.url === wsUrl(b)).length;
    const clientsCost = Math.max(0, loadedA.heapUsed - baseA.heapUsed);
    const backoffCeiling = spoolClientDefaults.backoff.maxMs;
    report({
      scenario: '11-cluster-storm',
      seed,
      profile: profile.name,
      instances: 3,
      clients: n,
      kills: 1,
      movedTo: { B: onB, C: n - onB },
      eventsChecked: clients.reduce((sum, s) => sum + s.check.events, 0),
      deltasAtKill: spread(deltasAtKill),
      mismatches: violations.length,
      resets: clients.reduce((sum, s) => sum + s.check.resets, 0),
      writerErrors: finished.flatMap((f) => (f.error === undefined ? [] : [String(f.error)])),
      clientErrors: clients.reduce((sum, s) => sum + s.errors.length, 0),
      recoveryAfterKillMs: recovery,
      recoveryBoundMs: backoffCeiling,
      heapAWithClientsMiB: { idle: mib(baseA.heapUsed), loaded: mib(loadedA.heapUsed) },
      heapBMiB: { before: mib(idleB.heapUsed), peak: mib(peak.b), settled: mib(settledB.heapUsed) },
      heapCMiB: { before: mib(idleC.heapUsed), peak: mib(peak.c), settled: mib(settledC.heapUsed) },
    });

    // No survivor was declared dead under the storm: every reply's writer finished.
    expect(finished.map((f) => f.error)).toEqual(replies.map(() => undefined));
    expect(violations).toEqual([]);
    // The shared topic log held every event: a resume on another instance is exact, no reset.
    expect(clients.every((s) => s.check.resets === 0)).toBe(true);
    // None failed: every client open on a survivor, none stopped by an error.
    expect(clients.every((s) => s.client.state === 'open' && s.client.url !== wsUrl(a))).toBe(true);
    expect(clients.flatMap((s) => s.errors)).toEqual([]);
    // Each client tries the next URL at once and backs off only after a whole round failed,
    // so with two survivors up nobody waits for a backoff: the slowest is under the
    // backoff's ceiling, the longest a single failed round could add (docs/protocol.md,
    // "Several server URLs").
    expect(recovery.max).toBeLessThan(backoffCeiling);
    // Heap bounded: the survivors together settle at most about what the same clients cost A,
    // and neither peaks more than a bounded margin above that.
    expect(settledB.heapUsed - idleB.heapUsed + settledC.heapUsed - idleC.heapUsed).toBeLessThan(
      clientsCost + 16 * MiB,
    );
    expect(peak.b).toBeLessThan(idleB.heapUsed + clientsCost + 128 * MiB);
    expect(peak.c).toBeLessThan(idleC.heapUsed + clientsCost + 128 * MiB);
  });
});
