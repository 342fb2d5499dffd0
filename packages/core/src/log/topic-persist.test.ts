import { describe, expect, it, vi } from 'vitest';
import { isSpoolError } from '../errors';
import { compareEventIds } from '../protocol/event-id';
import { MemoryMessageStore } from '../store/memory-message-store';
import { createManualClock } from '../time/clock';
import { record, settle } from './__tests__/topic-test-kit';
import type { CatchupSourceEvent } from './catchup-plan';
import { ChannelCatchup } from './channel-catchup';
import { Topic } from './topic';
import type { TopicEvent } from './topic-event';

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A plain topic in the persist-and-clear model: events stay until persisted; the "database" fills gaps. */
function seedModel() {
  const db: CatchupSourceEvent[] = [];
  const source = vi.fn(async (_t: string, after: string) =>
    db.filter((e) => compareEventIds(e.id, after) > 0),
  );
  const topic = new Topic('jobs', {
    clock: createManualClock(1_000),
    retainUntilPersisted: 'events',
    retention: { maxEvents: 2, hardMaxEvents: 1_000 },
    catchupSource: source,
  });
  const save = (events: readonly TopicEvent[]) => {
    db.push(...events.map((e) => ({ id: e.id, event: e.event, data: e.data })));
  };
  return { db, source, topic, save };
}

describe('persistAndClear: a catchup racing the clear', () => {
  it('holds a resume while the persist runs, then serves the committed data: nothing lost, nothing twice', async () => {
    const { topic, source, save } = seedModel();
    const events: TopicEvent[] = [];
    for (let i = 0; i < 6; i++) events.push(await topic.append('block', { i }));
    expect(topic.stats().retainedEvents).toBe(6); // unpersisted events stay past retention

    const commit = deferred();
    const persisting = topic.persistAndClear(async (batch) => {
      expect(batch.map((e) => e.id)).toEqual(events.map((e) => e.id));
      await commit.promise; // T2: the DB write is in flight
      save(batch);
      return batch.length;
    });
    await settle();

    // T3: a client reconnects while the write is in flight; it must wait
    const client = record(topic, { after: events[0]!.id });
    // more events arrive meanwhile; what is being persisted must not be trimmed
    const later = [await topic.append('block', { i: 6 }), await topic.append('block', { i: 7 })];
    await settle();
    expect(client.events).toEqual([]);
    expect(source).not.toHaveBeenCalled();
    expect(topic.stats().retainedEvents).toBe(8);

    commit.resolve(); // T4: the commit succeeds
    expect(await persisting).toBe(6);
    await client.live;
    // T5: persisted events were trimmed; the two later ones are not persisted yet and stay
    expect(topic.stats()).toMatchObject({ retainedEvents: 2, firstId: later[0]!.id });
    // T7: the client's catchup saw the committed data, then the log, exactly once each
    expect(client.log).toEqual([...events.slice(1), ...later].map((e) => e.id));
    expect(source).toHaveBeenCalledOnce();
  });

  it('keeps everything when the persist fails, and returns its error as PERSIST_FAILED', async () => {
    const { topic, db, save } = seedModel();
    const events: TopicEvent[] = [];
    for (let i = 0; i < 4; i++) events.push(await topic.append('block', { i }));
    const boom = new Error('db down');
    const fail = deferred();
    const persisting = topic.persistAndClear(async () => {
      await fail.promise;
      throw boom;
    });
    const client = record(topic, { after: events[1]!.id });
    fail.resolve();
    const err = await persisting.catch((e: unknown) => e);
    expect(isSpoolError(err) && err.code).toBe('PERSIST_FAILED');
    expect((err as Error).cause).toBe(boom);
    expect(db).toEqual([]);
    await client.live;
    expect(client.log).toEqual(events.slice(2).map((e) => e.id));
    await topic.append('block', { i: 4 });
    expect(topic.stats().retainedEvents).toBe(5);
    // a retry gets everything again, since nothing was persisted
    const retried = await topic.persistAndClear((batch) => {
      save(batch);
      return batch.length;
    });
    expect(retried).toBe(5);
    expect(topic.stats().retainedEvents).toBe(2);
  });

  it('waits for a resume already reading the source before persisting', async () => {
    const { topic, save } = seedModel();
    const events: TopicEvent[] = [];
    for (let i = 0; i < 4; i++) events.push(await topic.append('block', { i }));
    await topic.persistAndClear(save);
    const slowSource = deferred<CatchupSourceEvent[]>();
    const slow = new Topic('slow', {
      retainUntilPersisted: 'events',
      retention: { maxEvents: 1 },
      creationFloor: '5-0',
      catchupSource: () => slowSource.promise,
    });
    await slow.append('x', 1);
    const client = record(slow, { after: '1-0' });
    await settle();
    const fn = vi.fn();
    const persisting = slow.persistAndClear(fn);
    await settle();
    expect(fn).not.toHaveBeenCalled();
    slowSource.resolve([{ id: '2-0', event: 'x', data: 0 }]);
    await persisting;
    expect(fn).toHaveBeenCalledOnce();
    await client.live;
    expect(client.events.map((e) => e.data)).toEqual([0, 1]);
  });

  it('runs persists one at a time, each with what the previous did not persist', async () => {
    const { topic } = seedModel();
    for (let i = 0; i < 3; i++) await topic.append('block', { i });
    const batches: number[][] = [];
    const hold = deferred();
    const first = topic.persistAndClear(async (b) => {
      batches.push(b.map((e) => (e.data as { i: number }).i));
      await hold.promise;
    });
    await settle();
    await topic.append('block', { i: 3 });
    const second = topic.persistAndClear(async (b) => {
      batches.push(b.map((e) => (e.data as { i: number }).i));
    });
    await settle();
    expect(batches).toEqual([[0, 1, 2]]); // the second waits for the first
    hold.resolve();
    await Promise.all([first, second]);
    expect(batches).toEqual([[0, 1, 2], [3]]);
  });

  it('pins only while it runs on a topic that retention alone governs', async () => {
    const topic = new Topic('plain', { retention: { maxEvents: 1, hardMaxEvents: 10 } });
    await topic.append('x', 0);
    await topic.append('x', 1);
    expect(topic.stats().retainedEvents).toBe(1);
    const hold = deferred();
    const persisting = topic.persistAndClear(async (batch) => {
      await hold.promise;
      return batch.map((e) => e.data);
    });
    await settle();
    await topic.append('x', 2);
    await topic.append('x', 3);
    expect(topic.stats().retainedEvents).toBe(3); // event 1 is being persisted: kept
    hold.resolve();
    expect(await persisting).toEqual([1]);
    expect(topic.stats().retainedEvents).toBe(1);
  });
});

