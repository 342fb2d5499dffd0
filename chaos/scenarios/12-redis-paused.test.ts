/**
 * Scenario 12: Redis paused. Three `spool serve` processes on a redis-server of the
 * scenario's own (never the shared one), readers on every instance over WebSocket and SSE,
 * a reply being written on A and events POSTed on A and C, when Redis is paused
 * (`CLIENT PAUSE <ms> ALL`) for longer than the instances' TTL and than the cluster's
 * forwarding timeout, then runs again by itself.
 * What must hold (docs/guarantees.md, "Redis paused"):
 * - no silent skip: every reader gets every event once, in order, or a reset;
 * - nothing written during the pause is lost silently: a POST the publisher gave up waiting
 *   for is sent again with its idempotency key, and every event is delivered exactly once,
 *   with the ID its publisher was answered; the reply's writer waits for its
 *   acknowledgements and the reply ends `success`, exact;
 * - the service resumes without restarting Spool: new replies and events flow across
 *   instances;
 * - membership: every instance is evicted (its beat after the pause finds it `expired` on
 *   Redis's clock) and joins again by itself as a new incarnation, without a restart
 *   (docs/architecture.md, "Instances and incarnations", "Redis unreachable").
 */
import { channelTopic } from '@spool/core';
import { PrivateRedis } from '@spool/server/testing';
import { describe, expect, it } from 'vitest';
import { type CheckedClient, checkedClient, sdkClient, until } from '../src/clients';
import { report } from '../src/figures';
import { profile } from '../src/profile';
import { announce, cleanupAfterEach } from '../src/scenario';
import { type SpoolProcess, startSpool } from '../src/spool-process';
import {
  eventSourceTape,
  mustPublish,
  publish,
  sdkTape,
  sseTape,
  strictlyIncreasing,
} from '../src/topic-tapes';
import { produceReply, startReply } from '../src/workload';

const cleanup = cleanupAfterEach();

/** Short, so that the pause outlasts it several times over; instances beat every third. */
const TTL_MS = 3000;
/**
 * The pause: past the TTL plus a beat (every instance's next beat finds it expired), and past
 * the cluster's forwarding timeout (5 s, `ownerRpcDefaults.timeoutMs`), the longest any part
 * of Spool waits for Redis before answering with an error.
 */
const PAUSE_MS = 6000;
/** A publisher that does not hear back within this gives up (and must not see a duplicate). */
const PUBLISH_TIMEOUT_MS = 2000;
const CHANNEL = 'paused';
const TOPIC = channelTopic(1, CHANNEL);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const wsUrl = (p: SpoolProcess) => `ws://127.0.0.1:${p.port}/v1/ws`;

interface Stats {
  cluster?: { self: { incarnation: string }; instances: Array<{ incarnation: string }> | null };
}
const stats = async (p: SpoolProcess) => (await (await fetch(`${p.url}/v1/stats`)).json()) as Stats;
/** Whether the instance finds its own incarnation among the cluster's live ones. */
async function isMember(p: SpoolProcess): Promise<boolean> {
  const s = await stats(p);
  return s.cluster?.instances?.some((i) => i.incarnation === s.cluster!.self.incarnation) ?? false;
}

async function incarnationOf(p: SpoolProcess): Promise<string> {
  return (await stats(p)).cluster!.self.incarnation;
}

