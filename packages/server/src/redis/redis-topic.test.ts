import { compareEventIds, type EventId, Topic, type TopicEvent } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { deleteKeys, nextPrefix, redisTestClients } from '../broker/redis-test-env';
import { RedisTopicLog } from './redis-topic-log';

// A core Topic on RedisTopicLog: catchup, live and the resume rule as on the memory log,
// and a `reset` to every subscriber when Redis loses the stream.

const { redis, admin } = redisTestClients();

function until(check: () => boolean, ms = 5_000): Promise<void> {
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

interface Seen {
  ids: EventId[];
  resets: EventId[];
  log: string[];
}

function watch(topic: Topic, after?: EventId): Seen {
  const seen: Seen = { ids: [], resets: [], log: [] };
  topic.subscribe({
    ...(after === undefined ? {} : { after }),
    onEvent: (ev: TopicEvent) => {
      seen.ids.push(ev.id);
      seen.log.push(`ev ${ev.id}`);
    },
    onReset: (earliest) => {
      seen.resets.push(earliest);
      seen.log.push(`reset ${earliest}`);
    },
  });
  return seen;
}

describe.each([
  ['news', 'none'],
  ['chan:1:general', 'messages'],
] as const)('Topic %s (retainUntilPersisted %s) on RedisTopicLog', (name, retainUntilPersisted) => {
  it('catches up from 0-0 and from an ID, then goes live, with nothing lost or repeated', async () => {
    const prefix = nextPrefix();
    const topic = new Topic(name, {
      log: await RedisTopicLog.open(redis, name, { keyPrefix: prefix }),
      retainUntilPersisted,
    });
    const first = [];
    for (let n = 0; n < 5; n++) first.push(await topic.append('message', { n }));
    const all = watch(topic, '0-0');
    const fromTwo = watch(topic, first[1]!.id);
    await until(() => all.ids.length === 5 && fromTwo.ids.length === 3);
    const later = await Promise.all([topic.append('message', { n: 5 }), topic.append('message', { n: 6 })]);
    const ids = [...first, ...later].map((ev) => ev.id);
    await until(() => all.ids.length === 7 && fromTwo.ids.length === 5);
    expect(all.ids).toEqual(ids);
    expect(fromTwo.ids).toEqual(ids.slice(2));
    expect(all.resets).toEqual([]);
    await topic.close();
    await deleteKeys(admin, prefix);
  });

  it('gives a reset, never a silent skip, when Redis loses the stream, and publishing goes on', async () => {
    const prefix = nextPrefix();
    const log = await RedisTopicLog.open(redis, name, { keyPrefix: prefix });
    const topic = new Topic(name, { log, retainUntilPersisted });
    const before = await topic.append('message', { n: 0 });
    const live = watch(topic);
    const lateResume = watch(topic, before.id);
    const one = await topic.append('message', { n: 1 });
    await until(() => live.ids.length === 1 && lateResume.ids.length === 1);
    // Redis restarted empty (on the shared server: only this test's keys go).
    await admin.del(log.keys.stream, log.keys.meta, log.keys.pins);
    const two = await topic.append('message', { n: 2 });
    await until(() => live.ids.includes(two.id) && lateResume.ids.includes(two.id));
    for (const seen of [live, lateResume]) {
      // What the new life holds starts above the old one: the reset names it, then it follows.
      expect(seen.log).toEqual([`ev ${one.id}`, `reset ${two.id}`, `ev ${two.id}`]);
    }
    expect(log.floor).toBe(log.creationFloor);
    expect(compareEventIds(log.creationFloor, one.id)).toBeGreaterThanOrEqual(0);
    // A resume from before the loss gets the reset too, and a new subscriber from 0-0 the new life.
    const old = watch(topic, one.id);
    const fresh = watch(topic, '0-0');
    await until(() => old.ids.length === 1 && fresh.ids.length === 1);
    expect(old.log).toEqual([`reset ${two.id}`, `ev ${two.id}`]);
    expect(fresh.log).toEqual([`ev ${two.id}`]);
    await topic.close();
    await deleteKeys(admin, prefix);
  });
});
