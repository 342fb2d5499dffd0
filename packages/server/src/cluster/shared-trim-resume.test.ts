import { compareEventIds } from '@spool/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Frame, TestClient } from '../__tests__/helpers';
import { adminClient, deleteKeys, nextPrefix, runPrefix } from '../broker/redis-test-env';
import type { SpoolInstance } from '../spool';
import { startCluster, type TestInstance } from './cluster-test-kit';

// Two in-process servers sharing a channel topic's log on one real Redis: a resume on one
// instance after the other instance's appends trimmed events its message ledger never saw
// (docs/architecture.md, "Topics across instances").

const admin = adminClient();
const cleanup: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
afterAll(async () => {
  await deleteKeys(admin, runPrefix);
  admin.disconnect();
});

const TOPIC = 'chan:1:general';

async function write(spool: SpoolInstance, words: string[]): Promise<string> {
  const run = await spool.run({ channelId: 'general', channelType: 1, fromUid: 'bot' }, async (w) => {
    for (const word of words) await w(word);
  });
  await run.done;
  return run.messageId;
}

describe('a resume after another instance trimmed the shared log', () => {
  it('never gives the tail of a message whose start was trimmed elsewhere without a reset or a snapshot', async () => {
    const prefix = nextPrefix();
    const c = await startCluster(prefix, ['A', 'B'], {
      sharedTopics: true,
      spool: () => ({ topics: { channelRetention: { maxEvents: 6 } } }),
    });
    cleanup.push(
      () => c.close(),
      () => deleteKeys(admin, prefix),
    );
    const [a, b] = c.instances as [TestInstance, TestInstance];
    // B's ledger starts here and sees its own message.
    await write(b.spool, ['x']);
    const seen = (await b.spool.topics.get(TOPIC)!.read('0-0', 100)).events;
    const position = seen.at(-1)!.id;
    // A's appends trim B's message, then the start of A's own first message.
    const straddler = await write(a.spool, ['He', 'll', 'o ', 'th', 'ere']);
    await write(a.spool, ['z']);
    // The shared stream no longer holds B's message, nor the start of A's first one.
    const [first] = await admin.xrange(`${prefix}{${TOPIC}}:log`, '-', '+', 'COUNT', 1);
    expect(compareEventIds(first![0], position)).toBeGreaterThan(0);

    const client = await TestClient.connect(b.wsUrl);
    cleanup.push(() => client.close());
    client.send({ op: 'sub', topic: TOPIC, after: position });
    const frames: Frame[] = [];
    let ends = 0;
    while (ends < 2) {
      const f = await client.next((x) => (x.op === 'ev' && x.topic === TOPIC) || x.op === 'reset');
      frames.push(f);
      if (f.op === 'ev' && f.event === 'msg.end') ends++;
    }
    const reset = frames.findIndex((f) => f.op === 'reset');
    const firstOfStraddler = frames.findIndex(
      (f) => f.op === 'ev' && (f.data as { messageId?: string }).messageId === straddler,
    );
    const snapshot = frames[firstOfStraddler]!.event === 'msg.snapshot';
    // The client either learns it missed something, or gets the message whole.
    expect(snapshot || (reset >= 0 && reset < firstOfStraddler)).toBe(true);
  });
});