describe('scenario 12: Redis paused under three instances', () => {
  it('paused past the TTL: no silent skip, nothing written lost silently, service resumes, every instance evicted then a member again by itself', async () => {
    const { seed, stream } = announce(12, 'Redis paused under three instances');
    const random = stream(0);
    const redis = await PrivateRedis.start();
    cleanup.push(() => redis.stop());
    const env = {
      SPOOL_REDIS_URL: redis.url,
      SPOOL_REDIS_PREFIX: 'spool-chaos:',
      SPOOL_INSTANCE_TTL_MS: String(TTL_MS),
      SPOOL_DEMO: '0',
      SPOOL_SSE_RETRY_MS: '5',
    };
    const [a, b, c] = (await Promise.all([0, 1, 2].map(() => startSpool(env)))) as [
      SpoolProcess,
      SpoolProcess,
      SpoolProcess,
    ];
    for (const p of [a, b, c]) expect(await isMember(p)).toBe(true);
    const incarnationsBefore = await Promise.all([a, b, c].map(incarnationOf));

    // Readers of the chat channel on every instance, and of a plain topic on B and C.
    const readers: CheckedClient[] = [
      checkedClient('sdk-ws', a.port, TOPIC, 'A sdk-ws'),
      checkedClient('sdk-ws', b.port, TOPIC, 'B sdk-ws'),
      checkedClient('sdk-sse', c.port, TOPIC, 'C sdk-sse'),
      checkedClient('eventsource', c.port, TOPIC, 'C eventsource'),
    ];
    const tapes = [
      sdkTape(b.port, 'news', '0-0'),
      sseTape(c.url, 'news', '0-0'),
      eventSourceTape(b.url, 'news', '0-0'),
    ];
    for (const r of [...readers, ...tapes]) cleanup.push(() => r.close());
    await until(() => readers.every((r) => r.isOpen()), 'every reader connected');

    // Writers: a reply on A (LLM pacing), and a publisher on each of A and C POSTing in turn.
    const producer = sdkClient(wsUrl(a), { livenessTimeoutMs: 60_000 });
    cleanup.push(() => producer.close());
    const chunks = Math.floor(profile.cutChunks / 2);
    let written = 0;
    const reply = startReply(producer, CHANNEL, chunks, random, {
      inFlight: 8,
      pause: () => (++written % 4 === 0 ? sleep(2) : Promise.resolve()),
    });
    // Each event carries an idempotency key; a POST the publisher gave up waiting for is
    // sent again with the same key until it is answered 201.
    const posts: Array<{ n: number; id: string; at: number; ms: number; attempts: number; via: string }> = [];
    let givenUp = 0;
    let publishing = true;
    let n = 0;
    const publisher = async (p: SpoolProcess, via: string) => {
      while (publishing) {
        const k = n++;
        const at = performance.now();
        for (let attempts = 1; ; attempts++) {
          const r = await publish(p.url, 'news', { n: k }, { timeoutMs: PUBLISH_TIMEOUT_MS, key: `e-${k}` });
          if (r.status === 201 && r.id !== undefined) {
            posts.push({ n: k, id: r.id, at, ms: performance.now() - at, attempts, via });
            break;
          }
          if (r.status !== 0) throw new Error(`publish ${k} on ${via}: ${r.status}`);
          givenUp++;
        }
        await sleep(20);
      }
    };
    const publishers = Promise.all([publisher(a, 'A'), publisher(c, 'C')]);
    await until(
      () => readers.every((r) => r.check.deltas(reply.messageId) >= 100),
      '100 chunks on every reader',
    );

    const pausedAt = performance.now();
    const deltasAtPause = readers[0]!.check.deltas(reply.messageId);
    await redis.pause(PAUSE_MS);
    await sleep(PAUSE_MS);
    const resumedAt = performance.now();
    // Two more beats: every instance's first beat after the pause finds it expired.
    await sleep(2 * (TTL_MS / 3));
    publishing = false;
    await publishers;

    const { error } = await reply.finished;
    expect(error).toBeUndefined();
    await until(
      () => readers.every((r) => r.check.ended(reply.messageId)),
      'the reply ended on every reader',
    );
    for (const r of readers) r.check.verify(reply);

    // Plain topic: every event delivered once, in order, on every tape, with the ID its
    // publisher was answered, retried or not; no reset (Redis lost nothing).
    await until(
      () => tapes.every(({ tape }) => posts.every((p) => tape.data.has(p.id))),
      'every published event on every tape',
    );
    const duringPause = posts.filter((p) => p.at >= pausedAt && p.at < resumedAt);
    for (const { tape } of tapes) {
      expect(tape.entries.filter((e) => e.startsWith('reset '))).toEqual([]);
      expect(strictlyIncreasing(tape.ids())).toBe(true);
      expect(
        tape
          .ids()
          .map((id) => (tape.data.get(id) as { n: number }).n)
          .sort((x, y) => x - y),
      ).toEqual(posts.map((p) => p.n).sort((x, y) => x - y));
      for (const p of posts) expect((tape.data.get(p.id) as { n: number }).n).toBe(p.n);
    }
    expect(tapes[1]!.tape.ids()).toEqual(tapes[0]!.tape.ids());
    expect(tapes[2]!.tape.ids()).toEqual(tapes[0]!.tape.ids());

    // Membership: each instance was evicted (a new incarnation) and joined again by itself.
    const rejoinStarted = performance.now();
    for (;;) {
      const now = await Promise.all([a, b, c].map(incarnationOf));
      const members = await Promise.all([a, b, c].map(isMember));
      if (now.every((inc, i) => inc !== incarnationsBefore[i]) && members.every(Boolean)) break;
      if (performance.now() - rejoinStarted > 60_000)
        throw new Error(
          `not every instance joined again: incarnations ${now.join(', ')}, members ${members.join(', ')}`,
        );
      await sleep(100);
    }
    const rejoinedMs = Math.round(performance.now() - rejoinStarted);

    // The service resumes without restarting Spool: a reply on B and events on A read everywhere.
    const next = await produceReply(sdkClient(wsUrl(b)), CHANNEL, 200, random);
    await until(() => readers.every((r) => r.check.ended(next.messageId)), 'the next reply on every reader');
    for (const r of readers) r.check.verify(next);
    const more: string[] = [];
    for (let k = 0; k < 10; k++) more.push(await mustPublish(a.url, 'news', { n: n + k }));
    await until(
      () => tapes.every(({ tape }) => more.every((id) => tape.data.has(id))),
      'new events on every tape',
    );
    for (const r of readers) expect(r.check.violations).toEqual([]);
    for (const r of readers) expect(r.check.resets).toBe(0);

    report({
      scenario: '12-redis-paused',
      seed,
      profile: profile.name,
      instances: 3,
      pauseMs: PAUSE_MS,
      ttlMs: TTL_MS,
      replyChunks: reply.chunks.length,
      deltasAtPause,
      eventsChecked: readers.reduce((s, r) => s + r.check.events, 0),
      published: posts.length,
      publishedDuringPause: duringPause.length,
      postsGivenUpAndSentAgain: givenUp,
      slowestPublishMs: Math.round(Math.max(...posts.map((p) => p.ms))),
      rejoinedMsAfterEvents: rejoinedMs,
      mismatches: readers.reduce((s, r) => s + r.check.violations.length, 0),
    });
  });
});