describe('the retention-pin policy comes from options, never from the topic name', () => {
  const open = (id: string) => ({ messageId: id, meta: { messageId: id, channelId: 'g', channelType: 1 } });
  const delta = (id: string, chunkId: number) => ({ messageId: id, chunkId, text: `${id}${chunkId}` });

  it('leaves a chan: topic created with no policy unpinned: retention alone trims its messages', async () => {
    const topic = new Topic('chan:1:g', { retention: { maxEvents: 1, hardMaxEvents: 100 } });
    await topic.append('msg.open', open('1'));
    for (let i = 0; i < 3; i++) await topic.append('msg.delta', delta('1', i));
    // message 1 is open and unpersisted, yet only the last event stays
    expect(topic.stats().retainedEvents).toBe(1);
    // no per-message ledger either: persistAndClear takes the events since the last call
    const persisted = await topic.persistAndClear((events) => events.map((e) => e.event));
    expect(persisted).toEqual(['msg.delta']);
  });

  it('refuses a channel catchup on a topic without the messages policy, rather than resuming from the log alone', async () => {
    const catchup = new ChannelCatchup({ store: new MemoryMessageStore() });
    for (const retainUntilPersisted of [undefined, 'none', 'events'] as const) {
      let code: unknown;
      try {
        new Topic('chan:1:g', { catchup, ...(retainUntilPersisted ? { retainUntilPersisted } : {}) });
      } catch (err) {
        code = isSpoolError(err) ? err.code : err;
      }
      expect(code).toBe('INVALID_OPTION');
    }
    expect(new Topic('chan:1:g', { catchup, retainUntilPersisted: 'messages' }).name).toBe('chan:1:g');
  });

  it("pins a topic of any name under 'messages' until its message is persisted", async () => {
    const topic = new Topic('chat-room', {
      retention: { maxEvents: 1, hardMaxEvents: 100 },
      retainUntilPersisted: 'messages',
    });
    await topic.append('msg.open', open('1'));
    for (let i = 0; i < 3; i++) await topic.append('msg.delta', delta('1', i));
    expect(topic.stats().retainedEvents).toBe(4);
    await topic.persistAndClear(() => undefined, { messageId: '1' });
    expect(topic.stats().retainedEvents).toBe(1);
  });
});

describe('persistAndClear on a channel topic: per message', () => {
  const open = (id: string) => ({ messageId: id, meta: { messageId: id, channelId: 'g', channelType: 1 } });
  const delta = (id: string, chunkId: number) => ({ messageId: id, chunkId, text: `${id}${chunkId}` });

  it('persists one message and never clears another message’s events', async () => {
    const topic = new Topic('chan:1:g', {
      retention: { maxEvents: 1, hardMaxEvents: 100 },
      retainUntilPersisted: 'messages',
    });
    const a = [await topic.append('msg.open', open('1')), await topic.append('msg.delta', delta('1', 0))];
    const b = [await topic.append('msg.open', open('2')), await topic.append('msg.delta', delta('2', 0))];
    a.push(await topic.append('msg.delta', delta('1', 1)));
    expect(topic.stats().retainedEvents).toBe(5);
    const seen = await topic.persistAndClear((events) => events.map((e) => e.id), { messageId: '1' });
    expect(seen).toEqual(a.map((e) => e.id));
    // message 1's first two events went; message 2's open now heads the log and holds the rest
    const { events } = await topic.read('0-0', 100);
    expect(events.map((e) => e.id)).toEqual([b[0]!.id, b[1]!.id, a[2]!.id]);
    await topic.persistAndClear(() => undefined, { messageId: 2n });
    expect(topic.stats().retainedEvents).toBe(1);
  });

  it('holds catchup while a message persists', async () => {
    const topic = new Topic('chan:1:g', { retainUntilPersisted: 'messages' });
    const ev = await topic.append('msg.open', open('1'));
    const hold = deferred();
    const persisting = topic.persistAndClear(() => hold.promise, { messageId: '1' });
    await settle();
    const client = record(topic, { after: '0-0' });
    await settle();
    expect(client.events).toEqual([]);
    hold.resolve();
    await persisting;
    await client.live;
    expect(client.log).toEqual([ev.id]);
  });

  it('needs a valid messageId', async () => {
    const topic = new Topic('chan:1:g', { retainUntilPersisted: 'messages' });
    const code = async (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => (isSpoolError(e) ? e.code : e),
      );
    expect(await code(topic.persistAndClear(() => {}))).toBe('INVALID_OPTION');
    expect(await code(topic.persistAndClear(() => {}, { messageId: '-4' }))).toBe('INVALID_MESSAGE_ID');
  });
});
