/**
 * Scenario 8: the server process freezes mid-reply (SIGSTOP: a stopped VM, a swap storm,
 * a debugger) for longer than the clients' liveness timeout, then runs again (SIGCONT).
 * The SDK clients give their silent connections up and keep trying (attempts that hang
 * until the process runs again); the producer's writer too. Once it runs again, nothing
 * was lost: no reset, every reader exact, the reply ends `success`.
 */
import { channelTopic } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { type ChaosProxy, startChaosProxy } from '../src/chaos-proxy';
import { type CheckedClient, type ClientKind, checkedClient, sdkClient, until } from '../src/clients';
import { report, spread } from '../src/figures';
import { profile } from '../src/profile';
import { announce, cleanupAfterEach } from '../src/scenario';
import { startSpool } from '../src/spool-process';
import { startReply } from '../src/workload';

const cleanup = cleanupAfterEach();

const LIVENESS_MS = 1500;
const FROZEN_MS = 4000;

describe('scenario 8: the server process frozen mid-reply', () => {
  it('SIGSTOP beyond the liveness timeout, then SIGCONT: no reset, every reader exact', async () => {
    const { seed, stream } = announce(8, 'frozen server');
    const server = await startSpool({ SPOOL_SSE_RETRY_MS: '50' });
    cleanup.push(() => server.stop('SIGKILL'));
    const topic = channelTopic(1, 'frozen');
    const kinds: Array<[ClientKind, boolean]> = [
      ['sdk-ws', false],
      ['sdk-ws', true],
      ['sdk-sse', false],
      ['eventsource', false],
    ];
    const readers: Array<{ client: CheckedClient; proxy: ChaosProxy }> = [];
    for (const [i, [kind, compact]] of kinds.entries()) {
      // Pass-through proxies: they only count the connections each reader makes.
      const proxy = await startChaosProxy({ target: server.port, random: stream(1 + i) });
      cleanup.push(() => proxy.close());
      const client = checkedClient(kind, proxy.port, topic, `${kind}${compact ? '-compact' : ''}`, {
        compact,
        livenessTimeoutMs: LIVENESS_MS,
      });
      cleanup.push(() => client.close());
      readers.push({ client, proxy });
    }
    await until(() => readers.every((r) => r.client.isOpen()), 'every reader connected');
    const producer = sdkClient(`ws://127.0.0.1:${server.port}/v1/ws`, { livenessTimeoutMs: LIVENESS_MS });
    cleanup.push(() => producer.close());
    const reply = startReply(producer, 'frozen', profile.cutChunks, stream(0), {
      inFlight: 8,
      pause: () => new Promise((r) => setTimeout(r, 1)),
    });
    await until(() => readers[0]!.client.check.deltas(reply.messageId) >= 300, 'the reply streaming');

    server.pause();
    await new Promise((r) => setTimeout(r, FROZEN_MS));
    const frozenConnections = readers.map((r) => r.proxy.connections);
    server.resume();
    const resumedAt = performance.now();
    const { error } = await reply.finished;
    const endedAt = new Map<CheckedClient, number>();
    await until(
      () => {
        for (const { client } of readers)
          if (client.check.ended(reply.messageId) && !endedAt.has(client))
            endedAt.set(client, performance.now() - resumedAt);
        return endedAt.size === readers.length;
      },
      'the end on every reader',
      60_000,
    );
    for (const { client } of readers) client.check.verify(reply);
    const violations = readers.flatMap((r) => r.client.check.violations);
    report({
      scenario: 'frozen-server',
      seed,
      profile: profile.name,
      frozenMs: FROZEN_MS,
      livenessTimeoutMs: LIVENESS_MS,
      eventsChecked: readers.reduce((n, r) => n + r.client.check.events, 0),
      connectionsByReader: Object.fromEntries(readers.map((r) => [r.client.check.name, r.proxy.connections])),
      connectionsWhileFrozen: frozenConnections,
      mismatches: violations.length,
      resets: readers.reduce((n, r) => n + r.client.check.resets, 0),
      producerError: error === undefined ? null : String(error),
      endAfterResumeMs: spread([...endedAt.values()]),
    });
    expect(error).toBeUndefined();
    expect(violations).toEqual([]);
    expect(readers.map((r) => r.client.check.resets)).toEqual([0, 0, 0, 0]);
    // The SDK readers gave up their silent connections while the process was stopped.
    for (const r of readers.slice(0, 3)) expect(r.proxy.connections, r.client.check.name).toBeGreaterThan(1);
  });
});
