/**
 * Scenario 3: slow consumers during traffic. Chat replies stream on several channels and
 * a firehose topic carries 2 KiB tool outputs, while the proxy in front of some consumers
 * stops reading their sockets for random spells (the client's TCP window closes, as with
 * a stalled tab or a phone in a tunnel). The server must bound what it holds for them
 * (their send queues fill, they are told `lag` and cut back to catch-up), and once they
 * read again they receive everything, exactly, in order. Retention holds the whole run
 * here: beyond it, the rule is an explicit `reset` (scenario 2 and docs/guarantees.md).
 */
import { channelTopic } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { bulkPublish } from '../src/bulk-publish';
import { type ChaosProxy, startChaosProxy } from '../src/chaos-proxy';
import { type CheckedClient, checkedClient, sdkClient, until } from '../src/clients';
import { MiB, mib, report } from '../src/figures';
import { metric } from '../src/metrics';
import { profile } from '../src/profile';
import { announce, cleanupAfterEach } from '../src/scenario';
import { between } from '../src/seed';
import { startSpool } from '../src/spool-process';
import { produceReply, SubscriberCheck } from '../src/workload';

const cleanup = cleanupAfterEach();

const CHANNELS = ['slow-a', 'slow-b', 'slow-c'];
const FIREHOSE = 'tools';
const FIREHOSE_EVENTS = 20_000;
const SLOW = 3;
const BURST_EVENTS = 10_000;

/** One client subscribed to every channel and the firehose, one check per topic. */
function multiSubscriber(port: number, name: string) {
  const client = sdkClient(`ws://127.0.0.1:${port}/v1/ws`, { credit: 16_384 });
  const checks = new Map<string, SubscriberCheck>();
  for (const topic of [...CHANNELS.map((c) => channelTopic(1, c)), FIREHOSE]) {
    const check = new SubscriberCheck(`${name} ${topic}`);
    checks.set(topic, check);
    client.subscribe(topic, {
      after: '0-0',
      onEvent: (e) => check.add(e),
      onReset: (earliest) => check.reset(earliest),
    });
  }
  cleanup.push(() => client.close());
  return { client, checks };
}

