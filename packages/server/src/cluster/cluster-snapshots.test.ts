import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TestClient } from '../__tests__/helpers';
import { adminClient, deleteKeys, nextPrefix, runPrefix } from '../broker/redis-test-env';
import { call, startCluster, type TestInstance } from './cluster-test-kit';

// Three in-process Spool servers sharing topics and message records on one real Redis:
// compact catchup of a message still being produced on another instance
// (docs/architecture.md, "Messages across instances").

const admin = adminClient();
const cleanup: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
afterAll(async () => {
  await deleteKeys(admin, runPrefix);
  admin.disconnect();
});

const CHANNEL = { channelId: 'general', channelType: 1 };
const TOPIC = 'chan:1:general';

type Frame = Awaited<ReturnType<TestClient['next']>>;
interface EventData {
  messageId?: string;
  chunkId?: number;
  text?: string;
  lastChunkId?: number;
  status?: string;
}

async function cluster() {
  const prefix = nextPrefix();
  const c = await startCluster(prefix, ['A', 'B', 'C'], { sharedTopics: true });
  cleanup.push(
    () => c.close(),
    () => deleteKeys(admin, prefix),
  );
  return c.instances as [TestInstance, TestInstance, TestInstance];
}

async function chunk(at: TestInstance, messageId: string, chunkId: number, text: string): Promise<void> {
  const r = await call(at.url, 'POST', `/v1/messages/${messageId}/chunks`, { chunkId, text });
  expect(r.status).toBe(200);
}

/** The `ev` frames of the topic up to and including the message's `msg.end`. */
async function untilEnd(client: TestClient, messageId: string): Promise<Frame[]> {
  const out: Frame[] = [];
  for (;;) {
    const [f] = await client.events(TOPIC, 1);
    out.push(f!);
    if (f!.event === 'msg.end' && (f!.data as EventData).messageId === messageId) return out;
  }
}

/** The text a client assembles: the snapshot, then the deltas after the chunks it holds. */
function assemble(frames: Frame[], messageId: string): string {
  let text = '';
  let last = -1;
  for (const f of frames) {
    const d = f.data as EventData;
    if (d.messageId !== messageId) continue;
    if (f.event === 'msg.snapshot') {
      text = d.text!;
      last = d.lastChunkId!;
    } else if (f.event === 'msg.delta' && d.chunkId! > last) {
      expect(d.chunkId).toBe(last + 1);
      text += d.text!;
      last = d.chunkId!;
    }
  }
  return text;
}

describe('compact catchup of a message open on another instance', () => {
  it('gives a compact subscriber on B one msg.snapshot of a message open on A, then its live deltas: the text exact', async () => {
    const [a, b, c] = await cluster();
    const opened = await call(a.url, 'POST', '/v1/messages', { ...CHANNEL, fromUid: 'bot' });
    expect(opened.status).toBe(201);
    const messageId = opened.body.messageId as string;
    const words = ['Hel', 'lo, ', 'wor', 'ld', ' and', ' more', '!'];
    for (let i = 0; i < 4; i++) await chunk(a, messageId, i, words[i]!);

    const onB = await TestClient.connect(b.wsUrl);
    const onC = await TestClient.connect(c.wsUrl);
    cleanup.push(
      () => onB.close(),
      () => onC.close(),
    );
    onB.send({ op: 'sub', topic: TOPIC, after: '0-0', compact: true });
    const [first] = await onB.events(TOPIC, 1);
    expect(first!.event).toBe('msg.snapshot');
    const snap = first!.data as EventData;
    expect(snap).toMatchObject({ messageId, status: 'streaming' });
    // Exactly chunks 0..lastChunkId, all already on the topic.
    expect(snap.text).toBe(words.slice(0, snap.lastChunkId! + 1).join(''));
    expect(snap.lastChunkId).toBeGreaterThanOrEqual(0);

    // A second compact subscriber, on C, after more chunks went out.
    await chunk(a, messageId, 4, words[4]!);
    onC.send({ op: 'sub', topic: TOPIC, after: '0-0', compact: true });
    const [firstOnC] = await onC.events(TOPIC, 1);
    expect(firstOnC!.event).toBe('msg.snapshot');

    for (let i = 5; i < words.length; i++) await chunk(a, messageId, i, words[i]!);
    const ended = await call(a.url, 'POST', `/v1/messages/${messageId}/end`, { reason: 'success' });
    expect(ended.status).toBe(200);

    for (const [client, head] of [
      [onB, first!],
      [onC, firstOnC!],
    ] as const) {
      const frames = [head, ...(await untilEnd(client, messageId))];
      expect(frames.filter((f) => f.event === 'msg.snapshot')).toHaveLength(1);
      expect(frames.filter((f) => f.event === 'msg.open')).toHaveLength(0);
      expect(assemble(frames, messageId)).toBe(words.join(''));
      // Event IDs only go up: the snapshot stands where its last chunk's delta stood.
      const ids = frames.map((f) => f.id as string);
      const sorted = [...ids].sort((x, y) => {
        const [xm, xs] = x.split('-').map(Number) as [number, number];
        const [ym, ys] = y.split('-').map(Number) as [number, number];
        return xm - ym || xs - ys;
      });
      expect(ids).toEqual(sorted);
    }
  });
});

