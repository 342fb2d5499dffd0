import { isSpoolError, MIN_EVENT_ID, type TopicEvent, type TrimRules } from '@spool/core';
import { encodeTopicPayload, resolveTopicRetention } from '@spool/core/internal';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { adminClient, deleteKeys, nextPrefix, runPrefix, TEST_REDIS_URL } from '../broker/redis-test-env';
import { RedisTopicLog } from './redis-topic-log';
import type { AppendNotification } from './remote-tail';
import { TopicNotifier } from './topic-notifier';

// The append script's notification, as another instance receives it: the writer encodes
// the batch's events, the script encodes them itself when some were not appended
// (topic-log-script.ts, "Notification").

const admin = adminClient();
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await deleteKeys(admin, runPrefix);
  admin.disconnect();
});

const rules: TrimRules = {
  ...resolveTopicRetention({ maxEvents: 1_000, maxBytes: 2 ** 30, maxAgeMs: Number.POSITIVE_INFINITY }),
  isPinned: () => false,
};

/** A log with a notifier, and what a raw subscriber to its channel receives. */
async function setup(
  topic: string,
): Promise<{ log: RedisTopicLog; notes: AppendNotification[]; next(n: number): Promise<void> }> {
  const prefix = nextPrefix();
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const notifier = new TopicNotifier(redis.duplicate());
  const listener = redis.duplicate();
  cleanups.push(async () => {
    await notifier.close();
    listener.disconnect();
    redis.disconnect();
    await deleteKeys(admin, prefix);
  });
  const log = await RedisTopicLog.open(redis, topic, { keyPrefix: prefix, notifier });
  const notes: AppendNotification[] = [];
  listener.on('message', (_channel: string, message: string) =>
    notes.push(JSON.parse(message) as AppendNotification),
  );
  await listener.subscribe(log.keys.channel);
  const next = async (n: number) => {
    const start = Date.now();
    while (notes.length < n) {
      if (Date.now() - start > 10_000) throw new Error('no notification');
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { log, notes, next };
}

const carried = (ev: TopicEvent) => [ev.event, ev.json, ev.messageId ?? ''];

describe('the append notification', () => {
  it('carries a batch’s events exactly, JSON that needs escaping and message IDs included', async () => {
    const { log, notes, next } = await setup('notes');
    const payloads = [
      encodeTopicPayload('message', { text: 'quote " backslash \\ slash </script> newline \n tab \t' }),
      encodeTopicPayload('msg.delta', { messageId: 'm-1', chunkId: 0, text: 'héllo 👋 \u2028 \u0000' }),
      encodeTopicPayload('message', { list: [1, 2.5, null, true], nested: { a: 'b' } }),
    ];
    const evs = await Promise.all(payloads.map((p) => log.append(p, rules)));
    await next(1);
    expect(notes[0]!.p).toBe(log.creationFloor);
    expect(notes[0]!.i).toEqual(evs.map((ev) => ev.id));
    expect(notes[0]!.e).toEqual(evs.map(carried));
    expect(notes[0]!.e!.map(([, json]) => JSON.parse(json))).toEqual(payloads.map((p) => p.data));
  });

  it('carries only the appended events of a batch where an explicit ID was refused', async () => {
    const { log, notes, next } = await setup('refused');
    const first = await log.append(encodeTopicPayload('message', { n: 0 }), rules);
    await next(1);
    const outcomes = await Promise.all([
      log.append(encodeTopicPayload('message', { n: 1 }), rules),
      log
        .append({ ...encodeTopicPayload('message', { n: 2 }), id: { ms: 1, seq: 0 } }, rules)
        .catch((err: unknown) => err),
      log.append(encodeTopicPayload('message', { n: 3 }), rules),
    ]);
    expect(isSpoolError(outcomes[1]) && outcomes[1].code).toBe('ID_TOO_SMALL');
    const appended = [outcomes[0], outcomes[2]] as TopicEvent[];
    await next(2);
    expect(notes[1]).toEqual({
      o: notes[0]!.o,
      p: first.id,
      i: appended.map((ev) => ev.id),
      e: appended.map(carried),
    });
  });

  it('carries only the new events of a batch where an idempotency key named an earlier one', async () => {
    const { log, notes, next } = await setup('keys');
    const first = await log.append({ ...encodeTopicPayload('message', { n: 0 }), key: 'k1' }, rules);
    await next(1);
    const [dup, fresh] = await Promise.all([
      log.append({ ...encodeTopicPayload('message', { n: 1 }), key: 'k1' }, rules),
      log.append({ ...encodeTopicPayload('message', { n: 2 }), key: 'k2' }, rules),
    ]);
    expect(dup!.id).toBe(first.id);
    await next(2);
    expect(notes[1]).toEqual({ o: notes[0]!.o, p: first.id, i: [fresh!.id], e: [carried(fresh!)] });
    expect((await log.read(MIN_EVENT_ID, 10)).events.map((ev) => ev.id)).toEqual([first.id, fresh!.id]);
  });

  it('carries IDs only for a batch of more than 8 KiB of data', async () => {
    const { log, notes, next } = await setup('big');
    const evs = await Promise.all(
      [0, 1, 2].map((n) => log.append(encodeTopicPayload('message', { n, pad: 'x'.repeat(3_000) }), rules)),
    );
    await next(1);
    expect(notes[0]!.i).toEqual(evs.map((ev) => ev.id));
    expect(notes[0]!.e).toBeUndefined();
    // Just under the limit, the events ride along.
    const small = await Promise.all(
      [0, 1].map((n) => log.append(encodeTopicPayload('message', { n, pad: 'x'.repeat(3_000) }), rules)),
    );
    await next(2);
    expect(notes[1]!.e).toEqual(small.map(carried));
  });
});
