/**
 * Scenario 7: the producer dies mid-reply (its process gone: its connection cut and never
 * back). Nobody may wait forever: the server ends the message on its own once no chunk has
 * come for `SPOOL_CHUNK_INACTIVITY_MS`, with reason `timeout`, and every reader has exactly
 * the chunks the server accepted, then that end.
 */
import { channelTopic } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { startChaosProxy } from '../src/chaos-proxy';
import { type CheckedClient, checkedClient, sdkClient, until } from '../src/clients';
import { report, spread } from '../src/figures';
import { profile } from '../src/profile';
import { announce, cleanupAfterEach } from '../src/scenario';
import { startSpool } from '../src/spool-process';
import { startReply } from '../src/workload';

const cleanup = cleanupAfterEach();

const INACTIVITY_MS = 1000;

describe('scenario 7: the producer crashes mid-reply', () => {
  it('the message ends `timeout` on every reader after the inactivity limit, its text an exact prefix', async () => {
    const { seed, stream } = announce(7, 'producer crash');
    const server = await startSpool({
      SPOOL_CHUNK_INACTIVITY_MS: String(INACTIVITY_MS),
      SPOOL_SSE_RETRY_MS: '5',
    });
    cleanup.push(() => server.stop('SIGKILL'));
    const topic = channelTopic(1, 'crash');
    const readers: CheckedClient[] = [
      checkedClient('sdk-ws', server.port, topic, 'sdk-ws'),
      checkedClient('sdk-ws', server.port, topic, 'sdk-ws-compact', { compact: true }),
      checkedClient('sdk-sse', server.port, topic, 'sdk-sse'),
      checkedClient('eventsource', server.port, topic, 'eventsource'),
    ];
    for (const r of readers) cleanup.push(() => r.close());
    await until(() => readers.every((r) => r.isOpen()), 'every reader connected');

    // The producer reaches the server only through this proxy: the crash is the proxy
    // cutting it and refusing it from then on.
    const proxy = await startChaosProxy({ target: server.port, random: stream(1) });
    cleanup.push(() => proxy.close());
    const producer = sdkClient(`ws://127.0.0.1:${proxy.port}/v1/ws`);
    cleanup.push(() => producer.close());
    const reply = startReply(producer, 'crash', profile.cutChunks, stream(0), {
      inFlight: 8,
      pause: () => new Promise((r) => setTimeout(r, 1)),
    });
    await until(() => readers[0]!.check.deltas(reply.messageId) >= 300, 'the reply streaming');
    proxy.target = undefined;
    proxy.cutAll();
    const crashedAt = performance.now();
    const endedAt = new Map<CheckedClient, number>();
    await until(
      () => {
        for (const r of readers)
          if (r.check.ended(reply.messageId) && !endedAt.has(r))
            endedAt.set(r, performance.now() - crashedAt);
        return endedAt.size === readers.length;
      },
      'the end on every reader',
      30_000,
    );
    reply.stop();
    producer.close();

    const violations = readers.flatMap((r) => r.check.violations);
    const texts = readers.map((r) => r.check.text(reply.messageId));
    const timeToEnd = spread([...endedAt.values()]);
    report({
      scenario: 'producer-crash',
      seed,
      profile: profile.name,
      eventsChecked: readers.reduce((n, r) => n + r.check.events, 0),
      kills: 1,
      chunksReceived: readers[0]!.check.deltas(reply.messageId),
      mismatches: violations.length,
      reasons: readers.map((r) => r.check.endReason(reply.messageId)),
      endAfterCrashMs: timeToEnd,
    });
    expect(violations).toEqual([]);
    expect(readers.map((r) => r.check.endReason(reply.messageId))).toEqual([
      'timeout',
      'timeout',
      'timeout',
      'timeout',
    ]);
    // Every reader has the same text, and it is exactly what the producer wrote, up to a point.
    expect(new Set(texts).size).toBe(1);
    expect(texts[0]!.length).toBeGreaterThan(0);
    expect(reply.text.startsWith(texts[0]!)).toBe(true);
    expect(timeToEnd.max).toBeGreaterThanOrEqual(INACTIVITY_MS - 50);
  });
});