describe('compact catchup of a paused message open on another instance', () => {
  it('gives every chunk sent so far in the snapshot once the reply pauses, not one chunk behind', async () => {
    const [a, b] = await cluster();
    const messageId = (await call(a.url, 'POST', '/v1/messages', { ...CHANNEL, fromUid: 'bot' })).body
      .messageId as string;
    const words = ['a', 'b', 'c', 'd'];
    for (let i = 0; i < words.length; i++) await chunk(a, messageId, i, words[i]!);
    // The reply pauses: no next chunk carries where chunk 3 landed, so the owner records it itself.
    const snapshotOnB = async () => {
      const client = await TestClient.connect(b.wsUrl);
      try {
        client.send({ op: 'sub', topic: TOPIC, after: '0-0', compact: true });
        const [first] = await client.events(TOPIC, 1);
        return first!.data as EventData;
      } finally {
        await client.close();
      }
    };
    await expect
      .poll(snapshotOnB, { timeout: 5_000, interval: 50 })
      .toMatchObject({ messageId, status: 'streaming', lastChunkId: 3, text: 'abcd' });
  });
});

describe('compact catchup of a message that ended on another instance', () => {
  it('gives one msg.snapshot (ended, the whole text) and none of its events, however many instances had no subscriber', async () => {
    const [a, b, c] = await cluster();
    const opened = await call(a.url, 'POST', '/v1/messages', { ...CHANNEL, fromUid: 'bot' });
    const messageId = opened.body.messageId as string;
    const words = ['One ', 'two ', 'three'];
    for (let i = 0; i < words.length; i++) await chunk(a, messageId, i, words[i]!);
    // A subscriber on B while it streams: B's topic follows the shared log.
    const watching = await TestClient.connect(b.wsUrl);
    cleanup.push(() => watching.close());
    watching.send({ op: 'sub', topic: TOPIC });
    await watching.next((f) => f.op === 'subok');
    expect((await call(a.url, 'POST', `/v1/messages/${messageId}/end`, { reason: 'success' })).status).toBe(
      200,
    );
    await watching.next((f) => f.op === 'ev' && f.event === 'msg.end');

    // B saw it stream, C never had a subscriber: neither ledger holds A's message.
    const ended = [{ messageId, text: words.join(''), lastChunkId: 2 }];
    for (const at of [b, c]) {
      const client = await TestClient.connect(at.wsUrl);
      cleanup.push(() => client.close());
      client.send({ op: 'sub', topic: TOPIC, after: '0-0', compact: true });
      const snapshots = await client.events(TOPIC, ended.length);
      expect(snapshots.map((f) => [f.event, f.data])).toEqual(
        ended.map((e) => ['msg.snapshot', expect.objectContaining({ ...e, status: 'ended' })]),
      );
      // A later message's msg.open: everything of the ended ones came before it, one snapshot each.
      const next = (await call(a.url, 'POST', '/v1/messages', { ...CHANNEL, fromUid: 'bot' })).body
        .messageId as string;
      const [after] = await client.events(TOPIC, 1);
      expect(after).toMatchObject({ event: 'msg.open', data: { messageId: next } });
      await chunk(a, next, 0, 'later');
      await call(a.url, 'POST', `/v1/messages/${next}/end`, { reason: 'success' });
      ended.push({ messageId: next, text: 'later', lastChunkId: 0 });
      await watching.next((f) => f.op === 'ev' && f.event === 'msg.end');
    }
  });
});
