/**
 * Scenario 1: a 2,000-chunk reply (long profile: 5,000) while a seeded proxy cuts every
 * client's connection at random moments, at least 100 times each (mid-handshake,
 * mid-frame, mid-catchup), and the producer's own connection too. Every client (SDK over
 * WebSocket, plain and compact; SDK over SSE; the `eventsource` package) must assemble
 * exactly the produced text, every event once and in ID order.
 */
import { channelTopic } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { type ChaosProxy, startChaosProxy } from '../src/chaos-proxy';
import { type CheckedClient, type ClientKind, checkedClient, sdkClient, until } from '../src/clients';
import { report, spread } from '../src/figures';
import { profile } from '../src/profile';
import { announce, cleanupAfterEach } from '../src/scenario';
import { between } from '../src/seed';
import { startSpool } from '../src/spool-process';
import { produceReply } from '../src/workload';

const cleanup = cleanupAfterEach();

describe('scenario 1: random network cuts during a long reply', () => {
  it('every client assembles the exact text, each event once and in order', async () => {
    const { seed, stream } = announce(1, 'network cuts');
    const random = stream(0);
    // A short SSE retry hint, so the eventsource package's 100+ reconnects fit in CI time.
    const server = await startSpool({ SPOOL_SSE_RETRY_MS: '5' });
    cleanup.push(() => server.stop('SIGTERM'));
    const topic = channelTopic(1, 'cuts');

    // A WebSocket handshake is ~400 bytes and a delta frame ~150: budgets up to 4,000
    // bytes cut each consumer about once per 15 deltas.
    let proxies = 0;
    const proxy = async (maxBytes: number, minBytes = 0): Promise<ChaosProxy> => {
      const p = await startChaosProxy({
        target: server.port,
        random: stream(++proxies),
        cut: { minBytes, maxBytes },
      });
      cleanup.push(() => p.close());
      return p;
    };
    const kinds: Array<{ kind: ClientKind; compact: boolean; minBytes?: number; maxBytes: number }> = [
      { kind: 'sdk-ws', compact: false, maxBytes: 4000 },
      { kind: 'sdk-sse', compact: false, maxBytes: 4000 },
      { kind: 'eventsource', compact: false, maxBytes: 4000 },
      // A compact catch-up is one snapshot of the whole text so far (up to ~35 KB with the
      // long profile's 5,000 chunks): a budget below that would cut every catch-up at the
      // same frame forever, which no real network does.
      { kind: 'sdk-ws', compact: true, minBytes: 60_000, maxBytes: 100_000 },
    ];
    const clients: Array<{ client: CheckedClient; proxy: ChaosProxy }> = [];
    for (const [i, k] of kinds.entries()) {
      const p = await proxy(k.maxBytes, k.minBytes);
      const client = checkedClient(k.kind, p.port, topic, `${k.kind}${k.compact ? '-compact' : ''}#${i}`, {
        compact: k.compact,
      });
      cleanup.push(() => client.close());
      clients.push({ client, proxy: p });
    }
    await until(() => clients.every((c) => c.client.isOpen()), 'every client connected');

    const producerProxy = await proxy(20_000, 2000);
    const producer = sdkClient(`ws://127.0.0.1:${producerProxy.port}/v1/ws`);
    cleanup.push(() => producer.close());
    const started = performance.now();
    const reply = await produceReply(producer, 'cuts', profile.cutChunks, random, {
      inFlight: 8,
      // LLM pacing: short random pauses let cuts land between as well as within bursts.
      pause: () =>
        random() < 0.05 ? new Promise((r) => setTimeout(r, between(random, 1, 5))) : Promise.resolve(),
    });
    await until(
      () => clients.every((c) => c.client.check.ended(reply.messageId)),
      'the end on every client',
      120_000,
    );
    const elapsedMs = Math.round(performance.now() - started);

    for (const { client } of clients) client.check.verify(reply);
    const violations = clients.flatMap((c) => c.client.check.violations);
    const recoveries = clients.flatMap((c) => c.proxy.recoveries);
    report({
      scenario: 'network-cuts',
      seed,
      profile: profile.name,
      chunks: profile.cutChunks,
      eventsChecked: clients.reduce((n, c) => n + c.client.check.events, 0),
      cuts: Object.fromEntries(clients.map((c) => [c.client.check.name, c.proxy.cuts])),
      producerCuts: producerProxy.cuts,
      mismatches: violations.length,
      resets: clients.reduce((n, c) => n + c.client.check.resets, 0),
      reconnectMs: spread(recoveries),
      elapsedMs,
    });
    expect(violations).toEqual([]);
    for (const { client, proxy: p } of clients.slice(0, 3))
      expect(p.cuts, `${client.check.name} cuts`).toBeGreaterThanOrEqual(profile.cutsPerClient);
    expect(clients[3]!.proxy.cuts).toBeGreaterThanOrEqual(2);
    expect(producerProxy.cuts).toBeGreaterThan(5);
    // Nothing the server held was lost, so no client was ever told to reset.
    expect(clients.map((c) => c.client.check.resets)).toEqual([0, 0, 0, 0]);
  });
});
