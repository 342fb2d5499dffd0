import { COMPLETED_STREAM, createManualClock, MemoryBroker, memoryBrokerServeLimits } from '@spool/core';
import { seededRandom } from '@spool/core/internal';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { apiOf, codeOf } from '../http/routes/__tests__/route-kit';
import { createSpoolInstance } from '../spool';
import { startDemo } from './demo';
import { DEMO_CHANNELS } from './demo-producer';
import { DEMO_GROUP } from './demo-workers';
import { simulatedReply } from './simulated-reply';

/** Lets promise chains and stream pulls run between clock steps (no timers involved). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function capturingLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('simulatedReply', () => {
  it('is markdown-ish text in tokens of varied sizes with delays, replayable from a seed', () => {
    const tokens = simulatedReply(seededRandom(3));
    const text = tokens.map((t) => t.text).join('');
    expect(text).toMatch(/### About /);
    expect(tokens.length).toBeGreaterThan(20);
    const sizes = new Set(tokens.map((t) => t.text.length));
    expect(sizes.size).toBeGreaterThan(5);
    expect(Math.max(...tokens.map((t) => t.text.length))).toBeLessThanOrEqual(13);
    expect(tokens.every((t) => t.delayMs >= 12 && t.delayMs <= 900)).toBe(true);
    expect(simulatedReply(seededRandom(3))).toEqual(tokens);
  });
});

describe('the demo', () => {
  it('streams replies for a simulated minute without errors, and its consumer group keeps up', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const broker = new MemoryBroker({ clock, ...memoryBrokerServeLimits });
    const { logger, lines } = capturingLogger();
    const spool = createSpoolInstance({ clock, broker, logger });
    const seen = new Set<string>();
    const demo = startDemo(spool, {
      producer: { random: seededRandom(11) },
      workers: { random: seededRandom(12), poisonRate: 0.25 },
    });
    for (const channel of DEMO_CHANNELS)
      spool.topics.getOrCreate(channel).onAppend((ev) => seen.add(channel + ev.event));

    // One simulated minute, in 10 ms steps; once a second, how far behind is the group?
    let maxLag = 0;
    for (let t = 0; t < 60_000; t += 10) {
      await clock.advanceAsync(10);
      await turn();
      if (t % 1000 === 0 && (await broker.xlen(COMPLETED_STREAM)) > 0) {
        const [g] = await broker.xinfoGroups(COMPLETED_STREAM);
        maxLag = Math.max(maxLag, g?.lag ?? 0);
      }
    }
    expect(maxLag).toBeLessThanOrEqual(2);
    const produced = demo.producer.stats();
    expect(produced.started).toBeGreaterThanOrEqual(15);
    expect(produced.errors).toBe(0);
    // Every channel had replies: open, deltas and ends.
    for (const channel of DEMO_CHANNELS) {
      expect([...seen].filter((s) => s.startsWith(channel)).sort()).toEqual(
        ['msg.delta', 'msg.end', 'msg.open'].map((e) => channel + e),
      );
    }

    // Stop producing, let the last replies finish and the workers catch up (claims included).
    demo.stopProducing();
    for (let t = 0; t < 20_000 && demo.producer.stats().running > 0; t += 10) {
      await clock.advanceAsync(10);
      await turn();
    }
    for (let t = 0; t < 15_000; t += 10) {
      await clock.advanceAsync(10);
      await turn();
    }
    const finished = demo.producer.stats();
    expect(finished.running).toBe(0);
    expect(finished.completed).toBe(finished.started);
    const length = await broker.xlen(COMPLETED_STREAM);
    expect(length).toBe(finished.started);
    const [group] = await broker.xinfoGroups(COMPLETED_STREAM);
    expect(group).toMatchObject({ name: DEMO_GROUP, lag: 0, pending: 0, consumers: 2 });
    const worked = demo.workers.stats();
    expect(worked.processed + worked.deadLettered).toBe(length);
    expect(worked.failed).toBeGreaterThan(worked.deadLettered);
    expect(worked.deadLettered).toBeGreaterThan(0);
    expect(await broker.xlen(`${COMPLETED_STREAM}:dead`)).toBe(worked.deadLettered);
    expect(demo.workers.errors).toEqual([]);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);

    await demo.stopWorkers();
    await spool.close();
    await broker.close();
  });

  it('starts one more reply on POST /v1/demo/replies', async () => {
    const spool = createSpoolInstance();
    const demo = startDemo(spool, {
      producer: { minIntervalMs: 3_600_000, maxIntervalMs: 3_600_000, maxRequested: 1 },
    });
    try {
      const api = apiOf(spool, 'nobody'); // the local default: loopback, no token, full access
      const started = await api.post<{ messageId: string; topic: string }>('/v1/demo/replies', {
        channel: 'chan:2:support',
      });
      expect(started.status).toBe(201);
      expect(started.body.topic).toBe('chan:2:support');
      expect(spool.cache.getStream(started.body.messageId)?.meta.channelId).toBe('support');
      const busy = await api.post('/v1/demo/replies', {});
      expect([busy.status, codeOf(busy)]).toEqual([429, 'RATE_LIMITED']);
      expect(busy.body).toMatchObject({ error: { retryAfterMs: 1000 } });
      const bad = await api.post('/v1/demo/replies', { channel: 'general' });
      expect([bad.status, codeOf(bad)]).toEqual([400, 'BAD_REQUEST']);
      const wrong = await api.post('/v1/demo/replies', { channel: 5 });
      expect([wrong.status, codeOf(wrong)]).toEqual([400, 'BAD_REQUEST']);
      await demo.producer.stop();
      expect(demo.producer.stats()).toMatchObject({ started: 1, interrupted: 1, running: 0 });
    } finally {
      demo.stopProducing();
      await spool.close();
      await demo.stopWorkers();
    }
  });
});
