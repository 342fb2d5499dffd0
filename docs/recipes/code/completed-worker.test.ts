import { createSpool, type Spool } from '@spool/server';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Completed, connectBroker, deadLetters, startIndexer } from './completed-worker';

// Real Redis (scripts/ensure-env.sh starts it), under a prefix of this run's own.
const REDIS_URL = process.env.SPOOL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `recipes:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 8)}:`;

let spool: Spool;
let serverBroker: ReturnType<typeof connectBroker>;
let workerBroker: ReturnType<typeof connectBroker>;

beforeEach(() => {
  // The server and the worker are separate clients of the same Redis, as two processes would be.
  serverBroker = connectBroker(REDIS_URL, prefix);
  spool = createSpool({ broker: serverBroker });
  workerBroker = connectBroker(REDIS_URL, prefix);
});

afterEach(async () => {
  await spool.close();
  await workerBroker.close();
  await serverBroker.close();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

async function finish(channelId: string, text: string): Promise<string> {
  const run = await spool.run({ channelId, channelType: 1 }, async (write) => {
    await write(text);
  });
  await run.done;
  return run.messageId;
}

describe('a worker on consumer groups with dead letters', () => {
  it('handles each finished message once, and dead-letters one that keeps failing', async () => {
    const indexed: Completed[] = [];
    const attempts = new Map<string, number>();
    const ctl = new AbortController();
    const worker = startIndexer(
      workerBroker,
      async (message) => {
        attempts.set(message.messageId, (attempts.get(message.messageId) ?? 0) + 1);
        if (message.channelId === 'poison') throw new Error('cannot index this one');
        indexed.push(message);
      },
      // Retry failures quickly here; the recipe's 30 s suits a real deployment.
      { claimIdleMs: 50, blockMs: 100, signal: ctl.signal },
    );

    const good = await finish('general', 'hello');
    const bad = await finish('poison', 'boom');
    const other = await finish('general', 'again');

    await vi.waitFor(() => expect(indexed.map((m) => m.messageId).sort()).toEqual([good, other].sort()), {
      timeout: 20_000,
    });
    expect(indexed.find((m) => m.messageId === good)).toEqual({
      messageId: good,
      channelId: 'general',
      channelType: 1,
      reason: 'success',
      persisted: true,
    });
    await vi.waitFor(async () => expect(await deadLetters(workerBroker)).toHaveLength(1), {
      timeout: 20_000,
    });
    const [dead] = await deadLetters(workerBroker);
    expect(dead).toMatchObject({ messageId: bad, deliveries: 3 });
    expect(dead?.error).toContain('cannot index this one');
    expect(attempts.get(bad)).toBe(3);
    expect(attempts.get(good)).toBe(1);

    ctl.abort();
    expect(await worker.done).toMatchObject({ processed: 2, deadLettered: 1 });
  });

  it('a worker started after the messages finished (or restarted) still gets every one', async () => {
    const first = await finish('general', 'before the worker');
    const second = await finish('general', 'also before');
    const indexed: string[] = [];
    const worker = startIndexer(workerBroker, async (m) => void indexed.push(m.messageId), { blockMs: 100 });
    // Completion records of different messages carry no order between them: a record is
    // written after its run settles, and with a store that records completions, by its relay.
    await vi.waitFor(() => expect([...indexed].sort()).toEqual([first, second].sort()), { timeout: 20_000 });
    expect(indexed).toHaveLength(2);
    await worker.stop();
  });
});
