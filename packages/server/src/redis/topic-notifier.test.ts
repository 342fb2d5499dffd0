import { randomUUID } from 'node:crypto';
import { type EventId, Topic, type TopicEvent } from '@spool/core';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { adminClient, deleteKeys, nextPrefix, runPrefix, TEST_REDIS_URL } from '../broker/redis-test-env';
import { RedisTopicLog } from './redis-topic-log';
import { TopicNotifier, type TopicNotifierOptions } from './topic-notifier';

// Two "instances" in one process, each with its own connections and notifier, on one
// Redis: live fan-out across them, gap fills, lost notifications, own appends once.

const admin = adminClient();
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await deleteKeys(admin, runPrefix);
  admin.disconnect();
});

interface Instance {
  redis: Redis;
  subscriber: Redis;
  notifier: TopicNotifier | undefined;
  topic(name: string): Topic;
}

function instance(prefix: string, notify: TopicNotifierOptions | false = {}): Instance {
  const redis = new Redis(TEST_REDIS_URL, { enableAutoPipelining: true, maxRetriesPerRequest: 1 });
  // A pause before reconnecting, so a test can publish while the subscriber is away.
  const subscriber = redis.duplicate({
    connectionName: `spool-test-${randomUUID()}`,
    retryStrategy: () => 300,
  });
  const notifier = notify === false ? undefined : new TopicNotifier(subscriber, notify);
  if (!notifier) subscriber.disconnect();
  const topics: Topic[] = [];
  cleanups.push(async () => {
    for (const t of topics) await t.close();
    await notifier?.close();
    redis.disconnect();
  });
  return {
    redis,
    subscriber,
    notifier,
    topic: (name) => {
      const t = new Topic(name, {
        log: RedisTopicLog.create(redis, name, { keyPrefix: prefix, ...(notifier ? { notifier } : {}) }),
      });
      topics.push(t);
      return t;
    },
  };
}

interface Seen {
  events: TopicEvent[];
  resets: EventId[];
}

function watch(topic: Topic, after?: EventId): Seen {
  const seen: Seen = { events: [], resets: [] };
  topic.subscribe({
    ...(after === undefined ? {} : { after }),
    onEvent: (ev) => seen.events.push(ev),
    onReset: (earliest) => seen.resets.push(earliest),
  });
  return seen;
}

