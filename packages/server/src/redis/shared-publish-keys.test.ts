import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TestClient } from '../__tests__/helpers';
import { SYSTEM } from '../auth/principal';
import { adminClient, deleteKeys, nextPrefix, runPrefix } from '../broker/redis-test-env';
import { call, startCluster, type TestInstance } from '../cluster/cluster-test-kit';
import { topicLogKeys } from './topic-log-keys';
import { PUBLISH_KEY_WINDOW_MS } from './topic-log-script';

// Publish idempotency keys on topics shared through Redis: the same key on two instances is
// applied once, and every answer carries the first event's ID (docs/protocol.md, "Rules").

const admin = adminClient();
const cleanup: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
afterAll(async () => {
  await deleteKeys(admin, runPrefix);
  admin.disconnect();
});

async function twoInstances() {
  const prefix = nextPrefix();
  const c = await startCluster(prefix, ['A', 'B'], { sharedTopics: true });
  cleanup.push(
    () => c.close(),
    () => deleteKeys(admin, prefix),
  );
  const [a, b] = c.instances as [TestInstance, TestInstance];
  const length = (topic: string) => admin.xlen(topicLogKeys(prefix, topic).stream);
  return { a, b, length, prefix };
}

async function post(at: TestInstance, topic: string, body: Record<string, unknown>): Promise<string> {
  const r = await call(at.url, 'POST', `/v1/topics/${topic}/events`, body);
  expect(r.status).toBe(201);
  return r.body.id as string;
}

describe('publish idempotency keys across instances', () => {
  it('applies an HTTP publish key once across two instances: both answers carry the first ID', async () => {
    const { a, b, length } = await twoInstances();
    const first = await post(a, 'news', { data: { n: 1 }, key: 'k1' });
    expect(await post(b, 'news', { data: { n: 1 }, key: 'k1' })).toBe(first);
    expect(await post(a, 'news', { data: { n: 1 }, key: 'k1' })).toBe(first);
    expect(await length('news')).toBe(1);
    // Another key, and no key, append.
    const other = await post(b, 'news', { data: { n: 2 }, key: 'k2' });
    expect(other).not.toBe(first);
    await post(b, 'news', { data: { n: 3 } });
    await post(a, 'news', { data: { n: 3 } });
    expect(await length('news')).toBe(4);
    // A key is per topic.
    expect(await post(b, 'sport', { data: { n: 1 }, key: 'k1' })).not.toBe(first);
    expect(await length('sport')).toBe(1);
  });

  it('applies spool.publish and WebSocket pub keys once across instances', async () => {
    const { a, b, length, prefix } = await twoInstances();
    const first = await a.spool.publish('feed', { n: 1 }, { key: 'lib' });
    expect(await b.spool.publish('feed', { n: 1 }, { key: 'lib' })).toBe(first);
    expect(await length('feed')).toBe(1);
    // The key names the first event, for the window.
    const keyName = `${topicLogKeys(prefix, 'feed').publishKeys}${JSON.stringify([SYSTEM.id, 'lib'])}`;
    expect(await admin.get(keyName)).toBe(first);
    const ttl = await admin.pttl(keyName);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(PUBLISH_KEY_WINDOW_MS);

    const onA = await TestClient.connect(a.wsUrl);
    const onB = await TestClient.connect(b.wsUrl);
    cleanup.push(
      () => onA.close(),
      () => onB.close(),
    );
    const ackA = await onA.request({ op: 'pub', topic: 'feed', data: { n: 2 }, key: 'ws' });
    const ackB = await onB.request({ op: 'pub', topic: 'feed', data: { n: 2 }, key: 'ws' });
    expect(ackA.op).toBe('ack');
    expect(ackB.id).toBe(ackA.id);
    expect(ackA.id).not.toBe(first);
    expect(await length('feed')).toBe(2);
    // The HTTP route and the socket share a principal's key on a shared log.
    expect(await post(b, 'feed', { data: { n: 2 }, key: 'ws' })).toBe(ackA.id);
    expect(await length('feed')).toBe(2);
  });

  it('applies concurrent duplicates on two instances once', async () => {
    const { a, b, length } = await twoInstances();
    for (let round = 0; round < 5; round++) {
      const key = `race-${round}`;
      const ids = await Promise.all(
        Array.from({ length: 8 }, (_, i) => post(i % 2 === 0 ? a : b, 'race', { data: { round }, key })),
      );
      expect(new Set(ids).size).toBe(1);
      expect(await length('race')).toBe(round + 1);
    }
  });
});
