/**
 * Scenario 11: a reconnect storm across instances. Three `spool serve` processes on one
 * Redis (a redis-server of the scenario's own); hundreds of clients (500; long profile
 * 5,000) are all on instance A, each given the list of every instance
 * (`new SpoolClient([A, B, C])`, docs/protocol.md "Several server URLs"), subscribed to
 * channels whose replies are streaming from B and C. A is SIGKILLed: every client must move
 * to a survivor (the SDK's failover rule spreads them over B and C, and over a jitter window) and resume from its last event on the shared topic log, so that it gets every
 * event once, in order, and the exact text, with no reset. The time each client takes to be
 * open on a survivor is measured from the kill and bounded by the SDK's settings, and the
 * survivors' heap during and after the storm is bounded by what the same clients cost A.
 * A survivor so busy with the storm that its heartbeat goes unwritten for the TTL is taken
 * over as any silent instance is: its writer is refused, its readers get the same prefix.
 */
import { readFileSync } from 'node:fs';
import { SpoolClient, type SpoolClientOptions, spoolClientDefaults } from '@spool/client';
import { channelTopic } from '@spool/core';
import { PrivateRedis } from '@spool/server/testing';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { sdkClient, startOnFirstUrl, until } from '../src/clients';
import { MiB, mib, report, spread } from '../src/figures';
import { profile } from '../src/profile';
import { announce, cleanupAfterEach } from '../src/scenario';
import { type SpoolProcess, startSpool } from '../src/spool-process';
import { type LiveReply, SubscriberCheck, startReply } from '../src/workload';

const cleanup = cleanupAfterEach();

const CHANNELS = 10;
/** Chunks per reply, paced so that the replies are still streaming when A dies. */
const CHUNKS = 120;
/** Clients connected at once while the scenario sets up. */
const BATCH = 250;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const wsUrl = (p: SpoolProcess) => `ws://127.0.0.1:${p.port}/v1/ws`;

/**
 * The kernel's count of connections refused because an accept queue was full (Linux
 * `TcpExtListenOverflows`, the whole machine): reported, so a slow recovery shows whether
 * SYNs were dropped. -1 where it cannot be read.
 */