function until(check: () => boolean, ms = 10_000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) resolve();
      else if (Date.now() - start > ms) reject(new Error('timed out waiting'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

/** Waits until `notifier` is subscribed to `n` channels (SUBSCRIBE has round-tripped). */
async function subscribed(redis: Redis, prefix: string, n: number): Promise<void> {
  const check = async () => ((await redis.pubsub('CHANNELS', `${prefix}*`)) as string[]).length >= n;
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > 10_000) throw new Error('never subscribed');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function streamIds(prefix: string, name: string): Promise<string[]> {
  const entries = await admin.xrange(`${prefix}{${name}}:log`, '-', '+');
  return entries.map(([id]) => id);
}

function seedOf(): number {
  const fromEnv = Number(process.env['SPOOL_TEST_SEED']);
  return Number.isSafeInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.floor(Math.random() * 2 ** 31) + 1;
}

describe('TopicNotifier and the remote tail', () => {
  it('delivers both instances’ appends to subscribers on each, in ID order, each once, with their data', async () => {
    const seed = seedOf();
    console.log(`topic-notifier interleaving seed=${seed} (SPOOL_TEST_SEED replays it)`);
    let state = seed;
    const random = () => {
      state = (state * 48271) % 2147483647;
      return state / 2147483647;
    };
    const prefix = nextPrefix();
    const a = instance(prefix);
    const b = instance(prefix);
    const onA = a.topic('news');
    const onB = b.topic('news');
    const seenA = watch(onA);
    const seenB = watch(onB);
    await subscribed(admin, prefix, 1);
    // Both subscribed before anything is appended: each sees every event.
    await subscribed(admin, prefix, 1);
    const writes: Array<Promise<TopicEvent>> = [];
    for (let n = 0; n < 200; n++) {
      const on = random() < 0.5 ? onA : onB;
      writes.push(on.append('message', { n, text: `héllo ${n}` }));
      if (random() < 0.2) await new Promise((r) => setImmediate(r));
    }
    const appended = await Promise.all(writes);
    const ids = await streamIds(prefix, 'news');
    expect(ids).toHaveLength(200);
    await until(() => seenA.events.length >= 200 && seenB.events.length >= 200);
    // Anything that would come twice is queued behind what was delivered: let it run.
    await new Promise((r) => setTimeout(r, 50));
    for (const seen of [seenA, seenB]) {
      expect(seen.events.map((ev) => ev.id)).toEqual(ids);
      expect(seen.resets).toEqual([]);
    }
    const byId = new Map(appended.map((ev) => [ev.id, ev.data]));
    expect(seenB.events.map((ev) => ev.data)).toEqual(ids.map((id) => byId.get(id)));
  });

  it('fills a gap from XRANGE when a notification’s previous ID is not the last one delivered', async () => {
    const prefix = nextPrefix();
    const a = instance(prefix);
    const silent = instance(prefix, false); // appends without publishing: its notification is "lost"
    const b = instance(prefix);
    const onA = a.topic('jobs');
    const onSilent = silent.topic('jobs');
    const seen = watch(b.topic('jobs'));
    await subscribed(admin, prefix, 1);
    const first = await onA.append('message', { n: 1 });
    await until(() => seen.events.length === 1);
    const lost = await onSilent.append('message', { n: 2 });
    const third = await onA.append('message', { n: 3 });
    await until(() => seen.events.length === 3);
    expect(seen.events.map((ev) => ev.id)).toEqual([first.id, lost.id, third.id]);
    expect(seen.events.map((ev) => ev.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('catches a lost last notification with the re-check of a silent topic', async () => {
    const prefix = nextPrefix();
    const silent = instance(prefix, false);
    const b = instance(prefix, { recheckMs: 1000 });
    const onSilent = silent.topic('jobs');
    const seen = watch(b.topic('jobs'));
    await subscribed(admin, prefix, 1);
    const lost = await onSilent.append('message', { n: 1 });
    await until(() => seen.events.length === 1);
    expect(seen.events.map((ev) => ev.id)).toEqual([lost.id]);
  });

  it('reads what was published while the subscriber connection was away, after it reconnects', async () => {
    const prefix = nextPrefix();
    const a = instance(prefix);
    // No silent-topic re-check within the test: only the reconnect can find the event.
    const b = instance(prefix, { recheckMs: 600_000 });
    const onA = a.topic('jobs');
    const seen = watch(b.topic('jobs'));
    await subscribed(admin, prefix, 1);
    const sub = b.subscriber;
    const away = new Promise<void>((resolve) => sub.once('close', resolve));
    const back = new Promise<void>((resolve) => sub.once('ready', resolve));
    // Kill B's pub/sub connection (found by its name) from the server side; ioredis
    // reconnects by itself after its pause, subscribed again.
    const clients = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
    const line = clients.split('\n').find((l) => l.includes(`name=${sub.options.connectionName}`));
    const id = line && /id=(\d+)/.exec(line)?.[1];
    expect(id).toBeDefined();
    await admin.call('CLIENT', 'KILL', 'ID', id!);
    await away;
    const published = await onA.append('message', { n: 1 });
    await back;
    await until(() => seen.events.length === 1);
    expect(seen.events.map((ev) => ev.id)).toEqual([published.id]);
  });

  it('hands an instance’s own appends to its subscribers once, and other writers’ before them', async () => {
    const prefix = nextPrefix();
    const silent = instance(prefix, false);
    const a = instance(prefix);
    const onA = a.topic('jobs');
    const seen = watch(onA);
    await subscribed(admin, prefix, 1);
    const own1 = await onA.append('message', { n: 1 });
    const other = await silent.topic('jobs').append('message', { n: 2 });
    const own2 = await onA.append('message', { n: 3 });
    // Delivered before own2's promise resolved: the other writer's event first.
    expect(seen.events.map((ev) => ev.id)).toEqual([own1.id, other.id, own2.id]);
  });

  it('starts a live subscriber on a topic still loading at the stream’s last ID: a resume elsewhere from there gets no reset', async () => {
    const prefix = nextPrefix();
    const a = instance(prefix);
    const onA = a.topic('jobs');
    const old = await onA.append('message', { n: 0 });
    // B builds the topic now: its log loads in the background, and the live start waits for it.
    const onB = instance(prefix).topic('jobs');
    let from: string | undefined;
    const live = onB.subscribe({ onEvent: () => {}, onReady: (f) => (from = f) });
    await until(() => from !== undefined);
    expect(live.lastId).toBe(old.id);
    const later = await onA.append('message', { n: 1 });
    // What a client that saw no event resumes from, on another instance.
    const seen = watch(instance(prefix).topic('jobs'), live.lastId);
    await until(() => seen.events.length === 1);
    expect(seen.resets).toEqual([]);
    expect(seen.events.map((ev) => ev.id)).toEqual([later.id]);
  });

  it('gives a live subscriber of a topic just built what is appended right after it subscribed, here or elsewhere', async () => {
    const prefix = nextPrefix();
    const onA = instance(prefix).topic('jobs');
    const onB = instance(prefix).topic('jobs');
    const seen = watch(onB);
    const own = await onB.append('message', { n: 1 });
    const other = await onA.append('message', { n: 2 });
    await until(() => seen.events.length === 2);
    expect(seen.events.map((ev) => ev.id)).toEqual([own.id, other.id]);
    expect(seen.resets).toEqual([]);
  });

  it('sends live subscribers through catchup, to a reset, when the events they missed were trimmed', async () => {
    const prefix = nextPrefix();
    const b = instance(prefix, { recheckMs: 600_000 });
    const onB = b.topic('jobs');
    const seen = watch(onB);
    await subscribed(admin, prefix, 1);
    const writer = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    cleanups.push(async () => void writer.disconnect());
    // A writer without a notifier and with a tiny retention: B hears nothing, and by the
    // time B reads, the first events are gone.
    const log = RedisTopicLog.create(writer, 'jobs', { keyPrefix: prefix });
    const small = new Topic('jobs', { log, retention: { maxEvents: 2 } });
    cleanups.push(() => small.close());
    const appended: TopicEvent[] = [];
    for (let n = 0; n < 5; n++) appended.push(await small.append('message', { n }));
    const c = instance(prefix);
    const notified = await c.topic('jobs').append('message', { n: 5 });
    await until(() => seen.events.at(-1)?.id === notified.id);
    expect(seen.resets.length).toBe(1);
    const ids = seen.events.map((ev) => ev.id);
    // Everything after the reset is what the log still held, in order, once.
    expect(ids).toEqual([...new Set(ids)]);
    expect(ids.at(-1)).toBe(notified.id);
    expect(ids).not.toContain(appended[0]!.id);
  });
});
