/**
 * Scenario 2: `spool serve` in memory mode restarted mid-reply, under connected clients
 * and a producer, all behind one proxy address. Memory mode keeps nothing across a
 * restart, so the resume rule (docs/protocol.md, "The resume rule") must turn it into
 * exactly one `reset` per client, never a silent skip; what each client received of the
 * cut-off reply is exactly a prefix of what was written; SIGTERM ends the reply with
 * reason `force` on every client before the sockets close; and the producer's `end()`
 * rejects with a typed error instead of reporting success.
 */
import { isSpoolError } from '@spool/client';
import { channelTopic } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { startChaosProxy } from '../src/chaos-proxy';
import { type CheckedClient, checkedClient, sdkClient, until } from '../src/clients';
import { report, spread } from '../src/figures';
import { profile } from '../src/profile';
import { announce, cleanupAfterEach } from '../src/scenario';
import { type SpoolProcess, startSpool } from '../src/spool-process';
import { produceReply, startReply } from '../src/workload';

const cleanup = cleanupAfterEach();

const env = { SPOOL_SSE_RETRY_MS: '5' };
const CHANNEL = 'restart';
const topic = channelTopic(1, CHANNEL);

async function restartMidReply(signal: 'SIGKILL' | 'SIGTERM', n: number) {
  const { seed, stream } = announce(n, `memory-mode restart, ${signal}`);
  const random = stream(0);
  let server: SpoolProcess = await startSpool(env);
  const proxy = await startChaosProxy({ target: server.port, random: stream(1) });
  cleanup.push(() => proxy.close());
  const clients: CheckedClient[] = [
    checkedClient('sdk-ws', proxy.port, topic, 'sdk-ws'),
    checkedClient('sdk-ws', proxy.port, topic, 'sdk-ws-compact', { compact: true }),
    checkedClient('sdk-sse', proxy.port, topic, 'sdk-sse'),
    checkedClient('eventsource', proxy.port, topic, 'eventsource'),
  ];
  for (const c of clients) cleanup.push(() => c.close());
  await until(() => clients.every((c) => c.isOpen()), 'every client connected');
  const producer = sdkClient(`ws://127.0.0.1:${proxy.port}/v1/ws`);
  cleanup.push(() => producer.close());

  const reply = startReply(producer, CHANNEL, profile.cutChunks, random, {
    inFlight: 8,
    pause: () => new Promise((r) => setTimeout(r, 1)),
  });
  // Mid-reply: every client has a good part of it.
  const midway = Math.floor(profile.cutChunks / 4);
  await until(
    () =>
      clients.every(
        (c) =>
          c.check.deltas(reply.messageId) >= midway ||
          (c.check.text(reply.messageId).length > 0 &&
            c.kind === 'sdk-ws' &&
            c.check.name.endsWith('compact')),
      ),
    'the reply streaming everywhere',
  );
  // Down: new connections are refused until the new process is up.
  proxy.target = undefined;
  const downAt = performance.now();
  const code = await server.stop(signal);
  if (signal === 'SIGKILL') proxy.cutAll();
  server = await startSpool(env);
  proxy.target = server.port;
  const upAt = performance.now();

  const resetAt = new Map<CheckedClient, number>();
  await until(() => {
    for (const c of clients) if (c.check.resets > 0 && !resetAt.has(c)) resetAt.set(c, performance.now());
    return resetAt.size === clients.length;
  }, 'a reset on every client');
  const { error } = await reply.finished;

  // The new process's own history reaches everyone, whole, after the reset.
  const next = await produceReply(producer, CHANNEL, 200, random);
  await until(() => clients.every((c) => c.check.ended(next.messageId)), 'the new reply everywhere');
  for (const c of clients) c.check.verify(next);

  const violations = clients.flatMap((c) => c.check.violations);
  report({
    scenario: `memory-restart-${signal}`,
    seed,
    profile: profile.name,
    eventsChecked: clients.reduce((s, c) => s + c.check.events, 0),
    kills: 1,
    exitCode: code,
    chunksWrittenBeforeRestart: reply.chunks.length,
    received: Object.fromEntries(
      clients.map((c) => [c.check.name, c.check.text(reply.messageId, true).length]),
    ),
    afterRestart: clients.map((c) => c.check.endReason(reply.messageId) ?? 'none'),
    resets: clients.map((c) => c.check.resets),
    producerEnd: isSpoolError(error) ? error.code : String(error),
    mismatches: violations.length,
    downMs: Math.round(upAt - downAt),
    recoveryAfterUpMs: spread([...resetAt.values()].map((t) => t - upAt)),
  });
  expect(violations).toEqual([]);
  expect(clients.map((c) => c.check.resets)).toEqual([1, 1, 1, 1]);
  // What arrived of the cut-off reply is exactly what was written, up to where it stopped.
  for (const c of clients)
    expect(reply.text.startsWith(c.check.text(reply.messageId)), c.check.name).toBe(true);
  // The producer is told: its end() rejects with a typed error, never resolves.
  expect(error, 'the producer end() must reject').toBeDefined();
  expect(isSpoolError(error), String(error)).toBe(true);
  return { clients, reply, code };
}

describe('scenario 2: spool serve restarted in memory mode mid-reply', () => {
  it('SIGKILL: one reset per client, the cut reply an exact prefix, never left streaming; producer told', async () => {
    const { clients, reply } = await restartMidReply('SIGKILL', 2);
    // Before the restart it never ended; after it, either nothing more is heard of it, or
    // the producer's writer, finding the message lost, re-opened and ended it `error`.
    for (const c of clients) {
      expect(c.check.endReason(reply.messageId, true), c.check.name).toBeUndefined();
      if (c.check.reopened(reply.messageId)) expect(c.check.endReason(reply.messageId)).toBe('error');
    }
    // The SDK never leaves it `streaming`: interrupted by the reset, or ended in error.
    for (const c of clients.filter((x) => x.status))
      expect(['interrupted', 'error'], c.check.name).toContain(c.status!(reply.messageId).status);
  });

  it('SIGTERM: the reply ends `force` on every client before the close, then one reset each', async () => {
    const { clients, reply, code } = await restartMidReply('SIGTERM', 3);
    expect(code).toBe(0);
    for (const c of clients) expect(c.check.endReason(reply.messageId, true), c.check.name).toBe('force');
  });
});