function listenOverflows(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const header = lines.findIndex((l) => l.startsWith('TcpExt:'));
    const names = lines[header]!.split(' ');
    const values = lines[header + 1]!.split(' ');
    return Number(values[names.indexOf('ListenOverflows')]);
  } catch {
    return -1;
  }
}

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
    const redis = await PrivateRedis.start();
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

    // The SDK's defaults (backoff, liveness, failover): what an application gets, except where
    // a client starts: the SDK starts on a random URL of the list, and the storm needs every
    // client on A, so each client's first random number (the one that picks the start) is 0.
    const n = profile.stormClients;
    let killedAt: number | undefined;
    const clients: StormClient[] = [];
    // Connected in batches: thousands of handshakes at once overflow A's accept backlog, and a
    // client whose attempt outlasts its liveness timeout moves on to B before the storm.
    for (let i = 0; i < n; i++) {
      const urls = [wsUrl(a), wsUrl(b), wsUrl(c)];
      const client = new SpoolClient(urls, {
        WebSocket: WebSocket as unknown as SpoolClientOptions['WebSocket'],
        random: startOnFirstUrl(),
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
      if (clients.length % BATCH === 0 || clients.length === n)
        await until(
          () => clients.every((s) => s.client.state === 'open'),
          `${clients.length} clients open`,
          180_000,
        );
    }
    expect(clients.filter((s) => s.client.url !== wsUrl(a))).toEqual([]);

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
    const overflowsBefore = listenOverflows();
    killedAt = performance.now();
    await a.stop('SIGKILL');
    const peak = { b: 0, c: 0 };
    // How long a survivor takes to answer the probe: its event loop's delay under the storm.
    const probeDelay = { b: 0, c: 0 };
    let storming = true;
    const sample = async (p: SpoolProcess, key: 'b' | 'c') => {
      while (storming) {
        const asked = performance.now();
        const u = await p.usage();
        probeDelay[key] = Math.max(probeDelay[key], performance.now() - asked);
        peak[key] = Math.max(peak[key], u.heapUsed);
        await sleep(100);
      }
    };
    const sampler = Promise.all([sample(b, 'b'), sample(c, 'c')]);
    await until(
      () => clients.every((s) => s.recoveredAfter !== undefined),
      'every client on a survivor',
      180_000,
    );
    storming = false;
    await sampler;
    const overflows = listenOverflows() - overflowsBefore;

    const finished = await Promise.all(replies.map((r) => r.finished));
    await until(
      () => clients.every((s, i) => s.check.ended(replyOf(i).messageId)),
      'every reply ended on every client',
      180_000,
    );
    const [settledB, settledC] = await Promise.all([b.usage(true), c.usage(true)]);
    // A survivor whose heartbeat went unwritten for the TTL under the storm is taken over like
    // a paused instance (docs/guarantees.md, "Instance paused"): its writer is refused with
    // FENCED, and every reader gets `msg.end` `error` with one and the same text, a prefix of
    // what was written. Every other reply is exact and ends `success`.
    const takenOver = replies.filter((_, ch) => finished[ch]!.error !== undefined);
    for (const [i, s] of clients.entries()) if (!takenOver.includes(replyOf(i))) s.check.verify(replyOf(i));
    const takeoverProblems: string[] = [];
    for (const r of takenOver) {
      const code = (finished[replies.indexOf(r)]!.error as { code?: string }).code;
      if (code !== 'FENCED') takeoverProblems.push(`${r.messageId}: writer failed with ${code}`);
      const readers = clients.filter((_, i) => replyOf(i) === r);
      const text = readers[0]!.check.text(r.messageId);
      if (!r.text.startsWith(text)) takeoverProblems.push(`${r.messageId}: not a prefix of what was written`);
      for (const s of readers) {
        if (s.check.text(r.messageId) !== text)
          takeoverProblems.push(`${s.check.name}: text differs from the others`);
        if (s.check.endReason(r.messageId) !== 'error')
          takeoverProblems.push(`${s.check.name}: ended ${s.check.endReason(r.messageId)}`);
      }
    }
    const violations = clients.flatMap((s) => s.check.violations);
    const recovery = spread(clients.map((s) => s.recoveredAfter!));
    const onB = clients.filter((s) => s.client.url === wsUrl(b)).length;
    const clientsCost = Math.max(0, loadedA.heapUsed - baseA.heapUsed);
    // Each client tries another URL after a jitter of up to baseMs and backs off only after a
    // whole round failed; an attempt that never opens is abandoned after the liveness timeout
    // (docs/protocol.md, "Several server URLs"). So with two survivors up, a client comes back
    // within one abandoned attempt, two jitters and one full backoff wait, whatever the storm
    // costs the survivors.
    const { backoff, livenessTimeoutMs } = spoolClientDefaults;
    const recoveryBound = backoff.maxMs + livenessTimeoutMs + 2 * backoff.baseMs;
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
      takenOver: takenOver.length,
      clientErrors: clients.reduce((sum, s) => sum + s.errors.length, 0),
      recoveryAfterKillMs: recovery,
      listenOverflowsOnTheMachine: overflows,
      probeDelayMaxMs: { B: Math.round(probeDelay.b), C: Math.round(probeDelay.c) },
      recoveryBoundMs: recoveryBound,
      heapAWithClientsMiB: { idle: mib(baseA.heapUsed), loaded: mib(loadedA.heapUsed) },
      heapBMiB: { before: mib(idleB.heapUsed), peak: mib(peak.b), settled: mib(settledB.heapUsed) },
      heapCMiB: { before: mib(idleC.heapUsed), peak: mib(peak.c), settled: mib(settledC.heapUsed) },
    });

    expect(violations).toEqual([]);
    expect(takeoverProblems).toEqual([]);
    // The shared topic log held every event: a resume on another instance is exact, no reset.
    expect(clients.every((s) => s.check.resets === 0)).toBe(true);
    // None failed: every client open on a survivor, none stopped by an error.
    expect(clients.every((s) => s.client.state === 'open' && s.client.url !== wsUrl(a))).toBe(true);
    expect(clients.flatMap((s) => s.errors)).toEqual([]);
    expect(recovery.max).toBeLessThan(recoveryBound);
    // Heap bounded: the survivors together settle at most about what the same clients cost A,
    // and neither peaks more than a bounded margin above that.
    expect(settledB.heapUsed - idleB.heapUsed + settledC.heapUsed - idleC.heapUsed).toBeLessThan(
      clientsCost + 16 * MiB,
    );
    expect(peak.b).toBeLessThan(idleB.heapUsed + clientsCost + 128 * MiB);
    expect(peak.c).toBeLessThan(idleC.heapUsed + clientsCost + 128 * MiB);
  });
});