describe('scenario 3: slow consumers during traffic', () => {
  it('bounded server memory, the lag path taken, and nothing lost once they read again', async () => {
    const { seed, stream } = announce(4, 'slow consumers');
    const random = stream(0);
    const server = await startSpool({
      SPOOL_RETENTION_EVENTS: '200000',
      SPOOL_RETENTION_BYTES: '512MiB',
      SPOOL_SSE_RETRY_MS: '5',
    });
    cleanup.push(() => server.stop('SIGKILL'));

    const fast = multiSubscriber(server.port, 'fast');
    const proxies: ChaosProxy[] = [];
    const slow: Array<ReturnType<typeof multiSubscriber>> = [];
    for (let i = 0; i < SLOW; i++) {
      const p = await startChaosProxy({ target: server.port, random: stream(1 + i) });
      cleanup.push(() => p.close());
      proxies.push(p);
      slow.push(multiSubscriber(p.port, `slow#${i}`));
    }
    // An SSE reader of one channel, stalled the same way.
    const sseProxy = await startChaosProxy({ target: server.port, random: stream(9) });
    cleanup.push(() => sseProxy.close());
    proxies.push(sseProxy);
    const sse: CheckedClient = checkedClient('sdk-sse', sseProxy.port, FIREHOSE, 'slow-sse');
    cleanup.push(() => sse.close());
    await until(
      () => [fast, ...slow].every((s) => s.client.state === 'open') && sse.isOpen(),
      'every consumer connected',
    );
    const baseline = await server.usage(true);

    // Traffic, while each slow consumer's proxy stops reading for random spells.
    let traffic = true;
    let spells = 0;
    let peakHeap = baseline.heapUsed;
    const faults = proxies.map(async (p, i) => {
      const r = stream(20 + i);
      while (traffic) {
        await new Promise((res) => setTimeout(res, between(r, 50, 300)));
        p.freeze();
        spells++;
        await new Promise((res) => setTimeout(res, between(r, 500, 2500)));
        p.thaw();
      }
    });
    const sampler = (async () => {
      while (traffic) {
        peakHeap = Math.max(peakHeap, (await server.usage(true)).heapUsed);
        await new Promise((res) => setTimeout(res, 200));
      }
    })();
    const producers = CHANNELS.map((ch) => {
      const producer = sdkClient(`ws://127.0.0.1:${server.port}/v1/ws`);
      cleanup.push(() => producer.close());
      return produceReply(producer, ch, profile.cutChunks, stream(30 + CHANNELS.indexOf(ch)), {
        inFlight: 8,
        pause: () => (random() < 0.1 ? new Promise((r) => setTimeout(r, 1)) : Promise.resolve()),
      });
    });
    const [published, ...replies] = await Promise.all([
      bulkPublish(server.port, FIREHOSE, FIREHOSE_EVENTS, 2048, 10),
      ...producers,
    ]);
    traffic = false;
    await Promise.all(faults);
    await sampler;
    for (const p of proxies) p.thaw();

    const all = [fast, ...slow];
    const done = () =>
      all.every(
        (s) =>
          replies.every((r) =>
            s.checks.get(channelTopic(1, CHANNELS[replies.indexOf(r)]!))!.ended(r.messageId),
          ) && s.checks.get(FIREHOSE)!.events >= FIREHOSE_EVENTS,
      ) && sse.check.events >= FIREHOSE_EVENTS;
    const drainStart = performance.now();
    await until(done, 'every consumer has everything', 120_000);
    const drainMs = Math.round(performance.now() - drainStart);
    const end = await server.usage(true);

    // What a stalled consumer costs, measured alone: every slow consumer stops reading, a
    // burst goes out, and the live heap is compared while they are stalled and once they
    // have drained. The log holds the burst in both, so the difference is what the server
    // keeps for the stalled consumers (without the send-queue bound: the whole burst each).
    for (const p of proxies) p.freeze();
    const burstBytes = 2048;
    await bulkPublish(server.port, FIREHOSE, BURST_EVENTS, burstBytes, 10);
    await new Promise((r) => setTimeout(r, 500));
    const stalled = await server.usage(true);
    for (const p of proxies) p.thaw();
    await until(
      () =>
        all.every((s) => s.checks.get(FIREHOSE)!.events >= FIREHOSE_EVENTS + BURST_EVENTS) &&
        sse.check.events >= FIREHOSE_EVENTS + BURST_EVENTS,
      'every consumer has the burst',
      120_000,
    );
    const drained = await server.usage(true);
    const perStalledConsumer =
      (stalled.heapUsed + stalled.external - drained.heapUsed - drained.external) / proxies.length;
    const lagCuts = await metric(server.url, 'spool_lag_cuts_total');

    for (const s of all)
      for (const [i, r] of replies.entries()) s.checks.get(channelTopic(1, CHANNELS[i]!))!.verify(r);
    const checks = [...all.flatMap((s) => [...s.checks.values()]), sse.check];
    const violations = checks.flatMap((c) => c.violations);
    report({
      scenario: 'slow-consumers',
      seed,
      profile: profile.name,
      eventsChecked: checks.reduce((n, c) => n + c.events, 0),
      firehoseEvents: published,
      stalls: spells,
      lagCuts,
      mismatches: violations.length,
      resets: checks.reduce((n, c) => n + c.resets, 0),
      heapBaselineMiB: mib(baseline.heapUsed),
      heapPeakMiB: mib(peakHeap),
      heapEndMiB: mib(end.heapUsed),
      rssEndMiB: mib(end.rss),
      drainAfterTrafficMs: drainMs,
      burstMiB: mib(BURST_EVENTS * burstBytes),
      heldPerStalledConsumerMiB: mib(perStalledConsumer),
    });
    expect(violations).toEqual([]);
    expect(checks.every((c) => c.resets === 0)).toBe(true);
    expect(lagCuts, 'the lag path was taken').toBeGreaterThan(0);
    // Each stalled consumer holds at most a few send queues' worth (ws.maxQueuedBytes is
    // 1 MiB), not the 20 MiB burst.
    expect(perStalledConsumer).toBeLessThan(4 * MiB);
  });
});
